#!/usr/bin/env bash
# Cross-builds the core, the C API (filelock.dll), the lock and state test suites, the C
# API test and the Go binding's test suite (cgo) for 64-bit Windows with MinGW-w64, and
# runs them under Wine, helper processes included.
#
#   scripts/windows-check.sh [BUILD_DIR]      (default: build-win in the source tree)
#
# Needs: g++-mingw-w64-x86-64, wine64 (wine), cmake, googletest (sources in
# /usr/src/googletest), golang-go, dpkg-dev (cJSON's upstream sources come from
# Debian's source package: scripts/fetch-cjson.sh).
#
# Left out here: the CLI, the Python and C# bindings and the benchmarks. Lock test files that do not build for
# Windows (fork(), fcntl locks, symlinks, FIFOs, users and mode bits) are listed at
# LOCK_TESTS below. tests/capi/lock_fd_test.cpp is not built: fl_lock_fd hands a lock to a
# child through an inherited descriptor, which a LockFileEx lock cannot do, so on Windows
# it is always -1 (CapiLock.LockFdIsMinusOneOnWindows checks that), and the test forks.
# Exits non-zero if any suite that runs fails.
#
# Untested on Windows (filtered out below), with why:
#   POSIX-only behaviour:
#   - KernelBackends/*/ofd, KernelBackends/*/posix (lock_tests): OFD and POSIX fcntl
#     locks do not exist on Windows; opening them is refused with a message saying so.
#   - KernelBackends/UnlinkRace.FailedReopenLeavesTheHandleUsable/flock: Windows cannot
#     remove a directory while a handle inside it is open, so the "nowhere to re-create
#     the lock file" state cannot be set up.
#   - StateTest.CommitKeepsThePermissionsOfTheFile: POSIX mode bits (Windows has ACLs).
#   - StateTest.SymlinkedStateFileIsRefused, CapiLock.SymlinkRefusalIsPermissionWithPath:
#     need a symbolic link; Wine cannot create one (Wine limitation as well).
#   - Backends/NameLocks.RecordFromAnEarlierBootIsBroken/* (lock_tests): Windows has no
#     boot id (core/platform/windows/process.cpp); a holder from before a reboot is told
#     apart by its process creation time, as NameLocks.DeadPidRecordIsBrokenButLiveOneIsNot
#     tests.
#   Wine limitations:
#   - Waiting.WaitingProcessBurnsNoCpuAndWakesQuickly: Wine never completes an overlapped
#     LockFileEx that has to wait, so under Wine only the wait retries (see
#     core/platform/windows/kernel_lock.cpp) and the waiter spends CPU.
#   - Waiting.HandoffBetweenProcessesIsFast: for the same reason, and with Wine's process
#     scheduling on a loaded machine the 20 ms median bound fails intermittently in the
#     full run (it passes alone).
#   Wine's file semantics, traced:
#   - Backends/NameLocks.CleanStaleInALoopNeverBreaksALiveLock/* (lock_tests): Wine keeps
#     a deleted file openable until its last handle closes (its server unlinks a
#     delete-on-close file only then), so a LOCKFILE its holder released and then exited
#     is still read at the name, judged dead and broken after a new holder took the name
#     ("broken while held"). On Windows 10 and later DeleteFileW removes the name at once
#     and a delete-pending file cannot be opened, which identify_path treats as gone.
#     LOCKDIR: Wine's FindFirstFileW opens the directory without delete sharing, so a
#     waiter's listing makes the holder's RemoveDirectoryW fail (now retried briefly, as
#     a non-empty directory is). Not yet run on real Windows. The kernel-lock counterpart
#     (Inspect.CleanStaleRacingAcquirersLosesNoUpdate) passes.
#   - MixedBackendsHammer.NoIncrementIsLost (lock_tests): in the full run (not alone, six
#     runs in a row) one WINDOWS/AUTO process's first open of the lock file fails with
#     "access denied" while LOCKFILE holders create and delete it; that process stops, so
#     its increments are missing (no two holders were seen). Not yet diagnosed: a name
#     deleted while others have it open is waited for (core/platform/windows/file.cpp),
#     so another Wine state is at work. The pairs (AllPairs/MixedBackends.*) run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(realpath -m "${1:-$ROOT/build-win}")
PROJECT="$BUILD/project"
OUT="$BUILD/out"

