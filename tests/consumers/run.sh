#!/usr/bin/env bash
# Builds filelock's Debian packages, installs them on this machine, builds and runs
# consumers against the installed packages only, then removes the packages and checks
# nothing is left behind.
#   run.sh BUILD_DIR    (a configured and built tree; needs root for dpkg)
# Consumers: find_package (CMake), pkg-config, dlopen("libfilelock.so.1") + dlvsym, and
# for each binding that was packaged: Python, Go (module replace and GOPATH mode) and C#
# (restored from the installed NuGet feed). None uses LD_LIBRARY_PATH or the network.
set -euo pipefail
# Under pipefail, `cmd | grep -q` fails at random: grep exits at the first match and cmd
# dies of SIGPIPE. Matches are made on captured output instead.
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
step() { echo "== $* (${SECONDS}s)"; }

step "packages (cpack -G DEB)"
(cd "$build" && cpack -G DEB -B "$work/debs" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; fail "cpack"; }
runtime_deb=$(ls "$work"/debs/libfilelock[0-9]*_*.deb)
dev_deb=$(ls "$work"/debs/libfilelock-dev_*.deb)
debs=("$runtime_deb" "$dev_deb")
cli_deb=$(ls "$work"/debs/filelock_*.deb 2>/dev/null || true)
python_deb=$(ls "$work"/debs/python3-libfilelock_*.deb 2>/dev/null || true)
go_deb=$(ls "$work"/debs/golang-filelock-dev_*.deb 2>/dev/null || true)
if [ -n "$go_deb" ] && ! dpkg -s golang-go >/dev/null 2>&1; then
  echo "golang-go is not installed: golang-filelock-dev (which depends on it) is not tested"
  go_deb=
fi
cil_deb=$(ls "$work"/debs/libfilelock-cil-dev_*.deb 2>/dev/null || true)
runtime=$(dpkg-deb -f "$runtime_deb" Package)
version=$(dpkg-deb -f "$runtime_deb" Version)
for deb in "${debs[@]}"; do
  echo "$(basename "$deb"): Depends: $(dpkg-deb -f "$deb" Depends)"
done

# depends_on DEB TEXT: DEB's Depends field names TEXT (whole words).
depends_on() {
  dpkg-deb -f "$1" Depends | grep -wF "$2" >/dev/null ||
    fail "$(dpkg-deb -f "$1" Package) does not depend on $2"
}
# optional_deb DEB NAME: an optional package joins the install; its file list goes to
# $work/NAME.contents.
optional_deb() {
  debs+=("$1")
  packages+=("$(dpkg-deb -f "$1" Package)")
  dpkg-deb -c "$1" >"$work/$2.contents"
}

# What the packages must declare to be good Debian citizens.
depends_on "$runtime_deb" libcjson1
depends_on "$dev_deb" "$runtime (= $version)"
dpkg-deb -I "$runtime_deb" shlibs | grep "^libfilelock 1 $runtime" >/dev/null || fail "$runtime has no shlibs"
dpkg-deb -I "$runtime_deb" triggers | grep 'ldconfig' >/dev/null || fail "$runtime has no ldconfig trigger"
dpkg-deb -c "$runtime_deb" >"$work/runtime.contents"
dpkg-deb -c "$dev_deb" >"$work/dev.contents"
grep -q '/libfilelock\.so\.1 -> ' "$work/runtime.contents" || fail "$runtime lacks libfilelock.so.1"
# The runtime holds nothing a later major's runtime would also hold: only the library
# named by its SONAME and its documentation directory.
if awk '$1 !~ /^d/ { print $6 }' "$work/runtime.contents" |
   grep -v -e '/libfilelock\.so\.1[.0-9]*$' -e "^\./usr/share/doc/$runtime/" \
     -e "^\./usr/share/lintian/overrides/$runtime\$"; then
  fail "$runtime holds files beyond its library (above): a libfilelock2 could not install beside it"
fi
grep -q '/libfilelock\.so -> ' "$work/dev.contents" || fail "libfilelock-dev lacks libfilelock.so"
grep -q '/libfilelock\.a$' "$work/dev.contents" || fail "libfilelock-dev lacks libfilelock.a"
# A manual page (or a link to its family's page) for every function of filelock.h.
for f in $(sed -n 's/^FL_API [^(]*[ *]\(fl_[a-z0-9_]*\)(.*/\1/p' "$here/../../filelock.h"); do
  grep -q " \./usr/share/man/man3/$f\.3\.gz\( -> .*\)\?$" "$work/dev.contents" ||
    fail "libfilelock-dev has no man page $f(3)"
