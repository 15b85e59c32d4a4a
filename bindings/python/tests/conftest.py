"""Shared fixtures: child Python processes that hold locks or run snippets."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Iterator, List

import pytest


class Child:
    """A Python subprocess running a snippet; talks over stdin/stdout lines."""

    def __init__(self, code: str, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code), *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, bufsize=1, env=dict(os.environ))

    @property
    def pid(self) -> int:
        return self.proc.pid

    def expect(self, line: str, timeout: float = 10.0) -> None:
        """Waits for the child to print ``line``; fails with its stderr otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.proc.stdout.readline()
            if got.strip() == line:
                return
            if not got and self.proc.poll() is not None:
                break
        self.proc.kill()
        pytest.fail(f"child never printed {line!r}; stderr:\n{self.proc.stderr.read()}")

    def send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def wait(self, timeout: float = 10.0) -> int:
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def interrupt_wait(self) -> float:
        """Once the child says "waiting" and has had time to block in the native wait,
        sends SIGINT and returns the seconds until it says "interrupted"."""
        self.expect("waiting")
        time.sleep(0.3)
        start = time.monotonic()
        self.proc.send_signal(signal.SIGINT)
        self.expect("interrupted", timeout=5)
        return time.monotonic() - start


# Holds a lock on argv[1] until told to go; mode from argv[2].
HOLDER = """
import sys
from libfilelock import Backend, FileLock
mode = sys.argv[2]  # exclusive, shared, or the backend "lockfile"/"lockdir" (exclusive)
backend = {"lockfile": Backend.LOCKFILE, "lockdir": Backend.LOCKDIR}.get(mode, Backend.AUTO)
lock = FileLock(sys.argv[1], timeout=5, shared=(mode == "shared"), backend=backend)
lock.acquire()
print("locked", flush=True)
sys.stdin.readline()
lock.release()
print("released", flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def children() -> Iterator[List[Child]]:
    """Spawned children, killed at the end of the test whatever happened."""
    spawned: List[Child] = []
    yield spawned
    for child in spawned:
        child.kill()


@pytest.fixture
def hold(children: List[Child]):
    """hold(path, mode="exclusive") -> Child holding the lock on path in another process."""

    def start(path: Path, mode: str = "exclusive") -> Child:
        child = Child(HOLDER, str(path), mode)
        children.append(child)
        child.expect("locked")
        return child

    return start


@pytest.fixture
def off_the_loop():
    """off_the_loop(child, body) -> (body's result, ticks): awaits the coroutine function
    ``body`` in a new event loop while a task counts the loop's turns (one per 10 ms);
    ``child`` (a hold() child) lets its lock go after 0.5 s. A wait that blocked the loop
    leaves 1 or 2 ticks; one that ran off it, about 50."""

    def run(child: "Child", body):
        async def main():
            ticks, stop = [0], asyncio.Event()

            async def tick():
                while not stop.is_set():
                    ticks[0] += 1
                    await asyncio.sleep(0.01)

            ticker = asyncio.create_task(tick())
            asyncio.get_running_loop().call_later(0.5, child.send, "go")
            try:
                result = await body()
            finally:
                stop.set()
                await ticker
            return result, ticks[0]

        return asyncio.run(main())

    return run