fail() { echo "windows-check: $*" >&2; exit 1; }

command -v go >/dev/null || fail "go not found (apt-get install golang-go)"
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
bash "$ROOT/scripts/fetch-cjson.sh" "$BUILD/cjson" || fail "cannot fetch cJSON's sources"

mkdir -p "$PROJECT/include"
# cJSON's own header: /usr/include itself must stay out of a cross build.
ln -sfn "$BUILD/cjson/cjson" "$PROJECT/include/cjson"

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

# Just enough POSIX for the test sources that use it (getrusage, flock, O_CLOEXEC,
# mkdir with a mode, symlink); the engine itself never sees these.
mkdir -p "$PROJECT/include/posix_shim/sys"
cat > "$PROJECT/include/posix_shim/sys/resource.h" <<'EOF'
#pragma once
#include <windows.h>
#include <sys/time.h>
#define RUSAGE_SELF 0
struct rusage {
  struct timeval ru_utime;
  struct timeval ru_stime;
};
static inline void fl_shim_tv(const FILETIME *ft, struct timeval *tv) {
  unsigned long long t = ((unsigned long long)ft->dwHighDateTime << 32) | ft->dwLowDateTime;
  tv->tv_sec = (long)(t / 10000000ull);
  tv->tv_usec = (long)(t % 10000000ull / 10);
}
static inline int getrusage(int who, struct rusage *ru) {
  FILETIME c, e, k, u;
  (void)who;
  if (!GetProcessTimes(GetCurrentProcess(), &c, &e, &k, &u)) return -1;
  fl_shim_tv(&u, &ru->ru_utime);
  fl_shim_tv(&k, &ru->ru_stime);
  return 0;
}
EOF
cat > "$PROJECT/include/posix_shim/sys/file.h" <<'EOF'
#pragma once
#include <windows.h>
#include <io.h>
#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8
static inline int flock(int fd, int op) {
  HANDLE h = (HANDLE)_get_osfhandle(fd);
  OVERLAPPED ov = {0};
  if (op & LOCK_UN) return UnlockFileEx(h, 0, MAXDWORD, MAXDWORD, &ov) ? 0 : -1;
  DWORD flags = ((op & LOCK_EX) ? LOCKFILE_EXCLUSIVE_LOCK : 0) | ((op & LOCK_NB) ? LOCKFILE_FAIL_IMMEDIATELY : 0);
  return LockFileEx(h, flags, 0, MAXDWORD, MAXDWORD, &ov) ? 0 : -1;
}
EOF
cat > "$PROJECT/include/posix_shim/posix_shim.h" <<'EOF'
#pragma once
#include <windows.h>
#include <fcntl.h>
#ifndef O_CLOEXEC
#define O_CLOEXEC _O_NOINHERIT
#endif
#include <direct.h>
#include <signal.h>
#ifndef SIGKILL
#define SIGKILL 9  /* what fltest::wait_exit reports after kill_hard: 128 + 9 */
#endif
// POSIX mkdir takes a mode, Windows' _mkdir does not (the ACL of the parent applies).
static inline int fl_shim_mkdir(const char *path, int) { return _mkdir(path); }
#define mkdir(path, mode) fl_shim_mkdir((path), (mode))
static inline int symlink(const char *target, const char *link) {
  return CreateSymbolicLinkA(link, target, SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE) ? 0 : -1;
}
EOF
# The C test makes its directory with mkdtemp(), which the Windows C library lacks.
cat > "$PROJECT/include/posix_shim/posix_shim_c.h" <<'EOF'
#pragma once
#include <direct.h>
#include <errno.h>
#include <io.h>
#include <string.h>
static inline char *mkdtemp(char *tmpl) {
  /* "/tmp" need not exist on Windows: the parent is made on demand. */
  char *slash = strrchr(tmpl, '/');
  if (slash != NULL) {
    *slash = '\0';
    _mkdir(tmpl);
    *slash = '/';
  }
  if (_mktemp_s(tmpl, strlen(tmpl) + 1) != 0) return NULL;
  return _mkdir(tmpl) == 0 ? tmpl : NULL;
}
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