done
examples=/usr/share/doc/libfilelock-dev/examples
for f in quickstart.c counter.c; do
  grep -q " \.$examples/$f\$" "$work/dev.contents" || fail "libfilelock-dev lacks $examples/$f"
done

# Files the packages will own; refuse to overwrite files nobody owns (a manual install).
packages=("$runtime" libfilelock-dev)
if [ -x "$build/bin/filelock" ]; then
  [ -n "$cli_deb" ] || fail "the filelock command was built but no filelock package was made"
fi
if [ -n "$cli_deb" ]; then
  optional_deb "$cli_deb" cli
  echo "$(basename "$cli_deb"): Depends: $(dpkg-deb -f "$cli_deb" Depends)"
  depends_on "$cli_deb" "$runtime (= $version)"
  grep -q ' \./usr/bin/filelock$' "$work/cli.contents" || fail "the filelock package lacks /usr/bin/filelock"
  grep -q ' \./usr/share/man/man1/filelock\.1\.gz$' "$work/cli.contents" || fail "the filelock package lacks filelock(1)"
fi
if [ -n "$python_deb" ]; then optional_deb "$python_deb" python; fi
go_dir=/usr/share/gocode/src/filelock.dev/filelock
if [ -n "$go_deb" ]; then
  optional_deb "$go_deb" go
  echo "$(basename "$go_deb"): Depends: $(dpkg-deb -f "$go_deb" Depends)"
  depends_on "$go_deb" "libfilelock-dev (= $version)"
  depends_on "$go_deb" golang-go
  [ "$(dpkg-deb -f "$go_deb" Architecture)" = all ] || fail "golang-filelock-dev is not Architecture: all"
  for f in go.mod lock.go state.go flock/flock.go internal/native/native.go internal/native/native_wrap.c; do
    grep -q " \.$go_dir/$f\$" "$work/go.contents" || fail "golang-filelock-dev lacks $go_dir/$f"
  done
  if grep -q '_test\.go$' "$work/go.contents"; then fail "golang-filelock-dev ships tests"; fi
fi
if [ -n "$cil_deb" ]; then
  optional_deb "$cil_deb" cil
  echo "$(basename "$cil_deb"): Depends: $(dpkg-deb -f "$cil_deb" Depends)"
  depends_on "$cil_deb" "$runtime (= $version)"
  nupkg=$(awk '$6 ~ /\/filelock\/nuget\/Filelock\.[^/]*\.nupkg$/ { sub(/^\./, "", $6); print $6 }' "$work/cil.contents")
  [ -n "$nupkg" ] || fail "libfilelock-cil-dev has no filelock/nuget/Filelock.*.nupkg"
  # The feed's package must carry the binding's glue but not a private libfilelock.so.1.
  dpkg-deb -x "$cil_deb" "$work/cil"
  cmake -E tar tf "$work/cil$nupkg" >"$work/nupkg.entries"
  grep -qx 'runtimes/linux-x64/native/libfilelock_csharp_native.so' "$work/nupkg.entries" ||
    fail "$nupkg lacks the glue libfilelock_csharp_native.so"
  if grep -q 'libfilelock\.so' "$work/nupkg.entries"; then fail "$nupkg carries its own libfilelock.so.1"; fi
fi
# Every package as Debian would take it: lintian's errors fail, its warnings are shown.
step "lintian"
# TMPDIR: lintian leaves its mldbm-* databases in the temp folder; $work goes at exit.
TMPDIR="$work" lintian --tag-display-limit 0 "$work"/debs/*.deb >"$work/lintian.log" 2>&1 || lintian_rc=$?
grep -v 'running with root privileges' "$work/lintian.log" || true
[ "${lintian_rc:-0}" -eq 0 ] || fail "lintian found errors (E: above)"
grep -q '^[EW]: ' "$work/lintian.log" || echo "lintian: no errors, no warnings"

# No ELF file installed or packed may look for libraries in the build tree (or any
# other fixed directory): a RUNPATH/RPATH may only name $ORIGIN-relative places. The
# NuGet package's libfilelock.so.1 carries cJSON itself: it needs no libcjson1.
step "RUNPATH of every ELF file in the packages and the NuGet packages"
mkdir "$work/elf"
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/elf/$(basename "$deb" .deb)"; done
for pkg in "$build"/bindings/csharp/packages/*.nupkg "$build"/bindings/csharp/system-feed/*.nupkg; do
  [ -f "$pkg" ] || continue
  dir=$work/elf/$(basename "$(dirname "$pkg")")-$(basename "$pkg")
  mkdir -p "$dir" && (cd "$dir" && cmake -E tar xf "$pkg")
done
elf_count=0
while IFS= read -r -d '' f; do
  readelf -h "$f" >/dev/null 2>&1 || continue
  elf_count=$((elf_count + 1))
  paths=$(readelf -d "$f" | sed -n 's/.*(\(RUNPATH\|RPATH\)).*\[\(.*\)\]$/\2/p')
  for p in ${paths//:/ }; do
    case "$p" in
      '$ORIGIN' | '$ORIGIN/'*) ;;
      *) fail "${f#"$work/elf/"} has RUNPATH/RPATH '$p'${build:+ (build tree: $build)}" ;;
    esac
  done
  case "$f" in
    *.nupkg/runtimes/*/libfilelock.so.1)
      if readelf -d "$f" | grep -q 'NEEDED.*libcjson'; then fail "${f#"$work/elf/"} needs libcjson"; fi ;;
  esac
