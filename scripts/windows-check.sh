#!/usr/bin/env bash
# Cross-builds the lock engine, the lock C API (filelock.dll) and the lock test suites
# for 64-bit Windows with MinGW-w64, and runs them under Wine, helper processes included.
#
#   scripts/windows-check.sh [BUILD_DIR]      (default: build-win in the source tree)
#
# Needs: g++-mingw-w64-x86-64, wine64 (wine), cmake, googletest (sources in
# /usr/src/googletest), libcjson-dev (its header; the code is cjson_subset.cc).
#
# Windows-only for now, and so left out here: the state engine (core/state, core/io and
# core/json are POSIX), the CLI, bindings and benchmarks. The tests that need fork(),
# POSIX fcntl locks, /proc or POSIX permissions are filtered out below.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(realpath -m "${1:-$ROOT/build-win}")
PROJECT="$BUILD/project"
OUT="$BUILD/out"

fail() { echo "windows-check: $*" >&2; exit 1; }

command -v x86_64-w64-mingw32-g++-posix >/dev/null ||
  fail "x86_64-w64-mingw32-g++-posix not found (apt-get install g++-mingw-w64-x86-64)"
WINE=${WINE:-}
if [[ -z "$WINE" ]]; then
  for candidate in wine64 /usr/lib/wine/wine64 wine; do
    if command -v "$candidate" >/dev/null; then WINE=$(command -v "$candidate"); break; fi
  done
fi
[[ -n "$WINE" ]] || fail "wine not found (apt-get install wine64)"
[[ -f /usr/src/googletest/CMakeLists.txt ]] || fail "/usr/src/googletest missing (apt-get install googletest)"
[[ -f /usr/include/cjson/cJSON.h ]] || fail "cJSON.h missing (apt-get install libcjson-dev)"

mkdir -p "$PROJECT/include"
# Only the cJSON header from the host: /usr/include itself must stay out of a cross build.
ln -sfn /usr/include/cjson "$PROJECT/include/cjson"

# Parts of core/common and core/lock that do not build with MinGW yet (EDQUOT, strerror_r,
# pthread_atfork, which winpthreads defines as a macro); there is no fork() to prepare for.
cat > "$PROJECT/include/mingw_compat.h" <<'EOF'
#pragma once
#ifdef __cplusplus
#include <cerrno>
#include <cstring>
#else
#include <errno.h>
#include <string.h>
#endif
#include <pthread.h>
#ifndef EDQUOT
#define EDQUOT 122
#endif
#define strerror_r(err, buf, len) strerror_s((buf), (len), (err))
#undef pthread_atfork
static inline int pthread_atfork(void (*)(void), void (*)(void), void (*)(void)) { return 0; }
EOF

cat > "$PROJECT/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.25)
project(filelock_windows_check LANGUAGES C CXX)
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
set(R ${FILELOCK_ROOT})

set(gtest_force_shared_crt ON CACHE BOOL "" FORCE)
set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
add_subdirectory(/usr/src/googletest ${PROJECT_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)

add_library(cjson_subset STATIC ${R}/core/platform/windows/cjson_subset.cc)
target_include_directories(cjson_subset PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
target_compile_definitions(cjson_subset PUBLIC CJSON_HIDE_SYMBOLS)

file(GLOB CORE_SOURCES ${R}/core/common/*.cpp ${R}/core/lock/*.cpp ${R}/core/platform/windows/*.cpp)
add_library(filelock_core STATIC ${CORE_SOURCES})
target_include_directories(filelock_core PUBLIC ${R}/core)
target_compile_options(filelock_core PRIVATE -Wall -Wextra
  -include ${CMAKE_CURRENT_SOURCE_DIR}/include/mingw_compat.h)
target_link_libraries(filelock_core PUBLIC cjson_subset)

add_library(filelock SHARED ${R}/capi/errors.cpp ${R}/capi/lock_api.cpp ${R}/capi/lock_query.cpp)
target_compile_definitions(filelock PRIVATE FILELOCK_BUILDING)
target_include_directories(filelock PUBLIC ${R})
target_link_libraries(filelock PRIVATE filelock_core)

add_library(test_support STATIC ${R}/tests/support/support_windows.cpp ${R}/tests/support/main.cpp)
target_include_directories(test_support PUBLIC ${R}/tests/support)
target_link_libraries(test_support PUBLIC gtest)

set(LOCK_TESTS ${FILELOCK_LOCK_TESTS})
list(TRANSFORM LOCK_TESTS PREPEND ${R}/tests/lock/)
add_executable(lock_tests ${LOCK_TESTS})
target_link_libraries(lock_tests PRIVATE filelock_core test_support)
add_executable(capi_lock_tests ${R}/tests/capi/lock_api_test.cpp)
target_link_libraries(capi_lock_tests PRIVATE filelock test_support)
add_executable(c_api_test ${R}/tests/c/c_api_test.c)
target_link_libraries(c_api_test PRIVATE filelock)
EOF

# The lock suites that build for Windows (fork_test and posix_lock_test need fork() and
# fcntl locks).
LOCK_TESTS="lock_test_util.cpp;lock_helpers.cpp;exclusion_test.cpp;waiting_test.cpp;safety_test.cpp;unlink_race_test.cpp;name_lock_test.cpp;inspect_test.cpp"

cmake -S "$PROJECT" -B "$OUT" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/toolchain-mingw64.cmake" \
  -DFILELOCK_ROOT="$ROOT" -DFILELOCK_LOCK_TESTS="$LOCK_TESTS" >"$BUILD/configure.log" ||
  { cat "$BUILD/configure.log"; fail "configure failed"; }
cmake --build "$OUT" -j2 --target lock_tests capi_lock_tests c_api_test ||
  fail "build failed"

export WINEPREFIX="$BUILD/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
if [[ ! -f "$WINEPREFIX/system.reg" ]]; then
  echo "windows-check: creating the Wine prefix (first run only)"
  "$WINE" wineboot -i >/dev/null 2>&1 || fail "wineboot failed"
fi
cp "$OUT"/bin/*.dll "$OUT/bin/" 2>/dev/null || true

failed=0
run() {
  local name=$1; shift
  echo "windows-check: $name"
  if ! (cd "$OUT/bin" && timeout 300 "$WINE" "$@"); then
    echo "windows-check: $name FAILED" >&2
    failed=1
  fi
}
run c_api_test ./c_api_test.exe
run lock_tests ./lock_tests.exe --gtest_brief=1 "--gtest_filter=${LOCK_FILTER:-*}"
run capi_lock_tests ./capi_lock_tests.exe --gtest_brief=1 "--gtest_filter=${CAPI_FILTER:-*}"
"$WINE" wineserver -k >/dev/null 2>&1 || true
[[ $failed == 0 ]] || fail "some suites failed"
echo "windows-check: all suites passed"
