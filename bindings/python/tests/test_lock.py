"""FileLock: acquire/release, timeouts, shared locks, other processes, crashes,
the GIL during waits, cancellation and Ctrl-C."""
from __future__ import annotations

import gc
import os
import signal
import threading
import time

import pytest

from libfilelock import (Backend, FileLock, FileLockError, LockBusyError, LockCancelledError,
                         LockError, LockTimeout, get_lock_info, is_file_locked)
from libfilelock import filelock_native as native
from libfilelock._errors import FL_ENOTLOCKED, FL_EUNSUPPORTED

from conftest import Child


def test_acquire_release_and_lock_file_beside_the_path(tmp_path):
    target = tmp_path / "data.csv"
    lock = FileLock(target, timeout=1)
    assert lock.acquire()  # a true proxy (py-filelock), == True for seed code
    assert lock.acquire(blocking=False) == True  # noqa: E712
    lock.release()
    assert lock.is_locked
    assert lock.lock_file == tmp_path / "data.csv.lock"
    assert lock.lock_file.exists()
    lock.release()
    assert not lock.is_locked


def test_release_is_idempotent(tmp_path):
    lock = FileLock(tmp_path / "f")
    lock.release()
    lock.acquire()
    lock.release()
    lock.release()
    assert not lock.is_locked


def test_acquire_when_already_held_by_this_object_returns_true(tmp_path):
    lock = FileLock(tmp_path / "f")
    assert lock.acquire()
    assert lock.acquire(blocking=False)
    lock.release()


def test_context_manager_releases_on_exit_and_on_exception(tmp_path):
    target = tmp_path / "f"
    with FileLock(target) as lock:
        assert lock.is_locked
        assert is_file_locked(target)
    assert not is_file_locked(target)
    with pytest.raises(RuntimeError):
        with FileLock(target):
            raise RuntimeError("boom")
    assert not is_file_locked(target)


def test_two_objects_in_one_process_exclude_each_other(tmp_path):
    first, second = FileLock(tmp_path / "f"), FileLock(tmp_path / "f")
    first.acquire()
    assert second.acquire(blocking=False) is False
    first.release()
    assert second.acquire(blocking=False)
    second.release()


def test_timeout_raises_lock_timeout_which_is_a_timeout_error(tmp_path):
    holder = FileLock(tmp_path / "f")
    holder.acquire()
    waiter = FileLock(tmp_path / "f", timeout=0.2)
    start = time.monotonic()
    with pytest.raises(LockTimeout) as info:
        waiter.acquire()
    elapsed = time.monotonic() - start
    assert 0.15 <= elapsed < 2.0
    err = info.value
    assert isinstance(err, TimeoutError) and isinstance(err, LockError)
    assert isinstance(err, FileLockError)
    assert err.code == native.FL_ETIMEOUT and err.code_name == "FL_ETIMEOUT"
    assert str(tmp_path / "f") in err.message
    assert not waiter.is_locked


def test_zero_timeout_tries_once_and_raises_timeout(tmp_path):
    holder = FileLock(tmp_path / "f")
    holder.acquire()
    with pytest.raises(LockTimeout):
        FileLock(tmp_path / "f", timeout=0).acquire()


def test_shared_locks_coexist_and_exclude_writers(tmp_path):
    readers = [FileLock(tmp_path / "f", shared=True) for _ in range(2)]
    for reader in readers:
        assert reader.acquire(blocking=False)
    writer = FileLock(tmp_path / "f")
    assert writer.acquire(blocking=False) is False
    for reader in readers:
        reader.release()
    assert writer.acquire(blocking=False)
    assert FileLock(tmp_path / "f", shared=True).acquire(blocking=False) is False


def test_lock_held_by_another_process_excludes_us(tmp_path, hold):
    child = hold(tmp_path / "f")
    lock = FileLock(tmp_path / "f", timeout=0.2)
    assert lock.acquire(blocking=False) is False
    with pytest.raises(LockTimeout):
        lock.acquire()
    child.send("go")
    child.expect("released")
    assert lock.acquire(blocking=False)


def test_shared_lock_in_another_process_admits_readers_only(tmp_path, hold):
    hold(tmp_path / "f", "shared")
    assert FileLock(tmp_path / "f", shared=True).acquire(blocking=False)
    assert FileLock(tmp_path / "f").acquire(blocking=False) is False