done < <(find "$work/elf" -type f -print0)
[ "$elf_count" -gt 0 ] || fail "no ELF file found in the packages"
echo "$elf_count ELF files: no RUNPATH outside \$ORIGIN"

cat "$work"/*.contents | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' \
  >"$work/files"
for pkg in "${packages[@]}"; do
  if dpkg -s "$pkg" >/dev/null 2>&1; then fail "$pkg is already installed; remove it first"; fi
done
while read -r f; do
  if [ -e "$f" ] || [ -L "$f" ]; then fail "$f exists and is not from these packages"; fi
done <"$work/files"
# Directories the packages create must go again when they are purged.
cat "$work"/*.contents | awk '$1 ~ /^d/ { sub(/^\./, "", $6); print $6 }' | sort -u |
  while read -r d; do
    if [ ! -e "$d" ]; then echo "$d"; fi
  done >"$work/new-dirs"

step "install (dpkg -i)"
installed=("${packages[@]}")
dpkg_waiting -i "${debs[@]}" || { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }
ldconfig -p | grep 'libfilelock.so.1 ' >/dev/null || fail "libfilelock.so.1 not in the ld.so cache"
if [ -n "$cli_deb" ]; then
  env -u LD_LIBRARY_PATH /usr/bin/filelock --help >/dev/null || fail "the installed filelock command does not run"
fi

# The next major beside this one: the runtime package repacked as libfilelock2 (library
# file, SONAME, package name, shlibs and doc directory renamed) must install next to
# the runtime and the command, and go again leaving them whole.
step "side by side: a SONAME-bumped runtime (libfilelock2) beside $runtime"
next=libfilelock2
dpkg-deb -R "$runtime_deb" "$work/next"
(
  cd "$work/next"
  lib=$(find . -name 'libfilelock.so.1.*' -type f)
  libdir=$(dirname "$lib")
  # Same length, so the dynamic string table keeps its layout.
  perl -0pi -e 's/libfilelock\.so\.1\0/libfilelock.so.2\0/g' "$lib"
  mv "$lib" "$libdir/libfilelock.so.2.0.0"
  rm "$libdir/libfilelock.so.1"
  ln -s libfilelock.so.2.0.0 "$libdir/libfilelock.so.2"
  if [ -d "usr/share/doc/$runtime" ]; then mv "usr/share/doc/$runtime" "usr/share/doc/$next"; fi
  overrides=usr/share/lintian/overrides
  if [ -f "$overrides/$runtime" ]; then
    sed "s/^$runtime:/$next:/" "$overrides/$runtime" >"$overrides/$next"
    rm "$overrides/$runtime"
  fi
  sed -i "s/^Package: .*/Package: $next/" DEBIAN/control
  echo "libfilelock 2 $next (>= 2.0.0)" >DEBIAN/shlibs
  find usr -type f -exec md5sum {} + >DEBIAN/md5sums
)
# Wherever the build put it: usr/lib, or usr/lib/<multiarch> with a /usr prefix.
grep -q 'SONAME *libfilelock\.so\.2$' <<<"$(objdump -p "$(find "$work/next/usr" -name libfilelock.so.2.0.0)")" ||
  fail "the repacked library's SONAME is not libfilelock.so.2"
