"""Exceptions raised by libfilelock, and the one table mapping status codes to them.

The native wrapper calls :func:`from_status` inside the failing call, so the message is
always the one the library wrote for that call: it names the operation, the path and
the OS reason.
"""
from __future__ import annotations

import errno as _errno
import os
from typing import Dict, Optional, Tuple, Type

# Status codes of filelock.h; they are never renumbered.
FL_OK = 0
FL_EINVAL = -1
FL_ENOMEM = -2
FL_EIO = -3
FL_EPERM = -4
FL_ENOTFOUND = -5
FL_EBUSY = -6
FL_ETIMEOUT = -7
FL_EALREADY = -8
FL_ENOTLOCKED = -9
FL_EDEADLK = -10
FL_ECANCELED = -11
FL_EUNSUPPORTED = -12
FL_ECORRUPT = -13
FL_EVALIDATION = -14
FL_ECONFLICT = -15
FL_ERANGE = -16
FL_ENOSPC = -17

CODE_NAMES: Dict[int, str] = {
    value: name for name, value in globals().items() if name.startswith("FL_E")
}


class FileLockError(Exception):
    """Base of every libfilelock error.

    Attributes:
        code: the library's status code (a negative ``FL_E*`` value).
        message: the full message, naming the operation, the path and the reason.
        operation: the library function that failed (e.g. ``"fl_lock"``), or ``None``.
        errno: the OS error behind the failure (``errno.ENOENT``...), or ``None``.
        filename: the path the failure is about, or ``None``.

    Failures caused by the OS are also :class:`OSError` subclasses with ``errno`` and
    ``filename`` set, so ``except FileNotFoundError`` and ``except PermissionError`` work.
    """

    def __init__(self, message: str, code: int = FL_EINVAL,
                 operation: Optional[str] = None, os_errno: int = 0,
                 path: Optional[str] = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.operation = operation
        self.errno = os_errno or None
        self.strerror = os.strerror(os_errno) if os_errno else None
        self.filename = path or None

    @property
    def code_name(self) -> str:
        """The symbolic name of :attr:`code`, e.g. ``"FL_ETIMEOUT"``."""
        return CODE_NAMES.get(self.code, str(self.code))

    def __str__(self) -> str:
        return self.message


class LockError(FileLockError):
    """A lock could not be taken, released or inspected."""


class LockTimeout(LockError, TimeoutError):
    """The timeout passed before the lock could be had."""


class LockBusyError(LockError):
    """A non-blocking attempt found the lock held."""


class LockCancelledError(LockError):
    """The wait was cancelled (``FileLock.cancel()`` or Ctrl-C)."""


class StateError(FileLockError):
    """A state file operation failed."""


class StateReadError(StateError):
    """The state file (or a backup or the log) is missing or damaged."""


class StateValidationError(StateError, ValueError):
    """The document does not satisfy the schema, or cannot be stored as JSON."""


class StateLockError(StateError, TimeoutError):
    """The state file's lock could not be had in time."""


class StateConflictError(StateError):
    """A conditional write found that another writer committed first."""


class LockOSError(LockError, OSError):
    """A lock operation failed for a reason the OS gave (``errno``, ``filename``)."""


class LockFileNotFoundError(LockOSError, FileNotFoundError):
    """A lock operation found a file or directory missing."""


class LockPermissionError(LockOSError, PermissionError):
    """A lock operation was refused by the OS (permissions, read-only filesystem)."""


class StateOSError(StateError, OSError):
    """A state operation failed for a reason the OS gave (``errno``, ``filename``)."""


class StateFileNotFoundError(StateOSError, StateReadError, FileNotFoundError):
    """The state file, its folder or a file it needs is missing."""


class StatePermissionError(StateOSError, PermissionError):
    """A state operation was refused by the OS (permissions, read-only filesystem)."""


# code: (class for lock and file operations, class for state operations)
_CLASSES: Dict[int, Tuple[Type[FileLockError], Type[FileLockError]]] = {
    FL_EBUSY: (LockBusyError, StateLockError),
    FL_ETIMEOUT: (LockTimeout, StateLockError),
    FL_ECANCELED: (LockCancelledError, StateLockError),
    FL_EDEADLK: (LockError, StateLockError),
    FL_ENOTFOUND: (LockError, StateReadError),
    FL_ECORRUPT: (LockError, StateReadError),
    FL_EVALIDATION: (LockError, StateValidationError),
    FL_ERANGE: (LockError, StateValidationError),
    FL_ECONFLICT: (LockError, StateConflictError),
}

_STATE_PREFIXES = ("fl_state_", "fl_txn_")


def exception_class(code: int, operation: Optional[str] = None) -> Type[FileLockError]:
    """The exception class for a status code raised by ``operation``."""
    lock_class, state_class = _CLASSES.get(code, (LockError, StateError))
    if operation and operation.startswith(_STATE_PREFIXES):
        return state_class
    return lock_class


# For failures the OS caused: errno -> (lock class, state class). Codes with a class of
# their own (a timeout, a conflict...) keep it.
_OS_CLASSES: Dict[int, Tuple[Type[FileLockError], Type[FileLockError]]] = {
    _errno.ENOENT: (LockFileNotFoundError, StateFileNotFoundError),
    _errno.EACCES: (LockPermissionError, StatePermissionError),
    _errno.EPERM: (LockPermissionError, StatePermissionError),
    _errno.EROFS: (LockPermissionError, StatePermissionError),
}
_OWN_CLASS_CODES = (FL_EBUSY, FL_ETIMEOUT, FL_ECANCELED, FL_EDEADLK, FL_ECORRUPT,
                    FL_EVALIDATION, FL_ERANGE, FL_ECONFLICT)


def exception_class_for(code: int, operation: Optional[str], os_errno: int) -> Type[FileLockError]:
    """The exception class for a status code and the OS error behind it (0: none)."""
    if not os_errno or code in _OWN_CLASS_CODES:
        return exception_class(code, operation)
    lock_class, state_class = _OS_CLASSES.get(os_errno, (LockOSError, StateOSError))
    if operation and operation.startswith(_STATE_PREFIXES):
        return state_class
    return lock_class


def from_status(code: int, message: str, operation: Optional[str] = None,
                os_errno: int = 0, path: Optional[str] = None) -> FileLockError:
    """Builds the exception for a failed library call (used by the native wrapper)."""
    if not message:
        message = f"{operation or 'filelock'}: {CODE_NAMES.get(code, code)}"
    return exception_class_for(code, operation, os_errno)(message, code, operation, os_errno, path)
