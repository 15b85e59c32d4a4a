"""JsonState.wait_for_change and await_for_change: woken by another process's commit,
time out, and the async one is cancelled by task cancellation."""
from __future__ import annotations

import asyncio
import threading

import pytest

from libfilelock import JsonState, StateLockError
from libfilelock import filelock_native as native

from conftest import Child

# Commits {"n": argv[2]} to argv[1] when told "go".
WRITER = """
import sys
from libfilelock import JsonState
state = JsonState(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
state.write({"n": int(sys.argv[2])})
print("written", flush=True)
"""


def test_a_commit_of_another_process_wakes_the_wait(tmp_path, children):
    path = tmp_path / "watched.json"
    state = JsonState(path)
    _, before = state.read_versioned()
    writer = Child(WRITER, str(path), "7")
    children.append(writer)
    writer.expect("ready")
    with pytest.raises(StateLockError) as nothing_yet:
        state.wait_for_change(before, timeout=0)
    assert nothing_yet.value.code == native.FL_ETIMEOUT
    got = []
    # `before` given: the default (the generation at the call) could already be past it.
    waiter = threading.Thread(
        target=lambda: got.append(state.wait_for_change(before, timeout=60)))
    waiter.start()
    writer.send("go")
    writer.expect("written")
    waiter.join(60)
    assert got == [before + 1]
    assert state.read() == {"n": 7}
    assert writer.wait() == 0


def test_returns_at_once_when_past_and_times_out_otherwise(tmp_path):
    state = JsonState(tmp_path / "s.json")
    _, generation = state.read_versioned()
    assert state.wait_for_change(generation - 1, timeout=None) == generation
    with pytest.raises(TimeoutError) as timed_out:
        state.wait_for_change(timeout=0.05)
    assert "s.json" in str(timed_out.value)
    state.write({"a": 1})
    assert state.wait_for_change(generation) == generation + 1


def test_await_for_change_keeps_the_loop_running_and_wakes(tmp_path):
    path = tmp_path / "s.json"
    state = JsonState(path)
    other = JsonState(path)
    _, generation = state.read_versioned()

    async def main():
        waiting = asyncio.create_task(state.await_for_change(generation, timeout=60))
        await asyncio.sleep(0.05)  # the loop runs while the task waits
        assert not waiting.done()
        await asyncio.get_running_loop().run_in_executor(None, other.write, {"b": 2})
        return await waiting

    assert asyncio.run(main()) == generation + 1


def test_cancelling_the_task_ends_the_async_wait(tmp_path):
    state = JsonState(tmp_path / "s.json")

    async def main():
        waiting = asyncio.create_task(state.await_for_change(timeout=None))
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(waiting, 10)

    asyncio.run(main())
    # The state stays usable: no cancel request is left behind.
    state.write({"c": 3})
    assert state.read() == {"c": 3}
