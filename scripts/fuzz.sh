#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan) and runs each for
# SECONDS seconds from its committed seed corpus, printing the executions per target.
# scripts/test.sh runs a short round; give long runs hours: scripts/fuzz.sh 3600.
# New inputs collect in <build>/corpus/<target> (kept between runs, never committed);
# a crash or broken invariant saves its input as <build>/artifacts/<target>-crash-*.
# Usage: scripts/fuzz.sh [SECONDS-PER-TARGET] [TARGET...]   (default 60, all targets;
# BUILD_FUZZ=dir picks the build tree, default build-fuzz; JOBS=n the build's jobs and
# the fuzzers run at once)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
build=${BUILD_FUZZ:-build-fuzz}
jobs=${JOBS:-2}

CC=clang CXX=clang++ cmake -S . -B "$build" -DFILELOCK_FUZZ=ON -DBUILD_TESTING=OFF \
  -DFILELOCK_BUILD_BINDINGS=OFF -DFILELOCK_BUILD_BENCHMARKS=OFF -DFILELOCK_BUILD_CLI=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz_all -j"$jobs" >/dev/null

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for dir in tests/fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi
mkdir -p "$build/artifacts"
# The targets' scratch files, removed afterwards (a run ends without exit handlers).
scratch_base=/dev/shm
[ -w "$scratch_base" ] || scratch_base=${TMPDIR:-/tmp}
FILELOCK_FUZZ_DIR=$(mktemp -d "$scratch_base/filelock-fuzz-run-XXXXXX")
export FILELOCK_FUZZ_DIR
trap 'rm -rf "$FILELOCK_FUZZ_DIR"' EXIT
# One fuzzer per job at a time (each runs on one core; each makes its own scratch folder
# in FILELOCK_FUZZ_DIR).
run_target() {
  local t=$1 log="$build/artifacts/$1.log"
  mkdir -p "$build/corpus/$t"
  # -timeout: one input taking this long is a finding (every parser here is linear).
  if "$build/bin/fuzz_$t" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
      "$build/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    echo ok >"$build/artifacts/$t.status"
  else
    echo FAILED >"$build/artifacts/$t.status"
  fi
}
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run_target "$t" &
done
wait
failed=()
total=0
for t in "${targets[@]}"; do
  log="$build/artifacts/$t.log"
  status=$(cat "$build/artifacts/$t.status" 2>/dev/null || echo FAILED)
  [ "$status" = ok ] || failed+=("$t")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  corpus=$(ls "$build/corpus/$t" | wc -l)
  total=$((total + ${execs:-0}))
  printf 'fuzz: %-18s %s  %10s execs in %ss, %s inputs in the corpus\n' "$t" "$status" "${execs:-?}" "$seconds" "$corpus"
done
echo "fuzz: ${#targets[@]} targets, $total executions in all"
if [ ${#failed[@]} -ne 0 ]; then
  for t in "${failed[@]}"; do
    echo "== fuzz_$t: the end of $build/artifacts/$t.log"
    grep -v '^#' "$build/artifacts/$t.log" | tail -40
  done
  exit 1
fi
