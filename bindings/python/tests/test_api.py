"""The public names: everything the replaced lock manager and state manager offered is
importable from libfilelock, with the signatures their callers use."""
from __future__ import annotations

import inspect

import libfilelock

SEED_NAMES = [
    "FileLock", "LockError", "is_file_locked", "wait_for_lock_release",
    "get_lock_holder_pid", "is_process_running", "get_locked_files", "get_lock_age",
    "is_lock_stale", "get_lock_info", "print_lock_status", "cleanup_stale_locks",
    "PipelineState", "StateError", "StateReadError", "StateValidationError", "StateLockError",
]


def test_all_names_exist():
    for name in libfilelock.__all__ + SEED_NAMES:
        assert hasattr(libfilelock, name), name


def test_signatures_callers_rely_on():
    lock = inspect.signature(libfilelock.FileLock)
    assert list(lock.parameters)[:4] == ["file_path", "timeout", "poll_interval", "shared"]
    assert lock.parameters["timeout"].default == 30.0
    assert lock.parameters["poll_interval"].default == 0.5
    state = inspect.signature(libfilelock.PipelineState)
    assert list(state.parameters)[:4] == ["path", "validate_on_read", "max_backups",
                                          "backup_before_write"]
    assert state.parameters["max_backups"].default == 50
    assert inspect.signature(libfilelock.PipelineState.write).parameters["validate"].default
    txn = inspect.signature(libfilelock.PipelineState.transaction).parameters
    assert {"validate", "seed_data"} <= set(txn)
    clean = inspect.signature(libfilelock.cleanup_stale_locks).parameters
    assert list(clean) == ["base_dir", "max_age_hours"]
    assert libfilelock.JsonState in libfilelock.PipelineState.__mro__
