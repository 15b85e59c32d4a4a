#!/usr/bin/env bash
# Regenerates the ABI baseline (abi/filelock.abi, abi/filelock.constants).
#   update-baseline.sh BUILD_DIR      from BUILD_DIR/lib/libfilelock.so.1 (built with -g,
#                                     e.g. RelWithDebInfo); refuses unless the library
#                                     exports every function filelock.h declares
#   update-baseline.sh --from-header  from stubs of the header's declarations, for
#                                     when the library does not yet implement them all
# Only after a release, or for an intended break: see abi/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
header=$src/filelock.h
map=$src/cmake/filelock.map
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ "${1:-}" = "--from-header" ]; then
  bash "$here/build-stub.sh" "$header" "$work" "$map"
  lib=$work/libfilelock.so.1
elif [ -n "${1:-}" ]; then
  lib=$(readlink -f "$1/lib/libfilelock.so.1")
  python3 "$here/check_symbols.py" --complete "$lib" "$header" "$map"
else
  echo "usage: $0 BUILD_DIR | --from-header" >&2
  exit 2
fi

bash "$here/dump-baseline.sh" "$lib" "$header" "$here"
echo "baseline written: abi/filelock.abi ($(grep -c '<elf-symbol' "$here/filelock.abi") symbols)," \
  "abi/filelock.constants ($(wc -l <"$here/filelock.constants") constants)"
