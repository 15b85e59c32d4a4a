#!/usr/bin/env bash
# Starts a three-member etcd cluster on 127.0.0.1 (free ports, data in a temporary
# directory), runs etcd_tests against it, kills one member and runs the degraded test,
# then stops the cluster (also on failure or interrupt). Then the figures: the same
# cluster measured with etcdctl, beside the library's. The Python, Go and C# bindings' etcd
# tests run on the same cluster where they were built.
#
#   tests/etcd/run.sh [BUILD_DIR]      (default: build)
#
# Skips (exit 0, with a message) only when etcd or etcdctl is not installed
# (scripts/install-deps.sh installs them: etcd-server, etcd-client).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$(realpath -m "${1:-$ROOT/build}")
TESTS="$BUILD/bin/etcd_tests"

if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
  echo "etcd tests: SKIPPED: etcd/etcdctl not installed (apt-get install etcd-server etcd-client)"
  exit 0
fi
[[ -x "$TESTS" ]] || { echo "etcd tests: $TESTS not built (needs libcurl4-openssl-dev)" >&2; exit 1; }

# tmpfs when there is one: etcd fsyncs every write, and the tests measure the library.
WORK=$(mktemp -d -p "$( [[ -d /dev/shm && -w /dev/shm ]] && echo /dev/shm || echo "${TMPDIR:-/tmp}")" filelock-etcd.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# Eight free ports from the kernel (bound to port 0 and released just before etcd binds them).
read -r -a ports <<<"$(python3 -c '
import socket
socks = [socket.socket() for _ in range(8)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')"

cluster=""
endpoints=""
for i in 0 1 2; do
  cluster+="${cluster:+,}m$i=http://127.0.0.1:${ports[$((3 + i))]}"
  endpoints+="${endpoints:+,}127.0.0.1:${ports[$i]}"
done
# Member I, started (or restarted: a member with data ignores the initial-* flags).
start_member() {
  local i=$1
  etcd --name "m$i" --data-dir "$WORK/m$i" \
    --listen-client-urls "http://127.0.0.1:${ports[$i]}" --advertise-client-urls "http://127.0.0.1:${ports[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${ports[$((3 + i))]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${ports[$((3 + i))]}" \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token "fltest-$$" \
    --logger zap --log-outputs "$WORK/m$i.log" --log-level warn &
  pids[$i]=$!
}
for i in 0 1 2; do start_member "$i"; done

# A fourth etcd, alone, that speaks only TLS, requires client certificates and, once
# set up below, password authentication with tokens that expire after 3 s unused: the
# settings tls_ca, tls_cert, tls_key, user and password_file are tested against it.
TLS="$WORK/tls"
mkdir -p "$TLS"
(
  cd "$TLS"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=fltest-ca -keyout ca-key.pem -out ca.pem
  openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server-key.pem -out server.csr
  printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile san.ext -out server.pem
  # No CommonName: with authentication on, etcd's gateway refuses a client certificate
  # that has one (it would not be the user).
  openssl req -newkey rsa:2048 -nodes -subj /O=fltest-client -keyout client-key.pem -out client.csr
  openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -out client.pem
  printf 'fltest-secret\n' >password
) >"$WORK/tls.log" 2>&1 || { cat "$WORK/tls.log" >&2; echo "etcd tests: cannot make TLS certificates" >&2; exit 1; }
secure="127.0.0.1:${ports[6]}"
etcd --name sec --data-dir "$WORK/sec" \
  --listen-client-urls "https://$secure" --advertise-client-urls "https://$secure" \
  --listen-peer-urls "http://127.0.0.1:${ports[7]}" --initial-advertise-peer-urls "http://127.0.0.1:${ports[7]}" \
  --initial-cluster "sec=http://127.0.0.1:${ports[7]}" --initial-cluster-state new \
  --cert-file "$TLS/server.pem" --key-file "$TLS/server-key.pem" \
  --client-cert-auth --trusted-ca-file "$TLS/ca.pem" --auth-token-ttl 3 \
  --logger zap --log-outputs "$WORK/sec.log" --log-level warn &
pids[3]=$!

export ETCDCTL_API=3
ctl() { etcdctl --endpoints="$endpoints" --dial-timeout=2s --command-timeout=5s "$@"; }
healthy() {  # ENDPOINTS: waits up to 15 s until each answers a linearizable read
  for _ in $(seq 150); do
    etcdctl --endpoints="$1" --dial-timeout=1s --command-timeout=2s endpoint health >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "etcd tests: $1 not healthy" >&2
  tail -5 "$WORK"/m*.log >&2
  return 1
}
healthy "$endpoints"
echo "etcd tests: cluster of 3 on $endpoints ($(etcd --version | head -1))"
sctl() { etcdctl --endpoints="https://$secure" --cacert "$TLS/ca.pem" --cert "$TLS/client.pem" \
  --key "$TLS/client-key.pem" --dial-timeout=2s --command-timeout=5s "$@"; }
for _ in $(seq 150); do sctl endpoint health >/dev/null 2>&1 && break; sleep 0.1; done
{ sctl user add root --new-user-password fltest-secret && sctl role add root &&
  sctl user grant-role root root && sctl auth enable; } >"$WORK/auth.log" 2>&1 ||
  { cat "$WORK/auth.log" "$WORK/sec.log" >&2; echo "etcd tests: cannot enable authentication" >&2; exit 1; }
echo "etcd tests: one member with TLS, client certificates and passwords on $secure"

export FILELOCK_TEST_ETCD="$endpoints"
export FILELOCK_TEST_ETCD_SECURE="$secure" FILELOCK_TEST_ETCD_TLS="$TLS"
"$TESTS" --gtest_brief=1

# The bindings on the same cluster, where they were built.
if [[ -d "$BUILD/python/libfilelock" ]]; then
  # The interpreter the module was built for.
  py=$(sed -n 's/^Python3_EXECUTABLE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
  PYTHONPATH="$BUILD/python" PYTHONDONTWRITEBYTECODE=1 "${py:-python3}" -m pytest -q -p no:cacheprovider \
    "$ROOT/bindings/python/tests/test_etcd.py"
fi
if [[ -d "$BUILD/bindings/go/pkgconfig" ]] && command -v go >/dev/null; then
  (cd "$ROOT/bindings/go" && PKG_CONFIG_PATH="$BUILD/bindings/go/pkgconfig" LD_LIBRARY_PATH="$BUILD/lib" \
    GOCACHE="$BUILD/bindings/go/gocache" GOPATH="$BUILD/bindings/go/gopath" GOFLAGS=-mod=mod \
    GOTOOLCHAIN=local GOPROXY=off CGO_ENABLED=1 go test -count=1 -run '^TestEtcd' .)
fi
if [[ -f "$BUILD/bindings/csharp/dotnet-build.stamp" ]] && command -v dotnet >/dev/null; then
  # As ctest's csharp_xunit runs the suite (bindings/csharp/CMakeLists.txt), its etcd tests
  # only, with the same temp folder (a killed .NET process leaves its pipes there).
  mkdir -p "$BUILD/dotnet-tmp"
  DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 TMPDIR="$BUILD/dotnet-tmp" \
    dotnet test "$ROOT/bindings/csharp/Filelock.Tests/Filelock.Tests.csproj" -c Release --no-build \
    --disable-build-servers -p:FilelockBuildDir="$BUILD" -p:FilelockCoreDir="$BUILD/bindings/csharp/native" \
    -nodeReuse:false --filter 'FullyQualifiedName~Filelock.Tests.EtcdTests'
fi

# The CLI takes etcd:// names as it takes paths (run, lock-info, status of a prefix, state).
cli="$BUILD/bin/filelock"
if [[ -x "$cli" ]]; then
  url="etcd://$endpoints/fltest/cli-$$/job"
  "$cli" run "$url" -- sleep 3 &
  holder=$!
  for _ in $(seq 100); do
    "$cli" lock-info "$url" 2>/dev/null | grep -q "state: *held" && break
    sleep 0.05
  done
  status=$("$cli" status "etcd://$endpoints/fltest/cli-$$")
  grep -Eq "^job +held +exclusive +$holder " <<<"$status" ||
    { echo "etcd tests: filelock status on an etcd:// prefix does not list the held job:" >&2; echo "$status" >&2; exit 1; }
  rc=0
  out=$("$cli" run -n "$url" -- true 2>&1) || rc=$?
  [[ $rc -eq 1 && "$out" == *"is held by pid $holder"* ]] ||
    { echo "etcd tests: filelock run -n on a held etcd:// lock: exit $rc, '$out'" >&2; exit 1; }
  wait "$holder"
  "$cli" run -n "$url" -- true || { echo "etcd tests: filelock run after release failed" >&2; exit 1; }
  state="etcd://$endpoints/fltest/cli-$$/pipeline"
  "$cli" state set "$state" /phase '"build"' >/dev/null
  "$cli" state merge "$state" '{"workers": 2}' >/dev/null
  [[ "$("$cli" state get "$state" /phase -r)" == build && "$("$cli" state get "$state" /workers)" == 2 ]] ||
    { echo "etcd tests: filelock state on an etcd:// name: $("$cli" state get "$state" 2>&1)" >&2; exit 1; }
  "$cli" state history "$state" | grep -q "commit" ||
    { echo "etcd tests: filelock state history on an etcd:// name lists no commit" >&2; exit 1; }
  echo "etcd tests: the CLI's run, lock-info, status and state on etcd:// names: ok"
  # Its --etcd-* flags (TLS files, user, password file) on the secure member.
  out=$(python3 "$ROOT/tests/cli/test_cli.py" "$cli" EtcdSecureMember 2>&1) ||
    { echo "$out" >&2; echo "etcd tests: the CLI's --etcd-* flags on the secure member failed" >&2; exit 1; }
  tail -3 <<<"$out"
fi

# The README's two-host example: two network namespaces, etcd in one (root only).
if [[ -x "$cli" ]]; then
  rc=0
  bash "$ROOT/demo/etcd-two-hosts.sh" "$cli" 10 || rc=$?
  if [[ $rc == 77 ]]; then echo "etcd tests: two-host example SKIPPED (needs root and ip netns)"
  elif [[ $rc != 0 ]]; then echo "etcd tests: the two-host example failed" >&2; exit 1
  fi
fi

echo "etcd tests: figures (same cluster, this run)"
"$BUILD/bin/etcd_bench" "$endpoints" 200
# etcdctl: each command is a new process and connection; its "lock" holds a session
# (lease grant + keep-alive), a put, a wait for ownership and a revoke.
time_ms() {  # N COMMAND...: average wall time of one run in ms
  local n=$1; shift
  local start end
  start=$(date +%s%N)
  for _ in $(seq "$n"); do "$@" >/dev/null; done
  end=$(date +%s%N)
  echo $(( (end - start) / n / 1000 ))
}
echo "  etcdctl put (one process + one round trip):      $(time_ms 20 ctl put fltest/bench/x y) us"
echo "  etcdctl lock + unlock (one process):             $(time_ms 20 ctl lock fltest/bench/lock true) us"
echo "  curl put (one process + one gateway round trip): $(time_ms 20 curl -s -X POST -d '{"key":"eA==","value":"eQ=="}' "http://127.0.0.1:${ports[0]}/v3/kv/put") us"
# One curl process, 50 puts over one kept connection: the round trip without process start.
puts=()
for i in $(seq 50); do
  [[ $i -gt 1 ]] && puts+=(--next)
  puts+=(-s -o /dev/null -X POST -d '{"key":"eA==","value":"eQ=="}' "http://127.0.0.1:${ports[0]}/v3/kv/put")
done
echo "  curl put, 50 in one process (per put):           $(( $(time_ms 1 curl "${puts[@]}") / 50 )) us"

echo "etcd tests: killing member m0 (the first endpoint every URL lists)"
kill -9 "${pids[0]}"
wait "${pids[0]}" 2>/dev/null || true
# If m0 led, the other two elect a leader first (about a second; longer on a loaded
# machine): requests meanwhile wait for one, which is etcd's behaviour, not the library's.
healthy "${endpoints#*,}"
FILELOCK_TEST_ETCD_MEMBER_DOWN=1 "$TESTS" --gtest_brief=1 \
  --gtest_filter='EtcdMemberDown.*:EtcdLock.ProcessesExclude*:EtcdLock.Release*:Stores/StateOnBothStores.*/etcd'

echo "etcd tests: killing m1 too (no quorum), then bringing both back"
kill -9 "${pids[1]}"
wait "${pids[1]}" 2>/dev/null || true
FILELOCK_TEST_ETCD_NO_QUORUM=1 "$TESTS" --gtest_brief=1 --gtest_filter='EtcdNoQuorum.*'
start_member 0
start_member 1
healthy "$endpoints"
"$TESTS" --gtest_brief=1 --gtest_filter='EtcdLock.ProcessesExclude*:EtcdLock.TryIsBusy*:Stores/StateOnBothStores.Writes*/etcd'
echo "etcd tests: passed"
