#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and runs the demo (several
# processes contending for one lock and one state file).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build build -j"${JOBS:-2}"
exec build/bin/filelock-demo "$@"
