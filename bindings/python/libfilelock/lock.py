"""FileLock: an exclusive or shared lock on a path, for threads and processes."""
from __future__ import annotations

import enum
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Dict, Optional, Type

from ._errors import FL_ETIMEOUT, LockBusyError, LockCancelledError, LockTimeout
from ._native import PathLike, fspath, lock_options, native, timeout_ms

EXCLUSIVE = 1
SHARED = 2


class Backend(enum.IntEnum):
    """Lock mechanisms. ``AUTO`` picks the kernel lock that works on the filesystem."""

    AUTO = 0
    FLOCK = 1
    OFD = 2
    POSIX = 3
    LOCKFILE = 4
    LOCKDIR = 5
    WINDOWS = 6


class FileLock:
    """A lock on ``file_path``, held through the sidecar ``<file_path>.lock``, or on a
    lock file named exactly (``lock_file=``, or ``sidecar=False``).

    Excludes other processes and other ``FileLock`` objects in this process. The lock is
    released when the holder releases it, closes it, or dies: it never goes stale. A
    waiter is woken as soon as the lock is free; ``poll_interval`` only matters for the
    lock-file backends on filesystems without kernel locks.

    One ``FileLock`` object is used by one thread at a time (except :meth:`cancel`);
    give each thread its own object for the same path.

    Args:
        file_path: the file to protect (the lock file is created beside it).
        timeout: seconds :meth:`acquire` waits; ``None`` or negative waits forever.
        poll_interval: re-check interval for lock-file backends, in seconds.
        shared: take a shared (reader) lock instead of an exclusive one.
        backend: a :class:`Backend`; ``AUTO`` by default.
        lock_dir: keep the lock file in this directory instead of beside the file.
        owner: a label recorded with the holder (shown by :func:`get_lock_info`).
        sidecar: False locks ``file_path`` itself, as flock(1), py-filelock, portalocker
            and gofrs/flock lock the path they are given (kernel backends only).
        lock_file: lock exactly this file (no ``.lock`` added), as py-filelock's
            ``FileLock(lock_file=...)`` does; ``file_path`` may then be left out.
            ``FileLock(lock_file="x.lock")`` and a py-filelock ``FileLock("x.lock")``
            exclude each other. Cannot be combined with ``lock_dir``.

    A positional ``FileLock("x.lock")`` is the sidecar ``x.lock.lock``: a program moving
    from py-filelock keeps excluding py-filelock processes with ``lock_file=``.
    """

    def __init__(self, file_path: Optional[PathLike] = None, timeout: Optional[float] = 30.0,
                 poll_interval: float = 0.5, shared: bool = False, *,
                 backend: Backend = Backend.AUTO, lock_dir: Optional[PathLike] = None,
                 owner: Optional[str] = None, sidecar: bool = True,
                 lock_file: Optional[PathLike] = None) -> None:
        if lock_file is not None:
            if lock_dir is not None:
                raise ValueError("FileLock: lock_file names the lock file; lock_dir cannot move it")
            target, sidecar = lock_file, False
        elif file_path is None:
            raise TypeError("FileLock: give file_path, or lock_file for the lock file itself")
        else:
            target = file_path
        self.file_path = Path(fspath(file_path if file_path is not None else target))
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.shared = shared
        opts = lock_options(backend=backend, lock_dir=lock_dir, owner=owner, sidecar=sidecar,
                            retry_interval=poll_interval)
        self._handle: Any = native.fl_open(fspath(target), opts)

    @property
    def lock_file(self) -> Path:
        """The path of the lock file."""
        return Path(native.fl_lock_path(self._live_handle()))

    @property
    def is_locked(self) -> bool:
        """True while this object holds the lock."""
        return self._handle is not None and bool(native.fl_is_locked(self._handle))

    def acquire(self, blocking: bool = True, timeout: Optional[float] = None) -> bool:
        """Takes the lock.

        Returns True once held (at once if this object already holds it). With
        ``blocking=False`` returns False if another holder has it. A blocking call waits
        up to ``timeout`` (default: the constructor's) and raises :class:`LockTimeout`
        (a ``LockError`` and a ``TimeoutError``) when it passes. Ctrl-C interrupts the
        wait with ``KeyboardInterrupt``, leaving the lock not held.
        """
        handle = self._live_handle()
        if native.fl_is_locked(handle):
            return True
        mode = SHARED if self.shared else EXCLUSIVE
        try:
            native.fl_lock(handle, mode, native.FL_NOWAIT)
            return True
        except LockBusyError as busy:
            if not blocking:
                return False
            wait_ms = timeout_ms(self.timeout if timeout is None else timeout)
            if wait_ms == native.FL_NOWAIT:
                raise LockTimeout(busy.message, FL_ETIMEOUT, busy.operation) from None
        self._wait(handle, mode, wait_ms)
        return True

    def release(self) -> None:
        """Releases the lock if this object holds it; calling it again does nothing."""
        if self.is_locked:
            native.fl_unlock(self._handle)

    def cancel(self) -> None:
        """Ends a wait in :meth:`acquire` running in another thread (it raises
        :class:`LockCancelledError`). Safe to call from any thread."""
        native.fl_cancel(self._live_handle())

    def close(self) -> None:
        """Releases the lock and closes the lock file. The object is unusable after."""
        handle, self._handle = self._handle, None
        if handle is not None:
            native.fl_close(handle)

    def __enter__(self) -> "FileLock":
        self.acquire()
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]],
                 exc_val: Optional[BaseException], exc_tb: Optional[TracebackType]) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "closed" if self._handle is None else ("locked" if self.is_locked else "unlocked")
        mode = "shared" if self.shared else "exclusive"
        return f"<FileLock {str(self.file_path)!r} {mode} {state}>"

    def _live_handle(self) -> Any:
        if self._handle is None:
            raise ValueError(f"FileLock for {str(self.file_path)!r} is closed")
        return self._handle

    def _wait(self, handle: Any, mode: int, wait_ms: int) -> None:
        """Blocks in fl_lock with the GIL released.

        Python runs signal handlers only in the main thread, between bytecodes, so a
        main-thread wait happens in a worker thread while the main thread sits in an
        interruptible Event wait; on KeyboardInterrupt it cancels the native wait.
        """
        if threading.current_thread() is not threading.main_thread():
            native.fl_lock(handle, mode, wait_ms)
            return
        outcome: Dict[str, BaseException] = {}
        # An Event, not Thread.join: a join interrupted by Ctrl-C can report a running
        # thread as finished (CPython bpo-45274).
        finished = threading.Event()

        def wait() -> None:
            try:
                native.fl_lock(handle, mode, wait_ms)
            except BaseException as exc:  # handed to the caller's thread
                outcome["error"] = exc
            finally:
                finished.set()

        threading.Thread(target=wait, name="libfilelock-wait", daemon=True).start()
        try:
            finished.wait()
        except BaseException:
            native.fl_cancel(handle)
            while not finished.is_set():
                try:
                    finished.wait()
                except KeyboardInterrupt:
                    pass  # already cancelling; the wait ends promptly
            self._settle_cancel(handle, outcome.get("error"))
            raise
        if "error" in outcome:
            raise outcome["error"]

    @staticmethod
    def _settle_cancel(handle: Any, error: Optional[BaseException]) -> None:
        """After an interrupted wait: drop a lock taken just before the cancel landed,
        or consume a cancel request the wait never saw, so the next acquire is clean."""
        if error is None:
            native.fl_unlock(handle)  # also clears the pending cancel request
        elif not isinstance(error, LockCancelledError):
            try:
                native.fl_lock(handle, EXCLUSIVE, native.FL_NOWAIT)
            except (LockCancelledError, LockBusyError):
                return
            native.fl_unlock(handle)
