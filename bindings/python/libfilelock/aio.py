"""asyncio: locks and state transactions that wait without blocking the event loop.

A wait for a lock runs the native call on a thread of its own (one per contended wait,
never a pool thread: a pool thread may have held the lock through another handle,
which the library's deadlock check would see). Cancelling the awaiting task cancels the
native wait and returns once it has ended, leaving nothing held.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from types import TracebackType
from typing import Any, Callable, Optional, Tuple, Type, TypeVar

from ._cancel import CallCancel
from ._errors import FL_ETIMEOUT, LockBusyError, LockTimeout
from ._native import PathLike, native, timeout_ms
from ._txn import _Document, _Pointers, _Transaction
from .lock import EXCLUSIVE, SHARED, FileLock

_log = logging.getLogger("libfilelock")
_Outcome = Tuple[str, Any]  # ("result", value) or ("error", exception)
_AsyncSelf = TypeVar("_AsyncSelf", bound="_AsyncScope")  # what async with gives back


async def run_blocking(call: Callable[[], Any], cancel: Callable[[], None],
                       settle: Callable[[_Outcome], None]) -> Any:
    """``call()`` on a thread of its own, awaited. If the awaiting task is cancelled,
    ``cancel()`` ends the native wait; once ``call`` has returned, ``settle`` undoes what
    it did and the cancellation goes on."""
    loop = asyncio.get_running_loop()
    future: "asyncio.Future[_Outcome]" = loop.create_future()

    def deliver(outcome: _Outcome) -> None:
        if not future.done():
            future.set_result(outcome)

    def job() -> None:
        try:
            outcome: _Outcome = ("result", call())
        except BaseException as exc:  # handed to the awaiting task
            outcome = ("error", exc)
        try:
            loop.call_soon_threadsafe(deliver, outcome)
        except RuntimeError:
            settle(outcome)  # the loop is gone: nobody will use the outcome

    threading.Thread(target=job, name="libfilelock-async-wait", daemon=True).start()
    try:
        kind, value = await asyncio.shield(future)
    except asyncio.CancelledError:
        cancel()
        while True:
            try:
                outcome = await asyncio.shield(future)
                break
            except asyncio.CancelledError:
                continue  # already cancelling; the call ends promptly
        settle(outcome)
        raise
    if kind == "error":
        raise value
    return value


class AsyncAcquireReturnProxy:
    """What :meth:`AsyncFileLock.acquire` returns: ``async with await lock.acquire():``."""

    def __init__(self, lock: "AsyncFileLock") -> None:
        self.lock = lock

    def __bool__(self) -> bool:
        return True

    async def __aenter__(self) -> "AsyncFileLock":
        return self.lock

    async def __aexit__(self, *exc: Any) -> None:
        await self.lock.release()


class AsyncFileLock:
    """A :class:`FileLock` for asyncio: ``async with lock:``, ``await lock.acquire()``.

    Takes the same arguments as :class:`FileLock`. Re-entrant within the task holding
    it; another task acquiring the same object waits until the holder releases it (up
    to its timeout), as tasks with objects of their own do; releasing it from a task
    that does not hold it raises ``RuntimeError``. The wait never blocks the event
    loop, and cancelling the task ends it promptly with the lock not held.
    """

    def __init__(self, file_path: Optional[PathLike] = None, timeout: Optional[float] = 30.0,
                 poll_interval: float = 0.5, shared: bool = False, **options: Any) -> None:
        options.pop("thread_local", None)
        self._sync = FileLock(file_path, timeout, poll_interval, shared, thread_local=False,
                              **options)
        self._counter = 0
        self._owner: Optional["asyncio.Task[Any]"] = None
        self._freed: Optional[asyncio.Event] = None  # set when the owning task lets go

    file_path = property(lambda self: self._sync.file_path)
    lock_file = property(lambda self: self._sync.lock_file)
    timeout = property(lambda self: self._sync.timeout)

    @property
    def is_locked(self) -> bool:
        return self._sync.is_locked

    @property
    def lock_counter(self) -> int:
        return self._counter if self.is_locked else 0

    @property
    def fencing_token(self) -> int:
        """As :attr:`FileLock.fencing_token`."""
        return self._sync.fencing_token

    @property
    def lost(self) -> bool:
        """As :attr:`FileLock.lost`."""
        return self._sync.lost

    async def acquire(self, timeout: Optional[float] = None,
                      poll_interval: Optional[float] = None, *,
                      blocking: Optional[bool] = None) -> Any:
        """Like :meth:`FileLock.acquire`, awaited; ``poll_interval`` is ignored."""
        blocking = self._sync.blocking if blocking is None else blocking
        handle = self._sync._context_handle()
        task = asyncio.current_task()
        if timeout is None:
            timeout = self.timeout
        if self._owner is not None and self._owner is not task:
            if not blocking:
                return False
            started = time.monotonic()
            await self._wait_for_other_task(task, timeout)
            if timeout is not None and timeout >= 0:
                timeout = max(0.0, timeout - (time.monotonic() - started))
        if self._counter > 0 and native.fl_is_locked(handle):
            self._counter += 1
            return AsyncAcquireReturnProxy(self)
        result: Any = False
        try:
            result = await self._take(handle, task, timeout, blocking)
            return result
        finally:
            if not result and self._counter == 0 and self._owner is task:
                self._let_go()  # not taken: the next task may try

    async def _take(self, handle: Any, task: Any, timeout: Optional[float],
                    blocking: bool) -> Any:
        mode = SHARED if self._sync.shared else EXCLUSIVE
        debug = _log.isEnabledFor(logging.DEBUG)
        try:
            native.fl_lock(handle, mode, native.FL_NOWAIT)
        except LockBusyError as busy:
            if not blocking:
                return False
            wait_ms = timeout_ms(timeout)
            if wait_ms == native.FL_NOWAIT:
                raise LockTimeout(busy.message, FL_ETIMEOUT, busy.operation) from None
            if debug:
                _log.debug("waiting (async) for lock %s (timeout %s ms)", self.file_path, wait_ms)
            self._owner = task  # other tasks of this object wait for this one
            call = CallCancel(wait_ms)  # the wait's own: a late cancel reaches nothing
            await run_blocking(lambda: native.fl_lock_with(handle, mode, call.opts),
                               call.trigger,
                               lambda outcome: FileLock._settle_cancel(
                                   handle, outcome[1] if outcome[0] == "error" else None))
        self._owner = task
        self._counter = 1
        if debug:
            _log.debug("acquired lock %s", self.file_path)
        return AsyncAcquireReturnProxy(self)

    async def release(self, force: bool = False) -> None:
        """Releases one level (all with ``force=True``); an unheld lock does nothing."""
        if not self.is_locked:
            if self._owner is None or self._owner is asyncio.current_task():
                self._counter = 0
                self._let_go()
            return
        if self._owner is not None and self._owner is not asyncio.current_task():
            raise RuntimeError(f"AsyncFileLock release '{self.file_path}': held by another task")
        self._counter = 0 if force else self._counter - 1
        if self._counter <= 0:
            self._counter = 0
            self._let_go()
            native.fl_unlock(self._sync._context_handle())
            if _log.isEnabledFor(logging.DEBUG):
                _log.debug("released lock %s", self.file_path)

    def close(self) -> None:
        self._sync.close()

    async def _wait_for_other_task(self, task: Any, timeout: Optional[float]) -> None:
        """Until no other task of this loop owns the object (raises Timeout)."""
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
        while self._owner is not None and self._owner is not task:
            if self._freed is None:
                self._freed = asyncio.Event()
            freed = self._freed
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise LockTimeout(f"lock '{self.file_path}': timed out after {timeout} s; "
                                  f"another task holds it", FL_ETIMEOUT, "fl_lock")
            try:
                await asyncio.wait_for(freed.wait(), remaining)
            except asyncio.TimeoutError:
                continue  # the loop condition reports it
        self._owner = task  # claimed before any await: the next task waits in turn

    def _let_go(self) -> None:
        self._owner = None
        if self._freed is not None:
            self._freed.set()
            self._freed = None

    async def __aenter__(self) -> "AsyncFileLock":
        await self.acquire()
        return self

    async def __aexit__(self, exc_type: Optional[Type[BaseException]],
                        exc_val: Optional[BaseException], exc_tb: Optional[TracebackType]) -> None:
        await self.release()

    def __repr__(self) -> str:
        return "<Async" + repr(self._sync)[1:]


class _AsyncScope(_Transaction):
    """``async with``: the lock wait and the commit on threads of their own, on a handle
    no other transaction uses (async transactions of one loop may overlap)."""

    _key: Any = None
    _handle: Any = None

    async def __aenter__(self: _AsyncSelf) -> _AsyncSelf:
        state = self._state
        key, handle = state._borrow_async_handle(self._validate)
        call = CallCancel()  # the wait's own: a late cancel leaves the handle reusable

        def settle(outcome: _Outcome) -> None:
            kind, value = outcome
            if kind == "result":
                native.fl_txn_rollback(value)

        try:
            self._start(await run_blocking(lambda: native.fl_txn_begin_with(handle, call.opts),
                                           call.trigger, settle))
        except BaseException:
            state._return_async_handle(key, handle)
            raise
        self._key, self._handle = key, handle
        return self

    async def __aexit__(self, exc_type: Optional[Type[BaseException]],
                        exc_val: Optional[BaseException], exc_tb: Optional[TracebackType]) -> None:
        handle, self._handle = self._handle, None
        try:
            txn = self._finish(exc_type, exc_val)
            if txn is None:
                return
            # The commit (fsync, rename) is not interrupted: a cancel waits for it.
            await run_blocking(lambda: native.fl_txn_commit(txn), lambda: None, lambda _: None)
            self._committed()
        finally:
            self._state._return_async_handle(self._key, handle)


class AsyncStateTransaction(_AsyncScope, _Document):
    """``async with state.atransaction() as txn:``: a :class:`StateTransaction` whose
    lock wait and commit run off the event loop; cancelling the task while it waits
    leaves the document, the lock and the state object as they were."""


class AsyncStateEdit(_AsyncScope, _Pointers):
    """``async with state.aedit() as edit:``: a :class:`StateEdit` whose lock wait and
    commit run off the event loop; cancelling the task while it waits leaves the
    document, the lock and the state object as they were. ``get``, ``set``, ``remove``
    and ``merge`` work on the library's copy in memory and do not wait."""


__all__ = ["AsyncAcquireReturnProxy", "AsyncFileLock", "AsyncStateEdit", "AsyncStateTransaction",
           "run_blocking"]
