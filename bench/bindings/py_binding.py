"""The Python binding measured as filelock-bench measures the C API, for the binding's
overhead: the same operations through `libfilelock`.

Prints "binding.py_lock_us V" (FileLock acquire+release, exclusive, uncontended, on an
open lock) and "binding.py_txn_1k_us V" (one `with state.transaction()` incrementing a
counter in a ~1 KiB document: FULL durability, backups and audit log on, as
state.fl_full_1k_us). Each figure is the median of several rounds' means.
Usage: python3 py_binding.py [--quick] DIR   (libfilelock importable: PYTHONPATH)
"""
import json
import statistics
import sys
import time

from libfilelock import FileLock, JsonState


def make_doc(nbytes):
    """The document bench/state_suite.cpp commits: a counter and small records."""
    doc = {"counter": 0, "items": []}
    while len(json.dumps(doc, separators=(",", ":"))) + 70 < nbytes:
        i = len(doc["items"])
        doc["items"].append({"id": i, "name": f"item-{i:06d}", "status": "success", "ms": 42.5})
    return doc


def rounds_median(fn, rounds, n):
    means = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        means.append((time.perf_counter() - t) / n * 1e6)
    return statistics.median(means)


def main():
    quick = "--quick" in sys.argv
    directory = [a for a in sys.argv[1:] if a != "--quick"][0]
    lock = FileLock(f"{directory}/py_binding.json")

    def lock_unlock():
        lock.acquire()
        lock.release()

    lock_unlock()
    print(f"binding.py_lock_us {rounds_median(lock_unlock, 3 if quick else 9, 100 if quick else 20000):.3f}")
    lock.close()

    state = JsonState(f"{directory}/py_binding_txn.json", initial=make_doc(1024))

    def txn():
        with state.transaction() as t:
            t.data["counter"] += 1

    txn()
    print(f"binding.py_txn_1k_us {rounds_median(txn, 3 if quick else 7, 5 if quick else 60):.3f}")


if __name__ == "__main__":
    main()
