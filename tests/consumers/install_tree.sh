#!/usr/bin/env bash
# `cmake --install` into a temporary prefix: the files land where GNUInstallDirs says,
# the CMake package (with its SameMajorVersion version file) and filelock.pc work from
# there, and consumers built through each run against the installed library.
# No root needed; run.sh does the same through the Debian packages.
#   install_tree.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: install_tree.sh BUILD_DIR}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL $*" >&2; exit 1; }
prefix=$work/prefix
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$build/CMakeCache.txt")
includedir=$(sed -n 's/^CMAKE_INSTALL_INCLUDEDIR:PATH=//p' "$build/CMakeCache.txt")

for component in Runtime Development; do
  cmake --install "$build" --prefix "$prefix" --component "$component" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "install $component"; }
done

echo "== installed files"
for f in "$libdir/libfilelock.so.1.4.0" "$libdir/libfilelock.a" "$includedir/filelock.h" \
         "$libdir/cmake/filelock/filelockConfig.cmake" \
         "$libdir/cmake/filelock/filelockConfigVersion.cmake" \
         "$libdir/cmake/filelock/filelockTargets.cmake" "$libdir/pkgconfig/filelock.pc"; do
  [ -f "$prefix/$f" ] || fail "$f not installed"
done
[ "$(readlink "$prefix/$libdir/libfilelock.so.1")" = libfilelock.so.1.4.0 ] || fail "libfilelock.so.1 link"
[ "$(readlink "$prefix/$libdir/libfilelock.so")" = libfilelock.so.1 ] || fail "libfilelock.so link"
grep -qx "prefix=$prefix" "$prefix/$libdir/pkgconfig/filelock.pc" ||
  fail "filelock.pc does not name the install prefix $prefix"

echo "== find_package version rules"
cmake -S "$here/version_compat" -B "$work/version_compat" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$work/vc.log" 2>&1 || { cat "$work/vc.log" >&2; fail "version rules"; }
grep 'version file accepts' "$work/vc.log"

echo "== find_package consumer"
cmake -S "$here/find_package" -B "$work/find_package" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_C_COMPILER="${CC:-cc}" >"$work/fp.log" 2>&1 &&
  cmake --build "$work/find_package" >>"$work/fp.log" 2>&1 || { cat "$work/fp.log" >&2; fail "find_package consumer"; }
grep -F "from $prefix/" "$work/fp.log" >/dev/null || fail "find_package found filelock outside $prefix"
LD_LIBRARY_PATH=$prefix/$libdir "$work/find_package/consumer_find_package" find_package "$work/fp.state"
if [ -f "$prefix/$libdir/libfilelock.a" ]; then
  # Static: no libfilelock.so.1 needed, so it runs without LD_LIBRARY_PATH.
  exe=$work/find_package/consumer_find_package_static
  [ -x "$exe" ] || fail "find_package gave no filelock::filelock_static beside libfilelock.a"
  if readelf -d "$exe" | grep -q 'NEEDED.*libfilelock'; then fail "$exe needs libfilelock.so"; fi
  "$exe" find_package-static "$work/fps.state"
fi

echo "== pkg-config consumer"
flags=$(PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig pkg-config --cflags --libs filelock)
# shellcheck disable=SC2086  # pkg-config output is meant to be split
"${CC:-cc}" -o "$work/consumer_pkg_config" "$here/linked_main.c" $flags
LD_LIBRARY_PATH=$prefix/$libdir "$work/consumer_pkg_config" pkg-config "$work/pc.state"
if [ -f "$prefix/$libdir/libfilelock.a" ]; then
  echo "== pkg-config --static consumer"
  PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig bash "$here/static_consumer.sh" "$work/consumer_static"
fi

# The language packages, when this build has them: Go sources where Debian keeps them,
# the NuGet feed under the libdir. The Go consumer builds from the installed sources only
# (run.sh runs it, and the C# consumer, against the Debian packages).
if grep -q 'gocode' "$build/bindings/go/cmake_install.cmake" 2>/dev/null; then
  echo "== Go module sources and a consumer built from them"
  cmake --install "$build" --prefix "$prefix" --component go >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "install go"; }
  go_dir=$prefix/share/gocode/src/filelock.dev/filelock
  for f in go.mod lock.go internal/native/native.go internal/native/native_wrap.c; do
    [ -f "$go_dir/$f" ] || fail "share/gocode/src/filelock.dev/filelock/$f not installed"
  done
  if find "$go_dir" -name '*_test.go' | grep . >/dev/null; then fail "Go tests installed"; fi
  if command -v go >/dev/null; then
    cp -r "$here/go" "$work/go"
    (cd "$work/go" && go mod edit -replace=filelock.dev/filelock="$go_dir" &&
      env PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig" GOCACHE="$work/gocache" GOPATH="$work/gopath" \
        GOFLAGS= GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=1 go build -o "$work/go-consumer" .) ||
      fail "build the Go consumer against $go_dir"
    mkdir "$work/go.d"
    version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
    out=$(LD_LIBRARY_PATH=$prefix/$libdir "$work/go-consumer" "$version" "$work/go.d") || fail "the Go consumer"
    echo "$out"
    grep -x "loaded $prefix/$libdir/libfilelock\.so\.1.*" <<<"$out" >/dev/null ||
      fail "the Go consumer did not use $prefix/$libdir"
  fi
fi
if grep -q 'nuget' "$build/bindings/csharp/cmake_install.cmake" 2>/dev/null; then
  echo "== NuGet feed"
  cmake --install "$build" --prefix "$prefix" --component csharp >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "install csharp"; }
  ls "$prefix/$libdir"/filelock/nuget/Filelock.*.nupkg >/dev/null || fail "no $libdir/filelock/nuget/Filelock.*.nupkg"
fi
echo "install tree at GNUInstallDirs paths, used through find_package, pkg-config and the Go module"
