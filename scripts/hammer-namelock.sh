#!/usr/bin/env bash
# Long run of the LOCKFILE/LOCKDIR break hammer (tests/lock/break_race_posix_test.cpp):
# processes taking one lock in turn while the test kills them at random, checking that
# no two ever hold it. CI runs it for 3 s per backend; this runs it for SECONDS (default
# 600) per backend, ROUNDS times (default 1). Usage: hammer-namelock.sh [SECONDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
rounds=${2:-1}
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DFILELOCK_BUILD_BINDINGS=OFF -DFILELOCK_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" --target lock_tests -j"${JOBS:-2}"
for ((r = 1; r <= rounds; r++)); do
  echo "== round $r of $rounds, $seconds s per backend"
  FILELOCK_HAMMER_SECONDS=$seconds "$build/bin/lock_tests" \
    --gtest_filter='*BreakRace.HammerWithKillsNeverMakesTwoHolders*'
done