dpkg-deb --root-owner-group -b "$work/next" "$work/next.deb" >/dev/null
installed+=("$next")
dpkg_waiting -i "$work/next.deb" || { cat "$work/dpkg.log" >&2; fail "install $next beside $runtime"; }
ldconfig -p | grep 'libfilelock.so.2 ' >/dev/null || fail "libfilelock.so.2 not in the ld.so cache"
dpkg_waiting -P "$next" || { cat "$work/dpkg.log" >&2; fail "remove $next"; }
installed=("${packages[@]}")
grep -q '^Status: install ok installed' <<<"$(dpkg -s "$runtime" 2>/dev/null)" || fail "$runtime damaged by $next"
dpkg_waiting --verify "${packages[@]}" && [ ! -s "$work/dpkg.log" ] ||
  { cat "$work/dpkg.log" >&2; fail "files of ${packages[*]} changed by $next"; }
ldconfig -p | grep 'libfilelock.so.1 ' >/dev/null || fail "libfilelock.so.1 left the ld.so cache with $next"

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
[ -x "$work/find_package/consumer_find_package_static" ] || fail "no filelock::filelock_static from /usr"
"${clean_env[@]}" "$work/find_package/consumer_find_package_static" find_package-static "$work/fps.state"

step "consumer: pkg-config filelock"
"${clean_env[@]}" pkg-config --exact-version="${version%-*}" filelock ||
  fail "pkg-config does not find filelock ${version%-*}"
# shellcheck disable=SC2046  # pkg-config output is meant to be split
"${clean_env[@]}" "$cc" -o "$work/consumer_pkg_config" "$here/linked_main.c" \
  $("${clean_env[@]}" pkg-config --cflags --libs filelock)
check_loads_installed "$work/consumer_pkg_config"
"${clean_env[@]}" "$work/consumer_pkg_config" pkg-config "$work/pc.state"

step "consumer: pkg-config --static filelock (libfilelock.a)"
"${clean_env[@]}" CC="$cc" bash "$here/static_consumer.sh" "$work/consumer_static"

step "consumer: the examples in $examples, and man fl_lock"
mkdir "$work/examples"
for f in quickstart counter; do
  # shellcheck disable=SC2046  # pkg-config output is meant to be split
  "${clean_env[@]}" "$cc" -o "$work/examples/$f" "$examples/$f.c" $("${clean_env[@]}" pkg-config --cflags --libs filelock) ||
    fail "build $examples/$f.c"
  check_loads_installed "$work/examples/$f"
done
grep -q '^generation [0-9]*: ' <<<"$(cd "$work/examples" && "${clean_env[@]}" ./quickstart)" || fail "the quickstart example"
"${clean_env[@]}" "$work/examples/counter" "$work/examples/count.json" a 3 >/dev/null || fail "the counter example"
[ "$("${clean_env[@]}" "$work/examples/counter" "$work/examples/count.json" read)" = 3 ] || fail "the counter example's count"
if command -v man >/dev/null; then
  # fl_unlock.3.gz links to its family's page, which man -w names.
  grep -q '^/usr/share/man/man3/fl_lock\.3\.gz$' <<<"$(man -w fl_unlock 2>/dev/null)" || fail "man fl_unlock finds no page"
  grep -q 'fl_lock_options_init, fl_open, fl_lock' <<<"$(MANWIDTH=80 man 3 fl_unlock 2>/dev/null)" || fail "man fl_unlock is not fl_lock(3)"
fi

step "consumer: dlopen(\"libfilelock.so.1\")"
"${clean_env[@]}" "$cc" -o "$work/consumer_dlopen" "$here/dlopen/main.c" -ldl
"${clean_env[@]}" "$work/consumer_dlopen" dlopen "$work/dl.state"

if [ -n "$python_deb" ]; then
  step "consumer: Python (python3-libfilelock)"
  (cd "$work" && env -i PATH=/usr/bin:/bin /usr/bin/python3 -I "$here/python_consumer.py" "$work/py.state")
fi

