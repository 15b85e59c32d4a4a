"""A lock wait without timeout on a pool thread is no deadlock when another thread will
release what that pool thread took earlier (ThreadPoolExecutor, asyncio run_in_executor).
"""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from libfilelock import Backend, FileLock

BACKENDS = [Backend.AUTO, Backend.POSIX, Backend.LOCKFILE, Backend.LOCKDIR]


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_pool_thread_waits_for_a_lock_it_took_that_another_thread_releases(tmp_path, backend):
    path = tmp_path / "data"
    # One holder per object, released by whichever thread (thread_local=False).
    first = FileLock(path, timeout=None, backend=backend, thread_local=False)
    second = FileLock(path, timeout=None, backend=backend, thread_local=False)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(first.acquire).result()  # the pool's one thread holds `first`
        waiting = pool.submit(second.acquire)  # the same thread waits without timeout
        threading.Event().wait(0.3)
        assert not waiting.done()
        first.release()  # this thread releases what the pool thread took
        assert waiting.result(timeout=10)  # acquired (a true proxy, as py-filelock)
    assert second.is_locked
    second.release()
    first.close()
    second.close()


def test_asyncio_tasks_taking_one_lock_through_run_in_executor(tmp_path):
    path = tmp_path / "data"
    order = []

    async def task(number: int) -> None:
        loop = asyncio.get_running_loop()
        lock = FileLock(path, timeout=None, thread_local=False)
        await loop.run_in_executor(None, lock.acquire)
        try:
            order.append(number)
            await asyncio.sleep(0.02)
        finally:
            lock.release()  # on the loop's thread, not the one that acquired
            lock.close()

    async def main() -> None:
        await asyncio.wait_for(asyncio.gather(*(task(n) for n in range(6))), timeout=30)

    asyncio.run(main())
    assert sorted(order) == list(range(6))
