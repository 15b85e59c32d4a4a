"""Ctrl-C ends a state operation that waits for the file's lock, and leaves the state
usable."""
from __future__ import annotations

import json
import os
import signal
import time

import pytest

from libfilelock import JsonState, StateLockError
from libfilelock import filelock_native as native

from conftest import Child

# Waits in one state operation (argv[2]) until Ctrl-C, then, told "go", uses the same
# object again.
WAITER = """
import sys, time
from libfilelock import JsonState
state = JsonState(sys.argv[1], timeout=30)
ops = {
    "read": lambda: state.read(),
    "write": lambda: state.write({"n": "lost"}),
    "transaction": lambda: state.transaction().__enter__(),
    "verify": lambda: state.verify(),
}
print("waiting", flush=True)
try:
    ops[sys.argv[2]]()
    print("finished", flush=True)
except KeyboardInterrupt:
    print("interrupted", flush=True)
sys.stdin.readline()
with state.transaction() as txn:
    txn.data["n"] += 1
print("after", state.read()["n"], flush=True)
"""


@pytest.mark.parametrize("op", ["read", "write", "transaction", "verify"])
def test_ctrl_c_ends_a_state_lock_wait(tmp_path, hold, children, op):
    path = tmp_path / "pipeline.json"
    JsonState(path).write({"n": 1})
    holder = hold(path)  # holds <path>.lock, the state's lock
    waiter = Child(WAITER, str(path), op)
    children.append(waiter)
    elapsed = waiter.interrupt_wait()
    print(f"{op}: wait ended {elapsed * 1000:.1f} ms after SIGINT")
    assert elapsed < 0.5  # ~100 ms plus a scheduling allowance for a loaded machine
    assert json.loads(path.read_text()) == {"n": 1}  # nothing was written
    holder.send("go")
    holder.expect("released")
    waiter.send("go")
    waiter.expect("after 2")
    assert waiter.wait() == 0


def test_a_cancel_before_the_wait_is_kept_for_the_next_one(tmp_path):
    state = JsonState(tmp_path / "s.json")
    handle = state._native(True)
    native.fl_state_cancel(handle)
    with pytest.raises(StateLockError) as info:
        state.read()
    assert info.value.code == native.FL_ECANCELED
    assert str(tmp_path / "s.json") in info.value.message
    assert state.read() == {}  # the request was consumed


def test_ctrl_c_landing_after_the_wait_leaves_no_cancel_behind(tmp_path):
    state = JsonState(tmp_path / "s.json")
    state.write({"n": 1})
    handle = state._native(True)

    def read_while_interrupted(h, wait):
        # Ctrl-C arrives while the call runs; the cancel it causes lands after the
        # native call has taken and released the lock.
        result = native.fl_state_read_with(h, wait)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)
        return result

    with pytest.raises(KeyboardInterrupt):
        state._waiting(handle, read_while_interrupted)
    # The cancel went to that call's own token: the same handle goes on (none is
    # reopened), and its next calls are not cancelled.
    assert state._native(True) is handle
    assert json.loads(native.fl_state_read(handle)[0]) == {"n": 1}
    assert state.read() == {"n": 1}
    state.write({"n": 2})
    assert state.read() == {"n": 2}


def test_a_task_cancel_landing_after_the_wait_leaves_the_handle_reusable(tmp_path):
    import asyncio

    from libfilelock._cancel import CallCancel
    from libfilelock.aio import run_blocking

    state = JsonState(tmp_path / "s.json", timeout=5)
    state.write({"n": 1})  # generation 2
    key, handle = state._borrow_async_handle(False)
    call = CallCancel()

    def wait_then_linger():
        generation = native.fl_state_wait_with(handle, 0, call.opts)  # past 0: at once
        time.sleep(0.3)  # the task is cancelled now, after the native wait
        return generation

    async def cancelled_late():
        task = asyncio.ensure_future(run_blocking(wait_then_linger, call.trigger, lambda _: None))
        await asyncio.sleep(0.1)
        task.cancel()
        return await asyncio.gather(task, return_exceptions=True)

    [outcome] = asyncio.run(cancelled_late())
    assert isinstance(outcome, asyncio.CancelledError)
    assert call.triggered
    state._return_async_handle(key, handle)
    # The handle is reused as it is: its next wait times out, it is not cancelled.
    with pytest.raises(StateLockError) as info:
        asyncio.run(state.await_for_change(2, timeout=0.05))
    assert info.value.code == native.FL_ETIMEOUT
    assert [h for hs in state._async_free.values() for h in hs] == [handle]