# cJSON's upstream sources (scripts/fetch-cjson.sh), linked in statically.
add_library(cjson STATIC ${CMAKE_CURRENT_SOURCE_DIR}/../cjson/cJSON.c)
target_include_directories(cjson PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                           PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/../cjson/cjson)
target_compile_definitions(cjson PUBLIC CJSON_HIDE_SYMBOLS)

file(GLOB CORE_SOURCES ${R}/core/common/*.cpp ${R}/core/lock/*.cpp ${R}/core/state/*.cpp
     ${R}/core/json/*.cpp ${R}/core/io/*.cpp ${R}/core/platform/*.cpp
     ${R}/core/platform/windows/*.cpp
     ${R}/core/etcd/etcd_url.cpp ${R}/core/etcd/etcd_unsupported.cpp)  # etcd:// refused
add_library(filelock_core STATIC ${CORE_SOURCES})
target_include_directories(filelock_core PUBLIC ${R}/core)
target_compile_options(filelock_core PRIVATE -Wall -Wextra
  "SHELL:-include ${CMAKE_CURRENT_SOURCE_DIR}/include/mingw_compat.h")
target_link_libraries(filelock_core PUBLIC cjson)

file(GLOB CAPI_SOURCES ${R}/capi/*.cpp)
add_library(filelock SHARED ${CAPI_SOURCES})
target_compile_definitions(filelock PRIVATE FILELOCK_BUILDING)
target_include_directories(filelock PUBLIC ${R})
target_link_libraries(filelock PRIVATE filelock_core)

add_library(test_support STATIC ${R}/tests/support/support_windows.cpp ${R}/tests/support/main.cpp)
target_include_directories(test_support PUBLIC ${R}/tests/support)
target_link_libraries(test_support PUBLIC gtest)
target_include_directories(test_support PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include/posix_shim)
target_compile_options(test_support PUBLIC
  "SHELL:-include ${CMAKE_CURRENT_SOURCE_DIR}/include/mingw_compat.h"
  "SHELL:-include ${CMAKE_CURRENT_SOURCE_DIR}/include/posix_shim/posix_shim.h")

set(LOCK_TESTS ${FILELOCK_LOCK_TESTS})
list(TRANSFORM LOCK_TESTS PREPEND ${R}/tests/lock/)
add_executable(lock_tests ${LOCK_TESTS} ${R}/capi/reports.cpp)  # reports' JSON
target_include_directories(lock_tests PRIVATE ${R}/capi)
target_link_libraries(lock_tests PRIVATE filelock_core test_support)
add_executable(capi_lock_tests ${R}/tests/capi/lock_api_test.cpp ${R}/tests/capi/cancel_token_test.cpp)
target_link_libraries(capi_lock_tests PRIVATE filelock test_support)
add_executable(c_api_test ${R}/tests/c/c_api_test.c)
target_link_libraries(c_api_test PRIVATE filelock)
target_compile_options(c_api_test PRIVATE
  "SHELL:-include ${CMAKE_CURRENT_SOURCE_DIR}/include/posix_shim/posix_shim_c.h")

add_executable(state_core_test ${R}/tests/state/json_test.cpp ${R}/tests/state/state_test.cpp
               ${R}/tests/state/crash_test.cpp ${R}/tests/state/fs_io_test.cpp
               ${R}/tests/state/power_cut_test.cpp)
target_link_libraries(state_core_test PRIVATE filelock_core test_support)
add_executable(state_capi_test ${R}/tests/state/capi_state_test.cpp ${R}/tests/state/state_wait_test.cpp
  ${R}/tests/state/state_cancel_token_test.cpp)
target_link_libraries(state_capi_test PRIVATE filelock test_support)
EOF

# The lock suites that build for Windows. Left out: fork_test (fork()), posix_lock_test
# (fcntl locks) and the *_posix_test.cpp files (fork(), symlinks, mkfifo, users and mode
# bits).
LOCK_TESTS="lock_test_util.cpp;lock_helpers.cpp;exclusion_test.cpp;waiting_test.cpp;unlink_race_test.cpp"
LOCK_TESTS+=";safety_test.cpp;name_lock_test.cpp;inspect_test.cpp;options_test.cpp"
LOCK_TESTS+=";leftovers_test.cpp;unsupported_fs_test.cpp;mixed_backends_test.cpp;deadlock_test.cpp"
LOCK_TESTS+=";local_wait_test.cpp;syscall_table_test.cpp"

# Debug: the suites wait and write files, so -O0 runs them as fast and builds them sooner.
cmake -S "$PROJECT" -B "$OUT" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/toolchain-mingw64.cmake" \
  -DFILELOCK_ROOT="$ROOT" -DFILELOCK_LOCK_TESTS="$LOCK_TESTS" >"$BUILD/configure.log" ||
  { cat "$BUILD/configure.log"; fail "configure failed"; }
cmake --build "$OUT" -j2 --target lock_tests capi_lock_tests c_api_test state_core_test \
  state_capi_test ||
  fail "build failed"

# The Go binding's tests, built with cgo against this filelock.dll through a pkg-config
# file of its own (the system's filelock.pc describes the Linux library).
mkdir -p "$BUILD/pkgconfig"
cat > "$BUILD/pkgconfig/filelock.pc" <<EOF
Name: filelock
Description: filelock, Windows cross-build
Version: 0
Cflags: -I$ROOT
Libs: -L$OUT/bin -lfilelock
EOF
(cd "$ROOT/bindings/go" &&
  GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc-posix \
  PKG_CONFIG_PATH="$BUILD/pkgconfig" GOFLAGS=-mod=mod \
  go test -c -o "$OUT/bin/filelock_go_test.exe" .) || fail "Go test build failed"

export WINEPREFIX="$BUILD/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
# Wine makes a directory in the temp folder per start and leaves it: not in /tmp.
export TMPDIR="$BUILD/tmp"
mkdir -p "$TMPDIR"
if [[ ! -f "$WINEPREFIX/system.reg" ]]; then
  echo "windows-check: creating the Wine prefix (first run only)"
  "$WINE" wineboot -i >/dev/null 2>&1 || fail "wineboot failed"
fi
cp "$OUT"/bin/*.dll "$OUT/bin/" 2>/dev/null || true

failed=0
# A suite that fails runs once more and fails the check only if it fails again: once,
# a suite whose every test passed ended with a non-zero status under Wine (the first
# run after the prefix was made), and 26 runs of it since did not do that again.
run() {
  local name=$1 rc; shift
  echo "windows-check: $name"
  (cd "$OUT/bin" && timeout 300 "$WINE" "$@") && return 0
  rc=$?
  echo "windows-check: $name ended with status $rc; once more" >&2
  (cd "$OUT/bin" && timeout 300 "$WINE" "$@") && return 0
  echo "windows-check: $name FAILED (status $?, and $rc the first time)" >&2
  failed=1
}
# The exclusions listed in the header (gtest negative filters).
LOCK_SKIP="*/ofd:*/posix:KernelBackends/UnlinkRace.FailedReopenLeavesTheHandleUsable/flock"
LOCK_SKIP+=":Waiting.WaitingProcessBurnsNoCpuAndWakesQuickly:Waiting.HandoffBetweenProcessesIsFast"
LOCK_SKIP+=":Backends/NameLocks.RecordFromAnEarlierBootIsBroken/*"
LOCK_SKIP+=":Backends/NameLocks.CleanStaleInALoopNeverBreaksALiveLock/*"
LOCK_SKIP+=":MixedBackendsHammer.NoIncrementIsLost"
CAPI_SKIP="CapiLock.SymlinkRefusalIsPermissionWithPath"
STATE_SKIP="StateTest.CommitKeepsThePermissionsOfTheFile:StateTest.SymlinkedStateFileIsRefused"
run c_api_test ./c_api_test.exe
run lock_tests ./lock_tests.exe --gtest_brief=1 "--gtest_filter=${LOCK_FILTER:-*-$LOCK_SKIP}"
run capi_lock_tests ./capi_lock_tests.exe --gtest_brief=1 "--gtest_filter=${CAPI_FILTER:-*-$CAPI_SKIP}"
run state_core_test ./state_core_test.exe --gtest_brief=1 "--gtest_filter=${STATE_FILTER:-*-$STATE_SKIP}"
run state_capi_test ./state_capi_test.exe --gtest_brief=1 "--gtest_filter=${STATE_CAPI_FILTER:-*}"
run go_binding ./filelock_go_test.exe "-test.run=${GO_FILTER:-.}"
"$WINE" wineserver -k >/dev/null 2>&1 || true
[[ $failed == 0 ]] || fail "some suites failed"
echo "windows-check: all suites passed"
