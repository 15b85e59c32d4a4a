"""Native calls that may wait for a lock, made so that Ctrl-C ends the wait.

Python runs signal handlers only in the main thread, between bytecodes, so a native
wait there would hold back Ctrl-C until the lock came. A main-thread call that has to
wait therefore runs on one long-lived worker thread while the main thread waits
interruptibly, and Ctrl-C cancels the native wait. One worker, not one thread per call:
no thread start per wait, and every main-thread wait runs on the same OS thread. Calls
from other threads run directly: the native wrapper releases the GIL.

The hop costs two thread wake-ups (tens of microseconds, far more on a busy machine),
so callers make it only for a call that would wait: they try without waiting first.
"""
from __future__ import annotations

import os
import queue
import threading
from typing import Any, Callable, Dict, Optional

_Outcome = Dict[str, Any]  # "result" or "error"


class _Worker:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.jobs: "queue.SimpleQueue[Callable[[], None]]" = queue.SimpleQueue()
        threading.Thread(target=self._run, name="libfilelock-wait", daemon=True).start()

    def _run(self) -> None:
        while True:
            self.jobs.get()()


_worker: Optional[_Worker] = None
_worker_lock = threading.Lock()
hops = 0  # calls handed to the worker so far (tests check that fast paths make none)


def _current_worker() -> _Worker:
    global _worker
    with _worker_lock:
        # A forked child has the object but not the thread: start its own.
        if _worker is None or _worker.pid != os.getpid():
            _worker = _Worker()
        return _worker


def call_interruptibly(call: Callable[[], Any], cancel: Callable[[], None],
                       settle: Callable[[_Outcome], None]) -> Any:
    """Returns ``call()``. In the main thread, an exception while it runs (Ctrl-C) calls
    ``cancel()``, waits for ``call`` to end, hands its outcome to ``settle`` (which
    undoes or cleans up what it did) and re-raises."""
    if threading.current_thread() is not threading.main_thread():
        return call()
    global hops
    hops += 1
    outcome: _Outcome = {}
    finished = threading.Event()

    def job() -> None:
        try:
            outcome["result"] = call()
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc
        finally:
            finished.set()

    _current_worker().jobs.put(job)
    try:
        finished.wait()
    except BaseException:
        cancel()
        while not finished.is_set():
            try:
                finished.wait()
            except KeyboardInterrupt:
                pass  # already cancelling; the wait ends promptly
        settle(outcome)
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
