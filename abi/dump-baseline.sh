#!/usr/bin/env bash
# Writes the ABI baseline of one library: OUT_DIR/filelock.abi (abidw, public types
# only) and OUT_DIR/filelock.constants (the header's compiled-in values).
#   dump-baseline.sh LIB HEADER OUT_DIR
set -euo pipefail
lib=$1 header=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
headers=$(mktemp -d)
trap 'rm -rf "$headers"' EXIT
cp "$header" "$headers/filelock.h"
# Only what the exported functions reach, with file names but no directories: the
# locations tell abidiff which types are public (from filelock.h), and the baseline
# must not depend on where it was built.
abidw --headers-dir "$headers" --drop-private-types --drop-undefined-syms --exported-interfaces-only \
  --short-locs --no-corpus-path --no-comp-dir-path "$lib" |
  sed -e "s|path='$src/|path='|g" -e "s|path='$(dirname "$lib")/|path='|g" >"$out/filelock.abi"
python3 "$here/constants.py" "$header" >"$out/filelock.constants"
