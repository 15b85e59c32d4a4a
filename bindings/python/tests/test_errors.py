"""The one table from status codes to exception classes, and the native wrapper's use
of it (code, message and operation of the failing call)."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading

import pytest

import libfilelock
from libfilelock import _errors as errors
from libfilelock import filelock_native as native


@pytest.mark.parametrize("code, operation, expected", [
    (errors.FL_ETIMEOUT, "fl_lock", libfilelock.LockTimeout),
    (errors.FL_EBUSY, "fl_lock", libfilelock.LockBusyError),
    (errors.FL_ECANCELED, "fl_lock", libfilelock.LockCancelledError),
    (errors.FL_EIO, "fl_open", libfilelock.LockError),
    (errors.FL_ETIMEOUT, "fl_txn_begin", libfilelock.StateLockError),
    (errors.FL_ECORRUPT, "fl_state_read", libfilelock.StateReadError),
    (errors.FL_EVALIDATION, "fl_txn_commit", libfilelock.StateValidationError),
    (errors.FL_ECONFLICT, "fl_state_write_if", libfilelock.StateConflictError),
    (errors.FL_EIO, "fl_state_write", libfilelock.StateError),
])
def test_table_maps_codes_to_classes(code, operation, expected):
    exc = errors.from_status(code, "msg", operation)
    assert type(exc) is expected
    assert isinstance(exc, libfilelock.FileLockError)
    assert (exc.code, exc.message, exc.operation) == (code, "msg", operation)


def test_timeouts_are_builtin_timeout_errors():
    assert issubclass(libfilelock.LockTimeout, TimeoutError)
    assert issubclass(libfilelock.StateLockError, TimeoutError)
    assert libfilelock.Timeout is libfilelock.LockTimeout


def test_codes_match_the_library():
    for code, name in errors.CODE_NAMES.items():
        assert getattr(native, name) == code
        assert native.fl_strerror(code)


def test_native_error_carries_code_message_and_operation(tmp_path):
    missing = tmp_path / "absent" / "f"
    with pytest.raises(libfilelock.LockError) as info:
        native.fl_open(str(missing), None)
    err = info.value
    assert err.code == native.FL_ENOTFOUND
    assert err.operation == "fl_open"
    assert str(missing) in err.message and str(err) == err.message
    # The message is this call's: the thread-local text the library set.
    assert native.fl_last_error() == err.message


def test_messages_stay_with_their_thread(tmp_path):
    results = {}

    def fail(name):
        path = tmp_path / name / "f"
        for _ in range(200):
            try:
                native.fl_open(str(path), None)
            except libfilelock.LockError as err:
                if str(path) not in err.message:
                    results[name] = err.message
                    return
        results[name] = "ok"

    threads = [threading.Thread(target=fail, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results.values()) == {"ok"}


def test_unlock_without_lock_is_reported(tmp_path):
    handle = native.fl_open(str(tmp_path / "f"), None)
    with pytest.raises(libfilelock.LockError) as info:
        native.fl_unlock(handle)
    assert info.value.code == native.FL_ENOTLOCKED
    native.fl_close(handle)


def test_library_version():
    assert libfilelock.library_version() == "1.4.0"
    native.fl_check_version(native.FILELOCK_VERSION_NUMBER)
    with pytest.raises(libfilelock.FileLockError):
        native.fl_check_version(native.FILELOCK_VERSION_NUMBER + 10000)


def test_missing_folder_is_a_file_not_found_error(tmp_path):
    missing = tmp_path / "no-such-dir" / "data.json"
    with pytest.raises(FileNotFoundError) as info:
        libfilelock.FileLock(missing).acquire(timeout=0)
    error = info.value
    assert isinstance(error, libfilelock.LockError)
    assert error.errno == errno.ENOENT
    assert error.filename == str(missing) + ".lock"
    assert str(missing) in str(error)
    with pytest.raises(FileNotFoundError) as info:
        libfilelock.JsonState(missing).read()
    assert isinstance(info.value, libfilelock.StateError)
    assert info.value.errno == errno.ENOENT


def test_errors_not_from_the_os_carry_no_errno(tmp_path):
    path = tmp_path / "f"
    with libfilelock.FileLock(path):
        with pytest.raises(libfilelock.LockTimeout) as info:
            libfilelock.FileLock(path).acquire(timeout=0.01)
    assert not isinstance(info.value, (FileNotFoundError, PermissionError))
    assert info.value.errno is None


# A refusal needs a user the OS refuses: run the call as "nobody" in a child process.
_REFUSED = """
import errno, sys
import libfilelock
try:
    libfilelock.FileLock(sys.argv[1]).acquire(timeout=0)
except PermissionError as e:
    ok = isinstance(e, libfilelock.LockError) and e.errno == errno.EACCES
    print("permission", ok, e.filename.startswith(sys.argv[1]))
"""


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="needs root to run a child as another user")
def test_refusal_is_a_permission_error(tmp_path):
    locked_dir = tmp_path / "root-only"
    locked_dir.mkdir(mode=0o755)
    tmp_path.chmod(0o755)
    target = locked_dir / "data.json"
    run = subprocess.run([sys.executable, "-c", _REFUSED, str(target)], user=65534,
                         capture_output=True, text=True, env=dict(os.environ))
    if "ModuleNotFoundError" in run.stderr or "ImportError" in run.stderr:
        pytest.skip(f"user nobody cannot import the build's libfilelock: {run.stderr[-200:]}")
    assert run.stdout.split() == ["permission", "True", "True"], run.stderr
