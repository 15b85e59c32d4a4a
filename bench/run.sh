#!/usr/bin/env bash
# Every benchmark in one run: filelock beside the raw syscalls, SQLite and the
# other lock libraries that are installed, then one table of figures and ratios.
# Usage: bench/run.sh [DIR]   (DIR: where the files live, i.e. the disk measured;
#        default: the build directory. BUILD_DIR picks the build, default ./build.)
# Ratios matter, absolute times do not travel between machines.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$repo/build}
anchors=$repo/bench/anchors

cmake -S "$repo" -B "$build" -DFILELOCK_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target filelock-bench >/dev/null
# The bindings (when configured): the Python package, the Go pkg-config file, the C# assembly.
cmake --build "$build" -j"${JOBS:-2}" >/dev/null 2>&1 || true
cmake --build "$build" -j"${JOBS:-2}" --target filelock-bench-sqlite >/dev/null 2>&1 || true

dir=${1:-$build}
mkdir -p "$dir"
work=$(mktemp -d "$dir/bench-run-XXXXXX")
trap 'rm -rf "$work"' EXIT
figures=$build/bench-figures.txt

echo "filelock $(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)" \
     "on $(uname -sr), $(nproc) cores, $(stat -f -c %T "$dir") at $dir, $(date -u +%FT%TZ)"

skip() { echo "skipped: $1" >&2; }
# Go programs built against the Go binding and this build's library.
go_env=(env PKG_CONFIG_PATH="$build/bindings/go/pkgconfig" LD_LIBRARY_PATH="$build/lib"
        GOCACHE="$build/bindings/go/gocache" GOPATH="$build/bindings/go/gopath"
        GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=1)
# go_bench PATTERN BENCHTIME: the Go binding's benchmarks.
go_bench() {
  (cd "$repo/bindings/go" &&
    "${go_env[@]}" FILELOCK_BENCH_DIR="$work" go test -run '^$' -bench "$1" -benchtime "$2" .)
}
{
  "$build/bin/filelock-bench" "$work"
  if [ -x "$build/bin/filelock-bench-sqlite" ]; then
    "$build/bin/filelock-bench-sqlite" "$work"
  else
    skip "SQLite (install libsqlite3-dev and rebuild)"
  fi
  if /usr/bin/python3 -c 'import filelock, portalocker, fasteners' 2>/dev/null; then
    /usr/bin/python3 "$anchors/py_locks.py" "$work"
  else
    skip "py-filelock, portalocker, fasteners (apt-get install python3-filelock python3-portalocker python3-fasteners)"
  fi
  if command -v go >/dev/null && [ -d /usr/share/gocode/src/github.com/gofrs/flock ]; then
    GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= go run "$anchors/gofrs_flock.go" "$work/gofrs.lock"
  else
    skip "gofrs/flock (apt-get install golang-go golang-github-gofrs-flock-dev)"
  fi
  if command -v go >/dev/null && [ -f "$build/bindings/go/pkgconfig/filelock.pc" ]; then
    # The same program with its import switched to the drop-in filelock.dev/filelock/flock.
    mkdir -p "$work/dropin"
    sed 's|"github.com/gofrs/flock"|"filelock.dev/filelock/flock"|; s|golock.gofrs_flock_us|golock.filelock_dropin_us|' \
      "$anchors/gofrs_flock.go" >"$work/dropin/main.go"
    printf 'module dropin\n\ngo 1.19\n\nrequire filelock.dev/filelock v0.0.0\n\nreplace filelock.dev/filelock => %s\n' \
      "$repo/bindings/go" >"$work/dropin/go.mod"
    (cd "$work/dropin" && "${go_env[@]}" go run . "$work/dropin.lock")
  fi
  if [ -f /usr/include/boost/interprocess/sync/file_lock.hpp ]; then
    g++ -O2 -std=c++17 -o "$work/boost_file_lock" "$anchors/boost_file_lock.cpp" -lpthread &&
      "$work/boost_file_lock" "$work/boost.lock"
  else
    skip "Boost.Interprocess file_lock (apt-get install libboost-dev)"
  fi
  # The bindings, as users call them, for their overhead over the C figures above.
  if PYTHONPATH="$build/python" /usr/bin/python3 -c 'import libfilelock' 2>/dev/null; then
    PYTHONPATH="$build/python" /usr/bin/python3 "$repo/bench/bindings/py_binding.py" "$work"
  else
    skip "the Python binding (build with FILELOCK_BUILD_BINDINGS=ON)"
  fi
  if command -v go >/dev/null && [ -f "$build/bindings/go/pkgconfig/filelock.pc" ]; then
    go_bench '^Benchmark(LockUnlock|StateUpdateDurable1K|StateUpdateAtomic1K)Paired$' \
        "${GO_BENCHTIME:-2s}" |
      awk '/^BenchmarkLockUnlockPaired/ {f = "binding.go_lock"}
           /^BenchmarkStateUpdateDurable1KPaired/ {f = "binding.go_txn_1k"}
           /^BenchmarkStateUpdateAtomic1KPaired/ {f = "binding.go_txn_1k_atomic"}
           /^Benchmark/ {for (i = 5; i < NF; i += 2) {u = $(i + 1); sub(/-us$/, "", u)
             printf "%s%s_us %.3f\n", f, (u == "api" ? "" : "_" u), $i}}'
    # Handoff from another process's Unlock to a goroutine blocked in Lock, beside
    # gofrs/flock's calls in the same run (bench_handoff_test.go).
    go_bench '^Benchmark(HandoffVsGofrs|BlockedGoroutinesVsGofrs)$' "${GO_HANDOFF_ROUNDS:-300}x" |
      awk '/^BenchmarkHandoffVsGofrs\/record/ {f = "binding.go_handoff"}
           /^BenchmarkHandoffVsGofrs\/nosidecar/ {f = "binding.go_handoff_nosidecar"}
           /^BenchmarkBlockedGoroutinesVsGofrs/ {f = "binding.go_200_waiters"}
           /^Benchmark/ {for (i = 5; i < NF; i += 2) {u = $(i + 1); gsub(/-/, "_", u)
             printf "%s_%s %.3f\n", f, u, $i}}'
  else
    skip "the Go binding (build with FILELOCK_BUILD_BINDINGS=ON)"
  fi
  cs_bench=$build/bindings/csharp/artifacts/bin/Filelock.Tests/release/Filelock.Tests.dll
  if command -v dotnet >/dev/null && [ -f "$cs_bench" ]; then
    DOTNET_CLI_TELEMETRY_OPTOUT=1 dotnet "$cs_bench" --helper bench "$work"
  else
    skip "the C# binding (build with FILELOCK_BUILD_BINDINGS=ON and the .NET SDK)"
  fi
} > "$figures"

python3 "$repo/bench/report.py" "$figures"
echo
echo "raw figures: $figures"