def test_waiter_wakes_when_holder_releases_without_polling(tmp_path, hold):
    child = hold(tmp_path / "f")
    # A poll every 5 s would make this wait take seconds; a wake-up takes milliseconds.
    lock = FileLock(tmp_path / "f", timeout=10, poll_interval=5)
    releaser = threading.Timer(0.3, lambda: child.send("go"))
    releaser.start()
    start = time.monotonic()
    lock.acquire()
    elapsed = time.monotonic() - start
    releaser.join()
    assert 0.25 <= elapsed < 1.5
    lock.release()


def test_lock_of_a_killed_holder_is_free_at_once(tmp_path, hold):
    child = hold(tmp_path / "f")
    assert is_file_locked(tmp_path / "f")
    child.proc.send_signal(signal.SIGKILL)
    child.wait()
    lock = FileLock(tmp_path / "f", timeout=2)
    assert lock.acquire()


def test_forgotten_lock_is_released_by_the_finalizer(tmp_path):
    lock = FileLock(tmp_path / "f")
    lock.acquire()
    del lock
    gc.collect()
    assert not is_file_locked(tmp_path / "f")


def test_close_releases_and_makes_the_object_unusable(tmp_path):
    lock = FileLock(tmp_path / "f")
    lock.acquire()
    lock.close()
    lock.close()
    assert not lock.is_locked
    assert not is_file_locked(tmp_path / "f")
    with pytest.raises(ValueError):
        lock.acquire()


def test_open_failure_names_the_path_and_reason(tmp_path):
    missing = tmp_path / "no" / "such" / "dir" / "f"
    with pytest.raises(LockError) as info:
        FileLock(missing).acquire()
    assert info.value.code < 0
    assert str(missing) in info.value.message
    assert info.value.operation == "fl_open"


def test_gil_is_released_while_waiting(tmp_path, hold):
    hold(tmp_path / "f")
    lock = FileLock(tmp_path / "f", timeout=0.5)
    ticks = 0
    done = threading.Event()

    def wait_in_thread():
        # A non-main thread calls the native wait directly.
        with pytest.raises(LockTimeout):
            lock.acquire()
        done.set()

    waiter = threading.Thread(target=wait_in_thread)
    waiter.start()
    while not done.is_set():
        ticks += 1
    waiter.join()
    # Python bytecode kept running in this thread during the whole native wait.
    assert ticks > 10000


def test_native_wait_runs_without_the_gil(tmp_path):
    holder = FileLock(tmp_path / "f")
    holder.acquire()
    handle = native.fl_open(str(tmp_path / "f"), None)
    counter = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            counter[0] += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    with pytest.raises(LockTimeout):
        native.fl_lock(handle, native.FL_EXCLUSIVE, 400)
    stop.set()
    spinner.join()
    native.fl_close(handle)
    assert counter[0] > 10000


def test_cancel_from_another_thread_ends_the_wait(tmp_path, hold):
    hold(tmp_path / "f")
    lock = FileLock(tmp_path / "f", timeout=None)
    errors = []

    def wait():
        try:
            lock.acquire()
        except BaseException as exc:
            errors.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.2)
    lock.cancel()
    waiter.join(5)
    assert not waiter.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], LockCancelledError)
    assert errors[0].code == native.FL_ECANCELED
    assert not lock.is_locked


CTRL_C_WAITER = """
import sys, time
from libfilelock import FileLock, is_file_locked
lock = FileLock(sys.argv[1], timeout=None)
print("waiting", flush=True)
start = time.monotonic()
try:
    lock.acquire()
    print("acquired", flush=True)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    print("held" if lock.is_locked else "not-held", flush=True)
    # The handle is still usable: a later try works normally.
    print("try", lock.acquire(blocking=False), flush=True)
"""


def test_ctrl_c_interrupts_a_wait(tmp_path, hold, children):
    holder = hold(tmp_path / "f")
    waiter = Child(CTRL_C_WAITER, str(tmp_path / "f"))
    children.append(waiter)
    assert waiter.interrupt_wait() < 2.0
    waiter.expect("not-held")
    waiter.expect("try False")
    assert waiter.wait() == 0
    holder.send("go")
    holder.expect("released")


def test_busy_error_from_the_native_layer(tmp_path):
    holder = FileLock(tmp_path / "f")
    holder.acquire()
    handle = native.fl_open(str(tmp_path / "f"), None)
    with pytest.raises(LockBusyError) as info:
        native.fl_lock(handle, native.FL_EXCLUSIVE, native.FL_NOWAIT)
    assert info.value.code == native.FL_EBUSY
    assert str(tmp_path / "f") in info.value.message
    native.fl_close(handle)


