"""Python lock libraries measured the way filelock-bench measures filelock.

Prints "pylock.LIB_FIGURE_us value" lines for bench/report.py:
  uncontended   acquire+release of an exclusive lock on an existing lock file
  handoff       another process releases; µs until the blocked acquirer holds it
                (shows each library's wait strategy: polling or blocking)
  txn_1k        read-modify-write of a ~1 KiB JSON document under the lock with a
                durable replace (temp, fsync, rename, fsync dir): the usual pattern
Usage: /usr/bin/python3 py_locks.py [--quick] DIR
"""
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time

import fasteners
import filelock
import portalocker


def make_lock(name, path):
    if name == "py-filelock":
        return filelock.FileLock(path)
    if name == "portalocker":
        # Its fastest documented wait: re-try every millisecond.
        return portalocker.Lock(path, mode="a", timeout=60, check_interval=0.001,
                                fail_when_locked=False)
    return fasteners.InterProcessLock(path)


def uncontended(lock, n):
    t = time.perf_counter()
    for _ in range(n):
        lock.acquire()
        lock.release()
    return (time.perf_counter() - t) / n * 1e6


def _holder(name, path, held, released, proceed, rounds):
    lock = make_lock(name, path)
    for _ in range(rounds):
        lock.acquire()
        held.put(1)
        time.sleep(0.005)  # long enough for the other side to be waiting
        released.put(time.perf_counter())
        lock.release()
        proceed.get()


def handoff(name, path, rounds):
    held, released, proceed = mp.Queue(), mp.Queue(), mp.Queue()
    holder = mp.Process(target=_holder, args=(name, path, held, released, proceed, rounds))
    holder.start()
    lock = make_lock(name, path)
    latencies = []
    for _ in range(rounds):
        held.get()
        lock.acquire()
        t = time.perf_counter()
        lock.release()
        latencies.append((t - released.get()) * 1e6)
        proceed.put(1)
    holder.join()
    return statistics.median(latencies)


def txn(lock, dst, n):
    doc = {"counter": 0, "items": [{"id": i, "name": "item-%06d" % i, "status": "success",
                                    "ms": 42.5} for i in range(14)]}
    with open(dst, "w") as f:
        json.dump(doc, f)
    folder = os.path.dirname(dst)
    t = time.perf_counter()
    for _ in range(n):
        lock.acquire()
        with open(dst) as f:
            d = json.load(f)
        d["counter"] += 1
        fd, tmp = tempfile.mkstemp(dir=folder)
        with os.fdopen(fd, "w") as f:
            json.dump(d, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dst)
        dfd = os.open(folder, os.O_RDONLY)
        os.fsync(dfd)
        os.close(dfd)
        lock.release()
    return (time.perf_counter() - t) / n * 1e6


def main():
    args = sys.argv[1:]
    quick = "--quick" in args
    args = [a for a in args if a != "--quick"]
    base = tempfile.mkdtemp(prefix="pylocks-", dir=args[0] if args else None)
    for name in ["py-filelock", "portalocker", "fasteners"]:
        path = os.path.join(base, name + ".lock")
        key = "pylock." + name.replace("-", "_")
        print(f"{key}_us {uncontended(make_lock(name, path), 200 if quick else 20000):.3f}")
        print(f"{key}_handoff_median_us {handoff(name, path, 2 if quick else 30):.3f}")
        dst = os.path.join(base, name + ".json")
        print(f"{key}_txn_1k_us {txn(make_lock(name, path), dst, 5 if quick else 500):.3f}",
              flush=True)
    for entry in os.listdir(base):
        os.unlink(os.path.join(base, entry))
    os.rmdir(base)


if __name__ == "__main__":
    main()
