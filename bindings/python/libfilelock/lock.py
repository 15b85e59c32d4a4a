"""FileLock: an exclusive or shared lock on a path, for threads and processes."""
from __future__ import annotations

import enum
import logging
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Dict, List, Optional, Type

from ._errors import (FL_ECANCELED, FL_ENOTLOCKED, FL_ETIMEOUT, LockBusyError,
                      LockCancelledError, LockError, LockTimeout)
from ._cancel import CallCancel
from ._interrupt import call_interruptibly
from ._native import PathLike, check_etcd_settings, fspath, lock_options, native, timeout_ms

EXCLUSIVE = 1
SHARED = 2

_log = logging.getLogger("libfilelock")
_DEBUG = logging.DEBUG
# The logger's own cache of isEnabledFor answers (cleared in place when levels change).
# Acquire and release each ask it first: a False there is isEnabledFor's answer, and
# the method call it saves was a tenth of the binding's cost per lock+unlock. Anything
# else (not cached yet, no such cache in this Python) asks isEnabledFor.
_debug_cache: Dict[int, bool] = getattr(_log, "_cache", {})


class Backend(enum.IntEnum):
    """Lock mechanisms. ``AUTO`` picks the kernel lock that works on the filesystem."""

    AUTO = 0
    FLOCK = 1
    OFD = 2
    POSIX = 3
    LOCKFILE = 4
    LOCKDIR = 5
    WINDOWS = 6


class AcquireReturnProxy:
    """What :meth:`FileLock.acquire` returns once the lock is held: true, and a context
    manager that releases one level on exit (``with lock.acquire(timeout=1):``)."""

    def __init__(self, lock: "FileLock") -> None:
        self.lock = lock

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        # Code written against ``acquire() -> bool`` may compare with True.
        return other is True or other is self

    def __hash__(self) -> int:
        return hash(True)

    def __enter__(self) -> "FileLock":
        return self.lock

    def __exit__(self, exc_type: Optional[Type[BaseException]],
                 exc_val: Optional[BaseException], exc_tb: Optional[TracebackType]) -> None:
        self.lock.release()

    def __repr__(self) -> str:
        return f"<AcquireReturnProxy {self.lock!r}>"


class _Hold:
    """A holder's view of a FileLock: its lock handle and nesting counter (plain slots:
    read on every acquire and release, they cost less than thread-local attributes)."""

    __slots__ = ("handle", "counter")

    def __init__(self) -> None:
        self.handle: Any = None
        self.counter = 0