def test_lock_dir_and_owner_options(tmp_path):
    lock_dir = tmp_path / "locks"
    lock_dir.mkdir()
    lock = FileLock(tmp_path / "data.csv", lock_dir=lock_dir, owner="worker-7")
    assert lock.lock_file.parent == lock_dir
    with lock:
        info = get_lock_info(lock.lock_file)
        assert info["locked"] and info["owner"] == "worker-7"
        assert info["pid"] == os.getpid()
    assert not get_lock_info(lock.lock_file)["locked"]


@pytest.mark.parametrize("backend", [Backend.FLOCK, Backend.OFD, Backend.POSIX,
                                     Backend.LOCKFILE, Backend.LOCKDIR])
def test_every_posix_backend_excludes(tmp_path, backend):
    holder = FileLock(tmp_path / "f", backend=backend)
    assert holder.acquire(blocking=False)
    assert FileLock(tmp_path / "f", backend=backend).acquire(blocking=False) is False
    holder.release()
    assert FileLock(tmp_path / "f", backend=backend).acquire(blocking=False)


def test_unavailable_backend_is_a_clear_error(tmp_path):
    with pytest.raises(LockError) as info:
        FileLock(tmp_path / "f", backend=Backend.WINDOWS)
    assert info.value.code == native.FL_EUNSUPPORTED
    assert str(tmp_path / "f.lock") in info.value.message


def test_lock_file_locks_exactly_that_file_as_py_filelock_does(tmp_path):
    target = tmp_path / "x.lock"
    lock = FileLock(lock_file=target, timeout=1)
    assert lock.lock_file == target
    assert lock.file_path == target
    with lock:
        assert target.exists() and not (tmp_path / "x.lock.lock").exists()
        assert not FileLock(lock_file=target).acquire(blocking=False)
    protected = FileLock(tmp_path / "data.csv", lock_file=target)
    assert protected.file_path == tmp_path / "data.csv" and protected.lock_file == target


def test_sidecar_false_locks_the_path_itself_and_leaves_its_bytes(tmp_path):
    data = tmp_path / "data.csv"
    data.write_bytes(b"a,b\n")
    with FileLock(data, sidecar=False) as lock:
        assert lock.lock_file == data
        assert not FileLock(lock_file=data).acquire(blocking=False)
    assert data.read_bytes() == b"a,b\n"
    assert not (tmp_path / "data.csv.lock").exists()


def test_lock_file_needs_no_lock_dir_and_something_to_lock(tmp_path):
    with pytest.raises(ValueError, match="lock_dir"):
        FileLock(lock_file=tmp_path / "x.lock", lock_dir=tmp_path)
    with pytest.raises(TypeError):
        FileLock()


def test_a_file_lock_has_no_fencing_token_and_is_never_lost(tmp_path):
    # Fencing tokens and lost leases are etcd:// things (test_etcd.py): a kernel lock
    # cannot pass to another holder while held.
    lock = FileLock(tmp_path / "f", thread_local=False)
    assert lock.lost is False
    with pytest.raises(LockError) as info:
        lock.fencing_token
    assert info.value.code == FL_ENOTLOCKED
    with lock:
        with pytest.raises(LockError) as info:
            lock.fencing_token
        assert info.value.code == FL_EUNSUPPORTED
        assert info.value.code_name == "FL_EUNSUPPORTED"
        assert f"fencing token '{lock.lock_file}'" in info.value.message
        assert lock.lost is False
    lock.close()
    assert lock.lost is False


def test_fencing_token_in_a_thread_that_never_used_the_lock_is_not_locked(tmp_path):
    # Each thread has its own handle (thread_local): one that never acquired holds
    # nothing, and asking opens nothing (for etcd:// that would grant a lease).
    lock = FileLock(tmp_path / "f")
    errors = []

    def ask():
        try:
            lock.fencing_token
        except LockError as exc:
            errors.append(exc)

    with lock:
        thread = threading.Thread(target=ask)
        thread.start()
        thread.join()
    assert len(errors) == 1 and errors[0].code == FL_ENOTLOCKED
    assert str(tmp_path / "f") in errors[0].message
    assert len(lock._handles) == 1
    lock.close()


def test_etcd_settings_on_a_file_path_are_refused_naming_them(tmp_path):
    with pytest.raises(LockError) as info:
        FileLock(tmp_path / "x", etcd_tls_ca="ca.pem")
    assert "etcd_tls_ca" in info.value.message
    with pytest.raises(TypeError):
        FileLock(tmp_path / "x", etcd_tls="ca.pem")
