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

    def read_while_interrupted(h):
        # Ctrl-C arrives while the call runs; the cancel it causes lands after the
        # native call has taken and released the lock.
        result = native.fl_state_read(h)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)
        return result

    with pytest.raises(KeyboardInterrupt):
        state._waiting(handle, read_while_interrupted)
    assert state.read() == {"n": 1}
    state.write({"n": 2})
    assert state.read() == {"n": 2}
