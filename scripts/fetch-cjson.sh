#!/usr/bin/env bash
# Puts cJSON's upstream sources, as Debian 12 ships them (upstream 1.7.15 plus Debian's
# security patches), into DEST: DEST/cJSON.c and DEST/cjson/cJSON.h. Builds for
# platforms Debian has no cJSON for (Windows, macOS) compile these; Linux builds link the
# system libcjson. Fetched with apt's own client from the source archive of the Debian
# mirrors this machine uses, through a private copy of its source list (the system's
# apt configuration is not touched); the upstream
# tarball must match the pinned checksum. Idempotent: does nothing if DEST is complete.
#   scripts/fetch-cjson.sh DEST
set -euo pipefail
dest=${1:?usage: fetch-cjson.sh DEST}
upstream=1.7.15
orig_sha256=5308fd4bd90cef7aa060558514de6a1a4a0819974a26e6ed13973c5f624c24b2

if [[ -f "$dest/cJSON.c" && -f "$dest/cjson/cJSON.h" && -f "$dest/VERSION" ]]; then
  exit 0
fi
command -v dpkg-source >/dev/null || { echo "fetch-cjson: dpkg-source missing (apt-get install dpkg-dev)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/parts" "$work/lists/partial" "$work/get"
# The machine's own Debian sources, as source-package entries.
for f in /etc/apt/sources.list.d/*.sources; do
  if [[ -f $f ]]; then sed 's/^Types:.*/Types: deb-src/' "$f" > "$work/parts/$(basename "$f")"; fi
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  if [[ -f $f ]]; then sed -n 's/^deb[[:space:]]/deb-src /p' "$f" > "$work/parts/$(basename "$f").list"; fi
done
apt_opts=(-q -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$work/parts"
          -o Dir::State::Lists="$work/lists" -o APT::Sandbox::User=root)
apt-get "${apt_opts[@]}" update >"$work/update.log" 2>&1 ||
  { cat "$work/update.log" >&2; echo "fetch-cjson: cannot read Debian's source index" >&2; exit 1; }
(cd "$work/get" && apt-get "${apt_opts[@]}" source --download-only "cjson" >"$work/get.log" 2>&1) ||
  { cat "$work/get.log" >&2; echo "fetch-cjson: cannot download the cjson source package" >&2; exit 1; }
orig="$work/get/cjson_${upstream}.orig.tar.gz"
[[ -f "$orig" ]] || { ls "$work/get" >&2; echo "fetch-cjson: Debian no longer ships cJSON $upstream" >&2; exit 1; }
echo "$orig_sha256  $orig" | sha256sum -c --quiet - ||
  { echo "fetch-cjson: cJSON $upstream tarball does not match the pinned checksum" >&2; exit 1; }
dsc=$(ls "$work/get"/cjson_*.dsc)
dpkg-source -x "$dsc" "$work/src" >"$work/extract.log" 2>&1 ||
  { cat "$work/extract.log" >&2; exit 1; }
mkdir -p "$dest/cjson"
cp "$work/src/cJSON.c" "$dest/cJSON.c"
cp "$work/src/cJSON.h" "$dest/cjson/cJSON.h"
cp "$work/src/LICENSE" "$dest/LICENSE"
basename "$dsc" .dsc > "$dest/VERSION"
echo "fetch-cjson: $(cat "$dest/VERSION") in $dest"
