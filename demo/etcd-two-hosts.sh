#!/usr/bin/env bash
# Two "hosts" sharing one lock and one JSON state through etcd: two network namespaces
# joined by a virtual cable, etcd in the first, a worker in each running
# `filelock run` and `filelock state` against it. Each worker adds 1 to a counter N
# times inside the lock, by reading and writing the state in two separate commands
# (a read-modify-write that only the lock keeps whole); the final count is 2N.
#
#   sudo demo/etcd-two-hosts.sh [FILELOCK_CLI] [N]     (root: it makes namespaces)
#
# Needs ip(8) with netns support and etcd (apt-get install etcd-server). Everything it
# makes (namespaces, etcd and its data) is removed on exit.
set -euo pipefail

cli=$(realpath "${1:-build/bin/filelock}")
n=${2:-20}
[[ $(id -u) == 0 ]] || { echo "etcd-two-hosts: needs root (network namespaces)" >&2; exit 77; }
command -v etcd >/dev/null || { echo "etcd-two-hosts: etcd is not installed" >&2; exit 77; }
ip netns list >/dev/null 2>&1 || { echo "etcd-two-hosts: no network namespace support" >&2; exit 77; }

tag=fl$$
a=${tag}a b=${tag}b
work=$(mktemp -d)
etcd_pid=
cleanup() {
  local rc=$?
  if [[ -n $etcd_pid ]]; then
    kill -9 "$etcd_pid" 2>/dev/null || true
    wait "$etcd_pid" 2>/dev/null || true
  fi
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT INT TERM

# Host A is 10.77.0.1, host B 10.77.0.2: addresses that exist only inside these two
# namespaces (named after this process, so concurrent runs do not meet).
ip netns add "$a"
ip netns add "$b"
ip link add "${tag}x" type veth peer name "${tag}y"
ip link set "${tag}x" netns "$a"
ip link set "${tag}y" netns "$b"
ip -n "$a" addr add 10.77.0.1/24 dev "${tag}x"
ip -n "$b" addr add 10.77.0.2/24 dev "${tag}y"
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" link set "${tag}x" up
ip -n "$b" link set "${tag}y" up

ip netns exec "$a" etcd --name a --data-dir "$work/etcd" \
  --listen-client-urls http://10.77.0.1:2379 --advertise-client-urls http://10.77.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster a=http://127.0.0.1:2380 --logger zap --log-outputs "$work/etcd.log" --log-level warn &
etcd_pid=$!

lock="etcd://10.77.0.1:2379/demo/job"
state="etcd://10.77.0.1:2379/demo/pipeline"
for _ in $(seq 100); do
  ip netns exec "$b" "$cli" state set "$state" /count 0 >/dev/null 2>&1 && break
  sleep 0.1
done

# One worker: N times, under the lock, read the count and write it back plus one.
# Each in its own UTS namespace too, so the two report different host names.
worker() {
  local ns=$1 host=$2
  ip netns exec "$ns" unshare --uts bash -c '
    cli=$1 lock=$2 state=$3 n=$4 host=$5
    hostname "$host"
    for _ in $(seq "$n"); do
      "$cli" run -w 30s "$lock" -- bash -c "
        c=\$(\"$cli\" state get \"$state\" /count)
        \"$cli\" state set \"$state\" /count \$((c + 1)) --owner $host >/dev/null"
    done' _ "$cli" "$lock" "$state" "$n" "$host"
}
start=$(date +%s%N)
worker "$a" host-a &
wa=$!
worker "$b" host-b &
wb=$!
wait "$wa"
wait "$wb"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))

count=$(ip netns exec "$b" "$cli" state get "$state" /count)
echo "etcd-two-hosts: two hosts added $n each under one etcd lock: count $count (expected $((2 * n))), ${elapsed_ms} ms"
ip netns exec "$a" "$cli" state history "$state" -n 4
[[ $count == $((2 * n)) ]]
