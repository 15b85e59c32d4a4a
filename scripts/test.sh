#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, runs the whole CTest suite
# (C++, C, CLI, Python, Go, C#, ABI), the etcd:// suite against a three-member etcd
# cluster on 127.0.0.1 (tests/etcd/run.sh), the core and C API suites again under
# AddressSanitizer + UndefinedBehaviorSanitizer and again built to wait the way macOS
# does, the Windows build of the core, C API and Go binding suites under Wine, the macOS
# cross-build, the fuzz targets, SIGKILL torture runs (whole-document and journal
# commits), the lock and state suites under ThreadSanitizer, and the Debian package
# consumers.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-2}

bash scripts/install-deps.sh

# Each section's heading says when it starts, so a slow CI run shows where time went.
section() { echo "== $* (at $((SECONDS / 60))m$((SECONDS % 60))s)"; }

# The system Python is the one Debian's pytest and the wheel install target.
py=/usr/bin/python3

section "build"
cmake -S . -B build -DPython3_EXECUTABLE=$py >/dev/null
cmake --build build -j"$jobs"

section "tests"
(cd build && ctest --output-on-failure -j"$jobs" --timeout 600)

section "etcd:// locks and state against a three-member etcd cluster on 127.0.0.1, TLS and passwords on a fourth member, the two-host example (skips without etcd)"
bash tests/etcd/run.sh build

section "tests under ASan + UBSan"
cmake -S . -B build-asan -DFILELOCK_SANITIZE=ON -DFILELOCK_BUILD_BINDINGS=OFF \
  -DFILELOCK_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
# use_sigaltstack=0: ASan misreports the teardown of a thread ended by pthread_cancel
# (google/sanitizers#1399), which is how a lock wait stops its waiter thread.
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:use_sigaltstack=0 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"$jobs" --timeout 600 -L sanitize)
ASAN_OPTIONS=detect_leaks=1:use_sigaltstack=0 UBSAN_OPTIONS=print_stacktrace=1 \
  bash tests/etcd/run.sh build-asan  # the etcd:// suite against a cluster, under ASan + UBSan

section "the macOS way of waiting, on Linux: parked flock waiters, a pipe wake-up"
# Debug, as the ASan build: the suites wait and write files, -O0 runs them as fast.
cmake -S . -B build-macwaits -DFILELOCK_MACOS_WAITS=ON -DFILELOCK_BUILD_BINDINGS=OFF \
  -DFILELOCK_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-macwaits -j"$jobs"
(cd build-macwaits && ctest --output-on-failure -j"$jobs" --timeout 600 -L sanitize)

section "Windows: MinGW-w64 cross-build; core, C API and Go binding suites under Wine"
bash scripts/windows-check.sh build-win

section "macOS: Zig cross-build of the library, CLI and test suites (built, not run)"
bash scripts/macos-check.sh build-mac

section "fuzz: every parser of bytes from disk, 8 s a target (scripts/fuzz.sh SECONDS for long runs)"
bash scripts/fuzz.sh 8

section "SIGKILL torture: C and binding workers killed at random while committing"
BUILD=build bash scripts/torture.sh 30
section "SIGKILL torture with a journal: appends and checkpoints killed at random"
BUILD=build TORTURE_JOURNAL=4096 bash scripts/torture.sh 20

section "ThreadSanitizer: the lock and state suites"
cmake -S . -B build-tsan -DFILELOCK_BUILD_BINDINGS=OFF -DFILELOCK_BUILD_BENCHMARKS=OFF \
  -DFILELOCK_BUILD_CLI=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS=-fsanitize=thread -DCMAKE_CXX_FLAGS=-fsanitize=thread \
  -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread >/dev/null
cmake --build build-tsan --target lock_tests state_core_test state_capi_test -j"$jobs"
# Left out: the JSON suites (json_test.cpp, json_safety_test.cpp's Pointer and
# SchemaPattern): that code runs on one thread, so TSan has nothing to see there, and it
# slows them 5-15x (JsonParse.LargeObjectsStayLinear alone: 74 s; Regex.Pathological...
# asserts a time bound). Inspect.QueryShowsAnotherProcessAsHolder once listed a second
# OFD holder under TSan's slowdown: not a race report, but flaky there.
# Every report goes to a file (helper processes' too), so none can hide behind a rerun.
rm -rf build-tsan/reports && mkdir -p build-tsan/reports
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp log_path=$PWD/build-tsan/reports/tsan"
# A suite, in two shards at once (a wait leaves its core idle); tests that failed run
# once more on their own: the lock tests' timing asserts allow 40 ms of scheduling
# slack, which TSan's slowdown can use up.
tsan_suite() {
  local log="build-tsan/reports/$(basename "$1")" failed shard pids=()
  for shard in 0 1; do
    GTEST_TOTAL_SHARDS=2 GTEST_SHARD_INDEX=$shard "$1" --gtest_brief=1 --gtest_filter="$2" \
      >"$log.$shard.out" 2>&1 &
    pids+=($!)
  done
  failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ $failed = 0 ] && return 0
  failed=$(sed -n 's/^\[  FAILED  \] \([^ ,]*\.[^ ,]*\)[ ,].*/\1/p' "$log".*.out | sort -u | paste -sd:)
  [ -n "$failed" ] || { cat "$log".*.out build-tsan/reports/tsan.* 2>/dev/null; return 1; }
  echo "tsan: $(basename "$1"): once more: $failed"
  "$1" --gtest_brief=1 --gtest_filter="$failed" || { cat "$log".*.out; return 1; }
}
# TSan cannot start threads in a child forked from a multi-threaded process, and a wait
# for another filelock process leaves this process its holder watcher thread
# (release_wake.hpp): the tests whose forked children wait run in a process of their
# own, and the one that forks after starting the watcher on purpose is left out here.
tsan_suite build-tsan/bin/lock_tests \
  '-Inspect.QueryShowsAnotherProcessAsHolder:*ForkWait.*:ReleaseWake.AForkedChild*'
tsan_suite build-tsan/bin/lock_tests '*ForkWait.*'
tsan_suite build-tsan/bin/state_core_test -Json*:Regex.*:SchemaPattern.*:Pointer.*
tsan_suite build-tsan/bin/state_capi_test '*'
unset TSAN_OPTIONS
if ls build-tsan/reports/tsan.* >/dev/null 2>&1; then
  cat build-tsan/reports/tsan.*
  exit 1
fi

if [ -x tests/consumers/run.sh ]; then
  section "Debian packages and their consumers"
  bash tests/consumers/run.sh build
fi
section "done"
