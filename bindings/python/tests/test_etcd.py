"""etcd:// names through the Python binding: the same FileLock and JsonState, on the
cluster tests/etcd/run.sh starts (FILELOCK_TEST_ETCD); skipped without one."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import uuid

import pytest

from libfilelock import FileLock, JsonState, LockError, LockTimeout, StateConflictError
from libfilelock._errors import FL_EIO, FL_ENOTLOCKED

from conftest import Child

ENDPOINTS = os.environ.get("FILELOCK_TEST_ETCD", "")
pytestmark = pytest.mark.skipif(not ENDPOINTS, reason="FILELOCK_TEST_ETCD is not set (tests/etcd/run.sh)")


def url(name: str) -> str:
    return f"etcd://{ENDPOINTS}/fltest/py-{uuid.uuid4().hex[:12]}/{name}?ttl=2"


def test_a_lock_held_by_another_process_times_out_then_passes_on():
    name = url("job")
    child = Child("""
        import sys
        from libfilelock import FileLock
        lock = FileLock(sys.argv[1], timeout=10)
        lock.acquire()
        print("locked", flush=True)
        sys.stdin.readline()
        lock.release()
        print("released", flush=True)
    """, name)
    child.expect("locked")
    waiter = FileLock(name, timeout=0.3)
    with pytest.raises(LockTimeout) as info:
        waiter.acquire()
    assert name in info.value.message
    child.send("go")
    child.expect("released")
    with FileLock(name, timeout=5):
        pass
    assert child.wait() == 0


def test_state_transactions_of_two_processes_lose_no_increment():
    name = url("pipeline")
    state = JsonState(name, initial={"n": 0})
    code = """
        import sys
        from libfilelock import JsonState
        state = JsonState(sys.argv[1])
        for _ in range(10):
            with state.transaction() as txn:
                txn.data["n"] += 1
        print("done", flush=True)
    """
    children = [Child(code, name) for _ in range(2)]
    for child in children:
        child.expect("done", timeout=30)
        assert child.wait() == 0
    assert state.read() == {"n": 20}
    history = state.get_transaction_history(limit=1)
    assert history and history[0]["success"] is True
    backups = state.backup_manager.list_backups(limit=0)
    assert backups and backups[0].path is None  # keys on etcd, not files


def test_write_if_on_a_stale_generation_conflicts_and_restore_brings_a_backup_back():
    state = JsonState(url("doc"), initial={"phase": "new"})
    _, generation = state.read_versioned()
    state.write({"phase": "built"})
    with pytest.raises(StateConflictError):
        state.write_if({"phase": "lost"}, generation)
    oldest = state.backup_manager.list_backups(limit=0)[-1]
    state.backup_manager.restore_backup(oldest)
    assert state.read() == {"phase": "new"}
    assert state.meta_dir is None


def test_the_fencing_token_grows_with_every_acquisition():
    name = url("fenced")
    first = FileLock(name, timeout=10)
    with pytest.raises(LockError) as info:
        first.fencing_token
    assert info.value.code == FL_ENOTLOCKED
    with first:
        one = first.fencing_token
        assert one > 0 and first.fencing_token == one  # stable while held
        assert first.lost is False
    with first:
        two = first.fencing_token
    with FileLock(name, timeout=10) as second:
        three = second.fencing_token
    assert one < two < three
    first.close()


def test_a_holder_paused_past_its_lease_is_lost_once_another_takes_the_lock():
    name = url("paused")
    child = Child("""
        import sys
        from libfilelock import FileLock, LockError
        lock = FileLock(sys.argv[1], timeout=10)
        lock.acquire()
        print("token", lock.fencing_token, lock.lost, flush=True)
        sys.stdin.readline()
        print("lost", lock.lost, flush=True)
        try:
            lock.release()
            print("released", flush=True)
        except LockError as e:
            print("release", e.code, flush=True)
    """, name)
    line = child.proc.stdout.readline().split()
    assert line[0] == "token" and line[2] == "False", line
    paused_token = int(line[1])
    os.kill(child.pid, signal.SIGSTOP)
    try:
        # Its keep-alive stopped with it: the lease (ttl=2) expires and the lock passes on.
        start = time.monotonic()
        taker = FileLock(name, timeout=15)
        taker.acquire()
        assert time.monotonic() - start < 12
        assert taker.fencing_token > paused_token
        assert taker.lost is False
    finally:
        os.kill(child.pid, signal.SIGCONT)
    child.send("go")
    child.expect("lost True")
    child.expect(f"release {FL_EIO}")  # the library says the lease expired while held
    assert child.wait() == 0
    assert taker.lost is False
    taker.release()
    taker.close()


def granted_ttl(name: str) -> int:
    """The TTL etcd granted the lease of the oldest key in the lock's queue (etcdctl,
    which tests/etcd/run.sh requires)."""
    hosts, key = name[len("etcd://"):].split("?")[0].split("/", 1)
    ctl = ["etcdctl", f"--endpoints={hosts}", "--command-timeout=5s"]
    keys = subprocess.run(ctl + ["get", "--prefix", "--keys-only", key + "/"], check=True,
                          capture_output=True, text=True, env={**os.environ, "ETCDCTL_API": "3"})
    lease = keys.stdout.split()[0].rsplit("/", 1)[1]
    ttl = subprocess.run(ctl + ["lease", "timetolive", lease], check=True, capture_output=True,
                         text=True, env={**os.environ, "ETCDCTL_API": "3"})
    return int(re.search(r"granted with TTL\((\d+)s\)", ttl.stdout).group(1))


@pytest.mark.skipif(shutil.which("etcdctl") is None, reason="etcdctl is not installed")
def test_the_lease_ttl_as_a_keyword_argument_takes_effect():
    name = url("ttl").split("?")[0]  # no ttl in the name: 5 s by default
    child = Child("""
        import sys
        from libfilelock import FileLock
        lock = FileLock(sys.argv[1], timeout=10, etcd_ttl=2)
        lock.acquire()
        print("locked", flush=True)
        sys.stdin.readline()
    """, name)
    child.expect("locked")
    assert granted_ttl(name) == 2
    child.proc.kill()
    child.proc.wait()
    killed = time.monotonic()
    with FileLock(name, timeout=15):
        assert time.monotonic() - killed < 2 + 3  # the TTL and etcd's expiry check
    # Given in the name too, it must agree.
    with FileLock(name + "?ttl=2s", timeout=5, etcd_ttl=2.0):
        pass
    with pytest.raises(LockError) as info:
        FileLock(name + "?ttl=5s", etcd_ttl=2)
    assert "etcd_ttl_ms" in info.value.message and "ttl=5s" in info.value.message
    # A state takes them too, for its document and its lock.
    state = JsonState(url("state").split("?")[0], initial={"n": 1}, etcd_ttl=2,
                      etcd_request_timeout=5)
    assert state.read() == {"n": 1}

