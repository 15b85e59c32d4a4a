"""py-filelock's FileLock API where the seed is silent: re-entrance, the acquire proxy,
forced release, Timeout, and what one object shared by threads does."""
from __future__ import annotations

import logging
import threading

import pytest

import libfilelock
from libfilelock import FileLock, Timeout, is_file_locked

from conftest import Child


def test_nested_with_keeps_the_lock_until_the_outer_exit(tmp_path):
    lock = FileLock(tmp_path / "f")
    with lock:
        assert lock.lock_counter == 1
        with lock:
            assert lock.lock_counter == 2
        assert lock.is_locked and lock.lock_counter == 1
        assert is_file_locked(tmp_path / "f")
    assert not lock.is_locked and lock.lock_counter == 0
    assert not is_file_locked(tmp_path / "f")


def test_acquire_returns_a_proxy_usable_in_with(tmp_path):
    lock = FileLock(tmp_path / "f")
    with lock.acquire(timeout=1) as held:
        assert held is lock
        assert lock.is_locked
        with lock.acquire(timeout=1):
            assert lock.lock_counter == 2
        assert lock.lock_counter == 1
    assert not lock.is_locked
    assert isinstance(lock.acquire(), libfilelock.AcquireReturnProxy)
    lock.release()


def test_release_force_drops_every_level(tmp_path):
    lock = FileLock(tmp_path / "f")
    lock.acquire()
    lock.acquire()
    lock.acquire()
    lock.release()
    assert lock.lock_counter == 2
    lock.release(force=True)
    assert not lock.is_locked and lock.lock_counter == 0
    assert not is_file_locked(tmp_path / "f")


def test_timeout_is_the_timeout_exception_and_blocking_keyword_works(tmp_path):
    holder = FileLock(tmp_path / "f")
    holder.acquire()
    other = FileLock(tmp_path / "f", blocking=False)
    assert other.acquire() is False  # constructor default: do not wait
    assert other.acquire(False) is False  # the seed's positional blocking
    with pytest.raises(Timeout) as info:
        other.acquire(blocking=True, timeout=0.05, poll_interval=0.01)
    assert isinstance(info.value, TimeoutError)
    assert Timeout is libfilelock.LockTimeout
    holder.release()


def test_threads_sharing_one_object_exclude_each_other(tmp_path):
    """thread_local=True (default, as py-filelock): each thread has its own hold."""
    lock = FileLock(tmp_path / "f", timeout=10)
    lock.acquire()
    acquired = threading.Event()
    attempt = {}

    def other_thread():
        attempt["nowait"] = lock.acquire(blocking=False)
        attempt["counter"] = lock.lock_counter
        with lock:
            acquired.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    assert not acquired.wait(0.3)
    assert attempt == {"nowait": False, "counter": 0}
    assert lock.lock_counter == 1
    lock.release()
    worker.join(10)
    assert acquired.is_set()


def test_shared_object_without_thread_local_refuses_a_second_thread(tmp_path):
    lock = FileLock(tmp_path / "f", thread_local=False)
    lock.acquire()
    errors = []

    def other_thread():
        try:
            lock.acquire()
        except RuntimeError as exc:
            errors.append(str(exc))

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join(10)
    assert len(errors) == 1 and "another thread" in errors[0]
    assert lock.lock_counter == 1
    # Any thread may release it (run_in_executor acquires on a pool thread).
    worker = threading.Thread(target=lock.release)
    worker.start()
    worker.join(10)
    assert not lock.is_locked
    worker = threading.Thread(target=lambda: lock.acquire() and lock.release())
    worker.start()
    worker.join(10)
    assert not lock.is_locked


def test_nested_hold_excludes_another_process(tmp_path):
    lock = FileLock(tmp_path / "f")
    with lock:
        with lock:
            pass
        child = Child("""
            import sys
            from libfilelock import FileLock
            print(FileLock(sys.argv[1]).acquire(blocking=False), flush=True)
        """, str(tmp_path / "f"))
        assert child.proc.stdout.readline().strip() == "False"
        child.wait()


def test_debug_log_of_acquire_wait_release(tmp_path, caplog, hold):
    child = hold(tmp_path / "f")
    threading.Timer(0.2, lambda: child.send("go")).start()
    with caplog.at_level(logging.DEBUG, logger="libfilelock"):
        with FileLock(tmp_path / "f", timeout=10):
            pass
    messages = [r.getMessage() for r in caplog.records if r.name == "libfilelock"]
    assert any(m.startswith("waiting for lock") for m in messages), messages
    assert any(m.startswith("acquired lock") for m in messages)
    assert any(m.startswith("released lock") for m in messages)


def test_debug_log_follows_level_changes_after_use(tmp_path, caplog):
    # acquire/release read the logger's cached answer first: a level set later counts.
    lock = FileLock(tmp_path / "f")
    with lock:
        pass
    with caplog.at_level(logging.DEBUG, logger="libfilelock"):
        with lock:
            pass
    with lock:  # silent again
        pass
    messages = [r.getMessage() for r in caplog.records if r.name == "libfilelock"]
    assert [m.split()[0] for m in messages] == ["acquired", "released"], messages
    lock.close()


def test_logger_is_silent_by_default():
    logger = logging.getLogger("libfilelock")
    assert any(isinstance(h, logging.NullHandler) for h in logger.handlers)
    assert not logger.isEnabledFor(logging.DEBUG)


def test_cancel_landing_before_the_wait_starts_is_not_lost(tmp_path, hold, monkeypatch):
    hold(tmp_path / "f")
    lock = FileLock(tmp_path / "f", timeout=5)  # a lost cancel would time out
    real_lock = libfilelock.lock.native.fl_lock

    def busy_then_cancelled(handle, mode, timeout):
        if timeout == libfilelock.lock.native.FL_NOWAIT:
            try:
                return real_lock(handle, mode, timeout)
            finally:
                lock.cancel()  # between the failed try and the wait
        return real_lock(handle, mode, timeout)

    monkeypatch.setattr(libfilelock.lock.native, "fl_lock", busy_then_cancelled)
    with pytest.raises(libfilelock.LockCancelledError):
        lock.acquire()
    monkeypatch.undo()
    assert not lock.is_locked
    assert lock.acquire(blocking=False) is False  # later acquires are unaffected
