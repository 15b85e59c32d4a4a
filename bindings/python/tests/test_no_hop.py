"""Main-thread calls that need not wait make no hop to the worker thread (a hop costs
two thread wake-ups per call); a call that must wait still makes it, so Ctrl-C can end
the wait (test_lock.py, test_state_cancel.py), and its errors are the usual ones."""
from __future__ import annotations

import threading

import pytest

from libfilelock import FileLock, JsonState, LockTimeout, StateLockError
from libfilelock import _interrupt
from libfilelock import filelock_native as native


def test_uncontended_calls_make_no_hop(tmp_path):
    assert threading.current_thread() is threading.main_thread()
    lock = FileLock(tmp_path / "data", timeout=None)
    state = JsonState(tmp_path / "s.json", timeout=None)
    before = _interrupt.hops
    with lock:
        with lock:
            pass
    assert lock.acquire(timeout=5)
    lock.release()
    state.write({"n": 1})
    with state.transaction() as txn:
        txn.data["n"] += 1
    _, generation = state.read_versioned()
    state.write_if({"n": 3}, generation)
    assert state.read() == {"n": 3}
    assert state.wait_for_change(generation, timeout=None) == generation + 1  # already past
    state.backup_manager.create_backup()
    assert state.get_transaction_history(limit=1)
    assert state.verify()["ok"]
    assert _interrupt.hops == before
    lock.close()
    state.close()


def test_a_busy_lock_makes_the_interruptible_wait(tmp_path):
    path = tmp_path / "s.json"
    state = JsonState(path, timeout=0.05)
    other = FileLock(path, timeout=0)  # the state's lock, through another handle
    other.acquire()
    try:
        before = _interrupt.hops
        with pytest.raises(StateLockError) as timed_out:
            state.read()
        assert timed_out.value.code == native.FL_ETIMEOUT  # the wait's error, not the try's
        assert str(path) in timed_out.value.message
        with pytest.raises(StateLockError) as in_txn:
            state.transaction().__enter__()
        assert in_txn.value.code == native.FL_ETIMEOUT
        with pytest.raises(LockTimeout):
            FileLock(path, timeout=0.05).acquire()
        assert _interrupt.hops == before + 3
        # A state file created while its lock is busy waits as before (then times out).
        with FileLock(tmp_path / "new.json", timeout=0):
            with pytest.raises(StateLockError) as creating:
                JsonState(tmp_path / "new.json", timeout=0.05)
            assert creating.value.code == native.FL_ETIMEOUT
    finally:
        other.release()
    with state.transaction() as txn:  # usable once the lock is free
        txn.data["n"] = 1
    assert state.read() == {"n": 1}


def test_a_zero_timeout_state_fails_at_once_without_a_hop(tmp_path):
    path = tmp_path / "s.json"
    state = JsonState(path, timeout=0)
    with FileLock(path, timeout=0):
        before = _interrupt.hops
        with pytest.raises(StateLockError) as busy:
            state.write({"n": 1})
        assert busy.value.code == native.FL_EBUSY
        assert _interrupt.hops == before
