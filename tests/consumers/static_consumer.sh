#!/usr/bin/env bash
# Builds linked_main.c against libfilelock.a through `pkg-config --static` and runs it.
#   static_consumer.sh OUTPUT   (PKG_CONFIG_PATH, CC as the caller has them)
# pkg-config gives -lfilelock plus the archive's own needs (Libs.private,
# Requires.private). -l:libfilelock.a picks the archive where the shared library
# sits beside it. A fully -static link also needs every dependency as an archive,
# which Debian does not ship for cJSON (no libcjson.a): then libc, libstdc++ and
# libcjson stay shared and the program says so.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: static_consumer.sh OUTPUT}
fail() { echo "FAIL $*" >&2; exit 1; }
cc=${CC:-cc}
cflags=$(pkg-config --cflags --static filelock)
libs=$(pkg-config --libs --static filelock)
echo "pkg-config --static --libs filelock: $libs"
grep -qw -- -lcjson <<<"$libs" || fail "pkg-config --static does not name cJSON"
archive_libs=$(sed 's/\(^\| \)-lfilelock\( \|$\)/\1-l:libfilelock.a\2/' <<<"$libs")
how="static libfilelock, shared libc"
# shellcheck disable=SC2086  # pkg-config output is meant to be split
if "$cc" -static -o "$out" "$here/linked_main.c" $cflags $archive_libs 2>"$out.static.log"; then
  how="fully static"
else
  "$cc" -o "$out" "$here/linked_main.c" $cflags $archive_libs ||
    fail "link linked_main.c against libfilelock.a"
fi
if readelf -d "$out" | grep -q 'NEEDED.*libfilelock'; then fail "$out needs libfilelock.so"; fi
echo "linked: $how"
"$out" "pkg-config-static ($how)" "$out.state"