class FileLock:
    """A lock on ``file_path``, held through the sidecar ``<file_path>.lock``, or on a
    lock file named exactly (``lock_file=``, or ``sidecar=False``).

    Excludes other processes and other ``FileLock`` objects in this process. The lock is
    released when the holder releases it, closes it, or dies: it never goes stale. A
    waiter is woken by the kernel as soon as the lock is free, so ``poll_interval`` is
    accepted for py-filelock compatibility and ignored by the kernel backends (only the
    LOCKFILE/LOCKDIR backends, on filesystems without kernel locks, re-check at it).

    Re-entrant per object, as py-filelock: ``with lock: with lock:`` holds the lock
    until the outer block exits; :attr:`lock_counter` counts the levels and
    ``release(force=True)`` drops them all.

    Threads: with ``thread_local=True`` (the default, as py-filelock) each thread using
    the object has its own lock handle and counter, so threads sharing one object
    exclude each other like separate objects; a thread releases only what it took.
    With ``thread_local=False`` the object has one holder: a thread that acquires it
    while another thread holds it gets a ``RuntimeError`` (never a silent shared hold),
    and any thread may release it (a lock taken on a pool thread by ``run_in_executor``
    and released on the event loop's thread).

    Args:
        file_path: the file to protect (the lock file is created beside it).
        timeout: seconds :meth:`acquire` waits; ``None`` or negative waits forever.
        poll_interval: accepted for py-filelock compatibility (see above).
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
        blocking: the default of :meth:`acquire`'s ``blocking``.
        thread_local: see Threads above.
        etcd_ttl, etcd_dial_timeout, etcd_request_timeout (seconds), etcd_tls_ca,
            etcd_tls_cert, etcd_tls_key, etcd_user, etcd_password_file: an etcd:// name's
            connection settings, instead of in its query (one in both must agree); a
            file path refuses them (LockError, FL_EINVAL).

    A positional ``FileLock("x.lock")`` is the sidecar ``x.lock.lock``: a program moving
    from py-filelock keeps excluding py-filelock processes with ``lock_file=``.
    """

    def __init__(self, file_path: Optional[PathLike] = None, timeout: Optional[float] = 30.0,
                 poll_interval: float = 0.5, shared: bool = False, *,
                 backend: Backend = Backend.AUTO, lock_dir: Optional[PathLike] = None,
                 owner: Optional[str] = None, sidecar: bool = True,
                 lock_file: Optional[PathLike] = None, blocking: bool = True,
                 thread_local: bool = True, **etcd: Any) -> None:
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
        self.blocking = blocking
        self.thread_local = thread_local
        self._target = fspath(target)
        self._opts = lock_options(backend=backend, lock_dir=lock_dir, owner=owner,
                                  sidecar=sidecar, retry_interval=poll_interval,
                                  **check_etcd_settings("FileLock", etcd))
        self._mutex = threading.Lock()
        self._handles: List[Any] = []  # every thread's handle, for close()
        self._waiting: List[Any] = []  # the blocking waits' CallCancel, for cancel()
        self._cancels = 0  # cancel() calls so far: one landing before the wait starts counts
        self._closed = False
        self._holder: Optional[int] = None  # thread_local=False: the holding thread
        # thread_local: each thread's own _Hold, made on its first use (a plain
        # threading.local: a subclass's attributes cost more to read).
        self._holds: Any = threading.local() if thread_local else _SharedHold()
        self._context_handle()  # opens now, so a bad path fails here

    @property
    def lock_file(self) -> Path:
        """The path of the lock file."""
        return Path(native.fl_lock_path(self._context_handle()))

    @property
    def is_locked(self) -> bool:
        """True while this object holds the lock (in this thread, with ``thread_local``)."""
        handle = self._hold().handle
        return handle is not None and not self._closed and bool(native.fl_is_locked(handle))

    @property
    def lock_counter(self) -> int:
        """How many acquires are not yet matched by a release (0: not held)."""
        return self._hold().counter if self.is_locked else 0

    @property
    def fencing_token(self) -> int:
        """While an ``etcd://`` lock is held: its fencing token, the holder key's create
        revision, which grows with every acquisition in the cluster (a store that keeps
        the largest token it has seen can refuse a write carrying a smaller one).

        Raises :class:`LockError` with ``code`` ``FL_EUNSUPPORTED`` for a file lock
        (the kernel keeps it until released: it never passes to another holder while
        held), and ``FL_ENOTLOCKED`` when nothing is held."""
        handle = self._hold().handle
        if handle is None and not self._closed:
            # This thread never opened the lock (opening an etcd:// one grants a lease).
            raise LockError(f"fencing token '{self._target}': not locked", FL_ENOTLOCKED,
                            "fl_fencing_token")
        return native.fl_fencing_token(self._context_handle())

    @property
    def lost(self) -> bool:
        """True once an ``etcd://`` lock held by this object is known lost: its lease
        expired (the holder was paused or cut off from etcd for the TTL), so another
        process may hold it now and :meth:`release` will raise. A query of what the
        library's keep-alive last learned: it costs no request. Always False for file
        locks and when nothing is held."""
        handle = self._hold().handle
        return handle is not None and not self._closed and bool(native.fl_lock_lost(handle))

    def acquire(self, timeout: Optional[float] = None, poll_interval: Optional[float] = None,
                *, blocking: Optional[bool] = None) -> Any:
        """Takes the lock, or one more level of it if this object already holds it.

        Returns an :class:`AcquireReturnProxy` once held (true; ``with
        lock.acquire(timeout=1):`` releases on exit). With ``blocking=False`` returns
        False if another holder has it (seed API; py-filelock raises ``Timeout``
        there). A blocking call waits up to ``timeout`` (default: the constructor's)
        and raises :class:`LockTimeout` (alias ``Timeout``, a ``TimeoutError``) when it
        passes. ``poll_interval`` is ignored: the kernel wakes the waiter. Ctrl-C
        interrupts the wait with ``KeyboardInterrupt``, leaving the lock not held.
        """
        cancels = self._cancels  # read first: a cancel() from here on ends this call
        if timeout.__class__ is bool and blocking is None:
            # The seed's positional ``acquire(True)`` / ``acquire(False)``.
            blocking, timeout = timeout, None
        try:
            ctx = self._holds.hold
        except AttributeError:
            ctx = self._hold()
        handle = ctx.handle
        if handle is None or self._closed:
            handle = self._context_handle()
        if not self.thread_local:
            self._check_holder("acquire")
        if ctx.counter > 0 and native.fl_is_locked(handle):
            ctx.counter += 1
            return AcquireReturnProxy(self)
        mode = SHARED if self.shared else EXCLUSIVE
        # The uncontended path is this one try: no thread, no wait.
        try:
            native.fl_lock(handle, mode, native.FL_NOWAIT)
        except LockBusyError as busy:
            if not (self.blocking if blocking is None else blocking):
                if _debug_cache.get(_DEBUG) is not False and _log.isEnabledFor(_DEBUG):
                    _log.debug("lock %s busy, not waiting", self._target)
                return False
            self._wait_busy(handle, mode, busy, timeout, cancels)
        ctx.counter = 1
        if not self.thread_local:
            self._holder = threading.get_ident()
        if _debug_cache.get(_DEBUG) is not False and _log.isEnabledFor(_DEBUG):
            _log.debug("acquired lock %s (%s)", self._target, "shared" if self.shared else "exclusive")
        return AcquireReturnProxy(self)

    def release(self, force: bool = False) -> None:
        """Releases one level of the lock (all of them with ``force=True``); the lock
        is let go when none is left. Releasing an unheld lock does nothing."""
        try:
            ctx = self._holds.hold
        except AttributeError:
            return  # this thread never used the object
        handle = ctx.handle
        if handle is None or self._closed:
            ctx.counter = 0
            return
        counter = ctx.counter
        if counter > 1 and not force:
            if native.fl_is_locked(handle):
                ctx.counter -= 1
            else:
                ctx.counter = 0
            return
        if counter == 0 and not native.fl_is_locked(handle):
            return  # not held: the common extra release() stays cheap
        ctx.counter = 0
        self._holder = None
        # Held once: fl_unlock also says if the lock went meanwhile, so no check first.
        try:
            native.fl_unlock(handle)
        except LockError as exc:
            if exc.code != FL_ENOTLOCKED:
                raise
            return
        if _debug_cache.get(_DEBUG) is not False and _log.isEnabledFor(_DEBUG):
            _log.debug("released lock %s", self._target)

    def cancel(self) -> None:
        """Ends a wait in :meth:`acquire` running in another thread (it raises
        :class:`LockCancelledError`), including one that has started but not yet begun
        to wait. Safe to call from any thread; does nothing to later acquires."""
        with self._mutex:
            if self._closed:
                raise ValueError(f"FileLock for {str(self.file_path)!r} is closed")
            self._cancels += 1
            for call in self._waiting:
                call.trigger()

    def close(self) -> None:
        """Releases the lock and closes the lock file. The object is unusable after."""
        with self._mutex:
            handles, self._handles, self._closed = self._handles, [], True
        self._hold().counter = 0
        for handle in handles:
            native.fl_close(handle)

    def __enter__(self) -> "FileLock":
        self.acquire()
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]],
                 exc_val: Optional[BaseException], exc_tb: Optional[TracebackType]) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("locked" if self.is_locked else "unlocked")
        mode = "shared" if self.shared else "exclusive"
        return f"<FileLock {str(self.file_path)!r} {mode} {state}>"

    def _hold(self) -> _Hold:
        """This thread's :class:`_Hold` (the object's only one without thread_local)."""
        try:
            return self._holds.hold
        except AttributeError:
            self._holds.hold = _Hold()
            return self._holds.hold

    def _context_handle(self) -> Any:
        """This thread's lock handle (the object's only one without thread_local)."""
        if self._closed:
            raise ValueError(f"FileLock for {str(self.file_path)!r} is closed")
        handle = self._hold().handle
        if handle is None:
            handle = native.fl_open(self._target, self._opts)
            with self._mutex:
                if self._closed:
                    native.fl_close(handle)
                    raise ValueError(f"FileLock for {str(self.file_path)!r} is closed")
                self._handles.append(handle)
            self._hold().handle = handle
        return handle

    def _check_holder(self, operation: str) -> None:
        holder = self._holder
        if not self.thread_local and holder is not None and holder != threading.get_ident():
            raise RuntimeError(
                f"FileLock {operation} '{self.file_path}': held by another thread of this "
                f"object (thread_local=False); give each thread its own FileLock or use "
                f"thread_local=True")

    def _wait_busy(self, handle: Any, mode: int, busy: LockBusyError,
                   timeout: Optional[float], cancels: int) -> None:
        """The wait after a failed try: up to ``timeout`` (default: the object's)."""
        wait_ms = timeout_ms(self.timeout if timeout is None else timeout)
        if wait_ms == native.FL_NOWAIT:
            raise LockTimeout(busy.message, FL_ETIMEOUT, busy.operation) from None
        if _debug_cache.get(_DEBUG) is not False and _log.isEnabledFor(_DEBUG):
            _log.debug("waiting for lock %s (timeout %s ms)", self._target, wait_ms)
        # The wait's own cancel token: cancel() and Ctrl-C end this wait and no later one.
        call = CallCancel(wait_ms)
        with self._mutex:
            if self._cancels != cancels:
                raise LockCancelledError(f"lock '{self._target}': cancelled",
                                         FL_ECANCELED, "fl_lock")
            self._waiting.append(call)
        try:
            # In the main thread the wait runs on the worker while this thread waits
            # interruptibly; on KeyboardInterrupt it cancels the native wait.
            call_interruptibly(lambda: native.fl_lock_with(handle, mode, call.opts),
                               call.trigger,
                               lambda outcome: self._settle_cancel(handle, outcome.get("error")))
        finally:
            with self._mutex:
                self._waiting.remove(call)

    @staticmethod
    def _settle_cancel(handle: Any, error: Optional[BaseException]) -> None:
        """After an interrupted wait: drop a lock taken just before the cancel landed.
        (The cancel went to the wait's own token: nothing of it stays on the handle.)"""
        if error is None:
            native.fl_unlock(handle)


class _SharedHold:
    """thread_local=False: one :class:`_Hold` for every thread."""

    def __init__(self) -> None:
        self.hold = _Hold()
