"""The Python binding measured as filelock-bench measures the C API, for the binding's
overhead: the same operations through `libfilelock`.

Prints "binding.py_lock_us V" (FileLock acquire+release, exclusive, uncontended, on an
open lock) and "binding.py_txn_1k_us V" (one `with state.transaction()` incrementing a
counter in a ~1 KiB document: FULL durability, backups and audit log on, as
state.fl_full_1k_us). Each figure is the median of several rounds' means. Beside each,
"_native_us" (the same steps as direct calls of the native functions, in alternate
rounds, which goes first alternating, same files) and "_overhead_us" (the median of the
rounds' differences), so fsync variance between runs does not pass for the binding's cost.
Usage: python3 py_binding.py [--quick] DIR   (libfilelock importable: PYTHONPATH)
"""
import json
import statistics
import sys
import time

from libfilelock import FileLock, JsonState
from libfilelock._native import lock_options, native


def make_doc(nbytes):
    """The document bench/state_suite.cpp commits: a counter and small records."""
    doc = {"counter": 0, "items": []}
    while len(json.dumps(doc, separators=(",", ":"))) + 70 < nbytes:
        i = len(doc["items"])
        doc["items"].append({"id": i, "name": f"item-{i:06d}", "status": "success", "ms": 42.5})
    return doc


def paired(name, api, raw, rounds, n):
    """Prints name's figure, its native twin and the median of their paired differences."""
    diffs, apis, raws = [], [], []
    for r in range(rounds):
        # Which goes first alternates, so neither always follows the other's writes.
        order = (api, raw) if r % 2 == 0 else (raw, api)
        means = {}
        for fn in order:
            t = time.perf_counter()
            for _ in range(n):
                fn()
            means[fn] = (time.perf_counter() - t) / n * 1e6
        apis.append(means[api])
        raws.append(means[raw])
        diffs.append(means[api] - means[raw])
    print(f"{name}_us {statistics.median(apis):.3f}")
    print(f"{name}_native_us {statistics.median(raws):.3f}")
    print(f"{name}_overhead_us {statistics.median(diffs):.3f}")


def main():
    quick = "--quick" in sys.argv
    directory = [a for a in sys.argv[1:] if a != "--quick"][0]
    lock = FileLock(f"{directory}/py_binding.json")

    def lock_unlock():
        lock.acquire()
        lock.release()

    handle = native.fl_open(f"{directory}/py_binding_native.json", lock_options())

    def native_lock_unlock():
        native.fl_lock(handle, 1, native.FL_NOWAIT)
        native.fl_unlock(handle)

    lock_unlock()
    native_lock_unlock()
    paired("binding.py_lock", lock_unlock, native_lock_unlock, 3 if quick else 9,
           100 if quick else 20000)
    native.fl_close(handle)
    lock.close()

    state = JsonState(f"{directory}/py_binding_txn.json", initial=make_doc(1024))

    def txn():
        with state.transaction() as t:
            t.data["counter"] += 1

    state_handle = state._native(False)  # the handle the binding's own calls use

    def native_txn():
        t = native.fl_txn_begin(state_handle)
        counter = int(native.fl_txn_get(t, "/counter"))
        native.fl_txn_set(t, "/counter", str(counter + 1))
        native.fl_txn_commit(t)

    txn()
    native_txn()
    paired("binding.py_txn_1k", txn, native_txn, 3 if quick else 21, 5 if quick else 20)


if __name__ == "__main__":
    main()