if [ -n "$go_deb" ]; then
  # Only the system's files: a private cache and GOPATH, no proxy, no toolchain download.
  go_env=(env -i PATH=/usr/bin:/bin HOME="$work/home" GOCACHE="$work/gocache"
          GOPROXY=off GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=1 CC="$cc")
  check_go_consumer() {
    local exe=$1 out loaded
    check_loads_installed "$exe"
    mkdir "$exe.d"
    out=$("${go_env[@]}" "$exe" "${version%-*}" "$exe.d") || fail "$exe"
    echo "$out"
    grep -qx "ok ${version%-*}" <<<"$out" || fail "$exe did not finish"
    loaded=$(sed -n 's/^loaded //p' <<<"$out")
    case "$(readlink -f "$loaded")" in
      /usr/lib/*) ;;
      *) fail "$exe mapped libfilelock.so.1 from '$loaded', not the package" ;;
    esac
  }

  step "consumer: Go module (replace => $go_dir)"
  cp -r "$here/go" "$work/go-module"
  (cd "$work/go-module" && "${go_env[@]}" GOPATH="$work/gopath" go build -o "$work/go-module-consumer" .) ||
    fail "build the Go module consumer"
  check_go_consumer "$work/go-module-consumer"

  step "consumer: Go GOPATH mode (GOPATH=.../gocode)"
  mkdir -p "$work/gopath-mode/src/consumer"
  cp "$here/go/main.go" "$work/gopath-mode/src/consumer/"
  (cd "$work/gopath-mode/src/consumer" &&
    "${go_env[@]}" GO111MODULE=off GOPATH="$work/gopath-mode:${go_dir%/src/*}" go build -o "$work/go-gopath-consumer" .) ||
    fail "build the Go consumer in GOPATH mode"
  check_go_consumer "$work/go-gopath-consumer"
fi

if [ -n "$cil_deb" ] && command -v dotnet >/dev/null; then
  step "consumer: C# (Filelock from $(dirname "$nupkg"))"
  mkdir -p "$work/cs/app" "$work/home"
  cp "$here/csharp/SystemConsumer.csproj" "$here/csharp/Program.cs" "$work/cs/app/"
  # Nothing from above the work directory: no Directory.Build.props, no nuget.config.
  echo '<Project />' >"$work/cs/app/Directory.Build.props"
  sdk_feed=/opt/nuget/packages  # the SDK's own packages on this offline machine, if present
  {
    echo '<?xml version="1.0" encoding="utf-8"?>'
    echo '<configuration><packageSources><clear />'
    echo "<add key=\"filelock\" value=\"$(dirname "$nupkg")\" />"
    if [ -d "$sdk_feed" ]; then echo "<add key=\"sdk\" value=\"$sdk_feed\" />"; fi
    echo '</packageSources></configuration>'
  } >"$work/cs/nuget.config"
  # TMPDIR: the dotnet CLI leaves empty directories in the temp folder.
  mkdir -p "$work/cs/tmp"
  dotnet_env=(env -i PATH=/usr/bin:/bin HOME="$work/home" DOTNET_CLI_HOME="$work/home"
              DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
              NUGET_PACKAGES="$work/cs/packages" TMPDIR="$work/cs/tmp")
  "${dotnet_env[@]}" dotnet restore "$work/cs/app/SystemConsumer.csproj" --configfile "$work/cs/nuget.config" \
    --disable-build-servers >"$work/cs.log" 2>&1 || { cat "$work/cs.log" >&2; fail "restore the C# consumer"; }
  "${dotnet_env[@]}" dotnet build "$work/cs/app/SystemConsumer.csproj" --no-restore -c Release \
    -o "$work/cs/out" --disable-build-servers -nodeReuse:false >>"$work/cs.log" 2>&1 ||
    { cat "$work/cs.log" >&2; fail "build the C# consumer"; }
  if find "$work/cs/out" -name 'libfilelock.so*' | grep . >/dev/null; then
    fail "the C# consumer's output carries its own libfilelock.so.1"
  fi
  out=$("${dotnet_env[@]}" dotnet "$work/cs/out/SystemConsumer.dll" "${version%-*}") || fail "the C# consumer"
  echo "$out"
  grep -qx "ok ${version%-*}" <<<"$out" || fail "the C# consumer did not finish"
  core=$(sed -n 's/^loaded \(.*\/libfilelock\.so\.1[.0-9]*\)$/\1/p' <<<"$out")
  case "$(readlink -f "${core:-/nowhere}")" in
    /usr/lib/*) ;;
    *) fail "the C# consumer loaded libfilelock.so.1 from '${core:-nowhere}', not the system" ;;
  esac
  grep -qx "loaded $work/cs/out/runtimes/linux-x64/native/libfilelock_csharp_native.so" <<<"$out" ||
    fail "the C# consumer did not load the package's glue"
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
while read -r d; do
  if [ -e "$d" ]; then fail "$d left behind"; fi
done <"$work/new-dirs"
if ldconfig -p | grep 'libfilelock\.so' >/dev/null; then fail "libfilelock still in the ld.so cache"; fi
echo "packages built, installed, used by every consumer and removed cleanly"
