#!/usr/bin/env bash
# Builds filelock's Debian packages, installs them on this machine, builds and runs
# three consumers against the installed packages only, then removes the packages and
# checks nothing is left behind.
#   run.sh BUILD_DIR    (a configured and built tree; needs root for dpkg)
# Consumers: find_package (CMake), pkg-config, dlopen("libfilelock.so.1") + dlvsym, and
# the Python package when python3-libfilelock was built.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "run.sh: installs system packages: run as root" >&2; exit 2; }

work=$(mktemp -d)
installed=()
cleanup() {
  if [ ${#installed[@]} -gt 0 ]; then dpkg_waiting -P "${installed[@]}" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL $*" >&2; exit 1; }
# dpkg refuses, rather than waits, while apt or dpkg runs elsewhere: wait up to 10 min.
dpkg_waiting() {
  local tries=0
  until dpkg "$@" >"$work/dpkg.log" 2>&1; do
    grep 'locked by another process' "$work/dpkg.log" >/dev/null && [ $((tries += 1)) -le 120 ] || return 1
    sleep 5
  done
}
step() { echo "== $*"; }

step "packages (cpack -G DEB)"
(cd "$build" && cpack -G DEB -B "$work/debs" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; fail "cpack"; }
runtime_deb=$(ls "$work"/debs/libfilelock[0-9]*_*.deb)
dev_deb=$(ls "$work"/debs/libfilelock-dev_*.deb)
debs=("$runtime_deb" "$dev_deb")
python_deb=$(ls "$work"/debs/python3-libfilelock_*.deb 2>/dev/null || true)
runtime=$(dpkg-deb -f "$runtime_deb" Package)
version=$(dpkg-deb -f "$runtime_deb" Version)
for deb in "${debs[@]}"; do
  echo "$(basename "$deb"): Depends: $(dpkg-deb -f "$deb" Depends)"
done

# What the packages must declare to be good Debian citizens.
dpkg-deb -f "$runtime_deb" Depends | grep 'libcjson1' >/dev/null || fail "$runtime does not depend on libcjson1"
dpkg-deb -f "$dev_deb" Depends | grep -F "$runtime (= $version)" >/dev/null ||
  fail "libfilelock-dev does not depend on $runtime (= $version)"
dpkg-deb -I "$runtime_deb" shlibs | grep "^libfilelock 1 $runtime" >/dev/null || fail "$runtime has no shlibs"
dpkg-deb -I "$runtime_deb" triggers | grep 'ldconfig' >/dev/null || fail "$runtime has no ldconfig trigger"
dpkg-deb -c "$runtime_deb" >"$work/runtime.contents"
dpkg-deb -c "$dev_deb" >"$work/dev.contents"
grep -q '/libfilelock\.so\.1 -> ' "$work/runtime.contents" || fail "$runtime lacks libfilelock.so.1"
if [ -x "$build/bin/filelock" ]; then
  grep -q '/usr/bin/filelock$' "$work/runtime.contents" || fail "$runtime lacks the filelock command"
fi
grep -q '/libfilelock\.so -> ' "$work/dev.contents" || fail "libfilelock-dev lacks libfilelock.so"

# Files the packages will own; refuse to overwrite files nobody owns (a manual install).
packages=("$runtime" libfilelock-dev)
if [ -n "$python_deb" ]; then
  debs+=("$python_deb")
  packages+=(python3-libfilelock)
  dpkg-deb -c "$python_deb" >"$work/python.contents"
fi
cat "$work"/*.contents | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' \
  >"$work/files"
for pkg in "${packages[@]}"; do
  if dpkg -s "$pkg" >/dev/null 2>&1; then fail "$pkg is already installed; remove it first"; fi
done
while read -r f; do
  if [ -e "$f" ] || [ -L "$f" ]; then fail "$f exists and is not from these packages"; fi
done <"$work/files"

step "install (dpkg -i)"
installed=("${packages[@]}")
dpkg_waiting -i "${debs[@]}" || { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }
ldconfig -p | grep 'libfilelock.so.1 ' >/dev/null || fail "libfilelock.so.1 not in the ld.so cache"

# Consumers see only the system: nothing from the build tree or the environment.
clean_env=(env -u LD_LIBRARY_PATH -u LIBRARY_PATH -u CPATH -u C_INCLUDE_PATH
           -u PKG_CONFIG_PATH -u CMAKE_PREFIX_PATH -u filelock_DIR)
cc=${CC:-cc}
check_loads_installed() {
  local exe=$1 resolved
  resolved=$(ldd "$exe" | awk '$1 == "libfilelock.so.1" { print $3 }')
  resolved=$(readlink -f "$resolved")  # merged /usr: /lib is /usr/lib
  case "$resolved" in
    /usr/lib/*) ;;
    *) fail "$exe loads libfilelock.so.1 from '${resolved:-nowhere}', not the package" ;;
  esac
}

step "consumer: find_package(filelock)"
"${clean_env[@]}" cmake -S "$here/find_package" -B "$work/find_package" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_C_COMPILER="$cc" >"$work/fp.log" 2>&1 ||
  { cat "$work/fp.log" >&2; fail "configure the find_package consumer"; }
grep -q "filelock .* from /usr/lib/" "$work/fp.log" || { cat "$work/fp.log" >&2; fail "found outside /usr/lib"; }
"${clean_env[@]}" cmake --build "$work/find_package" >>"$work/fp.log" 2>&1 ||
  { cat "$work/fp.log" >&2; fail "build the find_package consumer"; }
check_loads_installed "$work/find_package/consumer_find_package"
"${clean_env[@]}" "$work/find_package/consumer_find_package" find_package "$work/fp.state"

step "consumer: pkg-config filelock"
"${clean_env[@]}" pkg-config --exact-version="${version%-*}" filelock ||
  fail "pkg-config does not find filelock ${version%-*}"
# shellcheck disable=SC2046  # pkg-config output is meant to be split
"${clean_env[@]}" "$cc" -o "$work/consumer_pkg_config" "$here/linked_main.c" \
  $("${clean_env[@]}" pkg-config --cflags --libs filelock)
check_loads_installed "$work/consumer_pkg_config"
"${clean_env[@]}" "$work/consumer_pkg_config" pkg-config "$work/pc.state"

step "consumer: dlopen(\"libfilelock.so.1\")"
"${clean_env[@]}" "$cc" -o "$work/consumer_dlopen" "$here/dlopen/main.c" -ldl
"${clean_env[@]}" "$work/consumer_dlopen" dlopen "$work/dl.state"

if [ -n "$python_deb" ]; then
  step "consumer: Python (python3-libfilelock)"
  (cd "$work" && env -i PATH=/usr/bin:/bin /usr/bin/python3 -I "$here/python_consumer.py" "$work/py.state")
fi

step "remove (dpkg -P)"
dpkg_waiting -P "${installed[@]}" || { cat "$work/dpkg.log" >&2; fail "dpkg -P"; }
installed=()
for pkg in "${packages[@]}"; do
  if dpkg -s "$pkg" >/dev/null 2>&1; then fail "$pkg still installed"; fi
done
while read -r f; do
  if [ -e "$f" ] || [ -L "$f" ]; then fail "$f left behind"; fi
done <"$work/files"
cat "$work"/*.contents | awk '$1 ~ /^d/ && $6 ~ /filelock\/$/ { sub(/^\./, "", $6); print $6 }' |
  while read -r d; do
    if [ -e "$d" ]; then fail "$d left behind"; fi
  done
if ldconfig -p | grep 'libfilelock\.so' >/dev/null; then fail "libfilelock still in the ld.so cache"; fi
echo "packages built, installed, used by every consumer and removed cleanly"
