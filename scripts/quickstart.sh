#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and runs the demos: processes
# contending for one lock and one state file, then workers in C, Python, Go and C#
# sharing one state file with one of them killed midway.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build build -j"${JOBS:-2}"
echo "== processes contending for one lock"
build/bin/filelock-demo "$@"
echo
echo "== workers in four languages sharing one state file"
cmake --build build --target interop_demo
