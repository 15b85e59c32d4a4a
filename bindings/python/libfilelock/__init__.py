"""libfilelock: cross-process file locks and crash-safe JSON state.

Python binding of the filelock C library. Locks exclude threads and processes, never
go stale after a crash, and a waiter wakes as soon as the holder releases. State files
are replaced atomically under a lock, with backups and an audit log.

    from libfilelock import FileLock, PipelineState

    with FileLock("data.csv", timeout=10):
        ...

    state = PipelineState("pipeline.json")
    with state.transaction() as txn:
        txn.data["phase1"] = {"status": "success"}
"""
import logging as _logging

from ._errors import (
    FileLockError,
    LockBusyError,
    LockCancelledError,
    LockError,
    LockFileNotFoundError,
    LockOSError,
    LockPermissionError,
    LockTimeout,
    StateConflictError,
    StateError,
    StateFileNotFoundError,
    StateLockError,
    StateOSError,
    StatePermissionError,
    StateReadError,
    StateValidationError,
)
from ._native import native as _native_module
from ._numbers import ExactDecimal
from .aio import AsyncAcquireReturnProxy, AsyncFileLock, AsyncStateEdit, AsyncStateTransaction
from .jsonl import append_jsonl
from .lock import EXCLUSIVE, SHARED, AcquireReturnProxy, Backend, FileLock
from .monitor import (
    cleanup_stale_locks,
    get_lock_age,
    get_lock_holder_pid,
    get_lock_info,
    get_locked_files,
    is_file_locked,
    is_lock_stale,
    is_process_running,
    print_lock_status,
    wait_for_lock_release,
)
from .state import (PIPELINE_SCHEMA, Backup, BackupManager, JsonState, PipelineState,
                    StateEdit, StateTransaction)

Timeout = LockTimeout  # the name py-filelock users know

# DEBUG records of acquire/release/wait/commit; silent unless the application configures
# logging (a library never prints by itself).
_logging.getLogger("libfilelock").addHandler(_logging.NullHandler())


def library_version() -> str:
    """Version of the loaded native filelock library, e.g. ``"1.4.0"``."""
    return _native_module.fl_version()


__version__ = "1.4.0"

__all__ = [
    "AcquireReturnProxy", "AsyncAcquireReturnProxy", "AsyncFileLock", "AsyncStateEdit",
    "AsyncStateTransaction", "Backend", "Backup", "BackupManager", "EXCLUSIVE",
    "ExactDecimal", "FileLock", "FileLockError", "JsonState", "LockBusyError",
    "LockCancelledError", "LockError", "LockFileNotFoundError", "LockOSError",
    "LockPermissionError", "LockTimeout", "PIPELINE_SCHEMA", "PipelineState", "SHARED",
    "StateConflictError", "StateError", "StateFileNotFoundError", "StateLockError",
    "StateOSError", "StatePermissionError", "StateEdit", "StateReadError",
    "StateTransaction", "StateValidationError", "Timeout", "append_jsonl",
    "cleanup_stale_locks", "get_lock_age", "get_lock_holder_pid", "get_lock_info",
    "get_locked_files", "is_file_locked", "is_lock_stale", "is_process_running",
    "library_version", "print_lock_status", "wait_for_lock_release",
]
