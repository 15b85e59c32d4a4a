#!/usr/bin/env bash
# Builds libfilelock.so.1 from do-nothing stubs of every function a header declares,
# with -g and the given version script: a library with exactly the header's ABI.
#   build-stub.sh HEADER OUT_DIR VERSION_SCRIPT [EXTRA_SOURCE...]
# CXX selects the compiler, STUB_SONAME the SONAME (default libfilelock.so.1). -O0 keeps each stub a separate function (at -O2 identical
# bodies are folded into one and lose their own debug info).
set -euo pipefail
header=$1 out=$2 map=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
python3 "$here/make_stub.py" "$header" "$out/stub.cpp"
"${CXX:-c++}" -std=c++17 -shared -fPIC -g -O0 -fvisibility=hidden -Wno-unused-parameter \
  -DFILELOCK_BUILDING -I "$(dirname "$header")" "$out/stub.cpp" "$@" \
  -Wl,-soname,"${STUB_SONAME:-libfilelock.so.1}" -Wl,--version-script="$map" -o "$out/libfilelock.so.1"
