"""asyncio: AsyncFileLock and async state transactions wait off the event loop and
end promptly, leaving nothing held, when their task is cancelled."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from libfilelock import AsyncFileLock, JsonState, Timeout, is_file_locked


def test_async_with_is_reentrant_and_acquire_gives_a_proxy(tmp_path):
    async def main():
        lock = AsyncFileLock(tmp_path / "f")
        async with lock:
            async with lock:
                assert lock.lock_counter == 2
            assert is_file_locked(tmp_path / "f")
        assert not lock.is_locked
        async with await lock.acquire(timeout=1) as held:
            assert held is lock and lock.is_locked
        assert not lock.is_locked
        await lock.acquire()
        await lock.acquire()
        await lock.release(force=True)
        assert not is_file_locked(tmp_path / "f")

    asyncio.run(main())


def test_waiting_task_leaves_the_event_loop_running(tmp_path, hold, off_the_loop):
    child = hold(tmp_path / "f")  # another process holds the lock

    async def body():
        start = time.monotonic()
        async with AsyncFileLock(tmp_path / "f", timeout=10) as lock:
            waited = time.monotonic() - start
            assert lock.is_locked
        return waited

    waited, ticks = off_the_loop(child, body)
    assert waited >= 0.4
    assert ticks >= 5


def test_timeout_raises_timeout(tmp_path, hold):
    hold(tmp_path / "f")

    async def main():
        with pytest.raises(Timeout):
            await AsyncFileLock(tmp_path / "f").acquire(timeout=0.1)
        assert await AsyncFileLock(tmp_path / "f").acquire(blocking=False) is False

    asyncio.run(main())


def test_cancelling_the_task_ends_the_wait_with_nothing_held(tmp_path, hold):
    child = hold(tmp_path / "f")
    threads_before = threading.active_count()

    async def main():
        lock = AsyncFileLock(tmp_path / "f", timeout=None)
        waiter = asyncio.create_task(lock.acquire())
        await asyncio.sleep(0.3)
        start = time.monotonic()
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        elapsed = time.monotonic() - start
        assert not lock.is_locked
        child.send("go")
        child.expect("released")
        # No cancel request left behind: the same object takes the lock at once.
        async with lock:
            assert lock.is_locked
        return elapsed

    elapsed = asyncio.run(main())
    assert elapsed < 0.5  # typically ~1 ms
    deadline = time.monotonic() + 5
    while threading.active_count() > threads_before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() <= threads_before  # the wait thread ended


def test_tasks_sharing_one_object_exclude_each_other(tmp_path):
    async def main():
        lock = AsyncFileLock(tmp_path / "f", timeout=10)
        inside, order = [0], []

        async def worker(name):
            async with lock:
                inside[0] += 1
                assert inside[0] == 1  # never two tasks in the block
                order.append(name)
                await asyncio.sleep(0.05)
                inside[0] -= 1

        await asyncio.gather(*(worker(n) for n in range(4)))
        assert sorted(order) == [0, 1, 2, 3]

        await lock.acquire()

        async def other():
            with pytest.raises(RuntimeError, match="another task"):
                await lock.release()
            assert await lock.acquire(blocking=False) is False
            with pytest.raises(Timeout):
                await lock.acquire(timeout=0.1)

        await asyncio.create_task(other())
        await lock.release()
        assert not lock.is_locked

    asyncio.run(main())


def test_async_transaction_waits_off_the_loop_and_commits(tmp_path, hold, off_the_loop):
    path = tmp_path / "state.json"
    state = JsonState(path, initial={"n": 0}, timeout=None)
    child = hold(path)  # holds <path>.lock, the state's lock

    async def body():
        async with state.atransaction() as txn:
            txn.data["n"] += 1
        return await state.aupdate(lambda doc: {"n": doc["n"] + 10})

    result, ticks = off_the_loop(child, body)
    assert ticks >= 5
    assert result == {"n": 11} == state.read()


def test_cancelled_async_transaction_changes_nothing(tmp_path, hold):
    path = tmp_path / "state.json"
    state = JsonState(path, initial={"n": 0}, timeout=None)
    child = hold(path)

    async def main():
        async def bump():
            async with state.atransaction() as txn:
                txn.data["n"] += 1

        task = asyncio.create_task(bump())
        await asyncio.sleep(0.3)
        start = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        elapsed = time.monotonic() - start
        child.send("go")
        child.expect("released")
        await state.aupdate(lambda doc: {"n": doc["n"] + 5})  # the object is still usable
        return elapsed

    assert asyncio.run(main()) < 0.5
    assert state.read() == {"n": 5}
    state.close()  # no transaction left open


def test_async_transactions_of_two_processes_add_up(tmp_path, children):
    from conftest import Child

    path = tmp_path / "state.json"
    JsonState(path, initial={"n": 0}).close()
    code = """
        import asyncio, sys
        from libfilelock import JsonState
        async def main():
            state = JsonState(sys.argv[1], timeout=None)
            await asyncio.gather(*(state.aupdate(lambda d: d.update(n=d["n"] + 1))
                                   for _ in range(20)))
        asyncio.run(main())
        print("done", flush=True)
    """
    workers = [Child(code, str(path)) for _ in range(2)]
    children.extend(workers)
    for worker in workers:
        worker.expect("done", timeout=60)
    assert JsonState(path).read() == {"n": 40}


def test_async_transaction_refused_or_raising_rolls_back(tmp_path):
    from libfilelock import PipelineState, StateValidationError

    state = PipelineState(tmp_path / "pipeline.json")

    async def main():
        with pytest.raises(StateValidationError):
            async with state.atransaction() as txn:
                txn.data["phase1"] = {"status": 1}
        with pytest.raises(KeyError):
            async with state.atransaction() as txn:
                txn.data["phase1"] = {"status": "half"}
                raise KeyError("boom")
        await state.aupdate(lambda doc: doc.update(phase1={"status": "done"}))

    asyncio.run(main())
    assert state.read() == {"phase1": {"status": "done"}}
    failed = [r for r in state.get_transaction_history() if not r["success"]]
    assert len(failed) == 2 and "boom" in failed[0]["details"]
    state.close()
