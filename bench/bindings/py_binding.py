"""The Python binding measured as filelock-bench measures the C API, for the binding's
overhead: the same operations through `libfilelock`.

Prints "binding.py_lock_us V" (FileLock acquire+release, exclusive, uncontended, on an
open lock) and "binding.py_txn_1k_us V" (one `with state.transaction()` incrementing a
counter in a ~1 KiB document: FULL durability, backups and audit log on, as
state.fl_full_1k_us), "binding.py_edit_1k_us" (the same through `state.edit()`), and
"binding.py_txn_1m_journal_us" / "binding.py_edit_1m_journal_us" (both ways on a ~1 MiB
document with journal_max_bytes, so each commit appends a small record: the first
parses and prints the document in Python, the second only the counter). Beside each, "_native_us" (the same steps as direct calls of the
native functions on the same handle and file) and "_overhead_us", so fsync variance
between runs does not pass for the binding's cost.

Lock+unlock: the median of several rounds' means, the two sides in alternate rounds.
Transaction: single transactions interleaved ABAB (which goes first alternates by pair),
many pairs; the medians and p99s of each side ("_p99_us", "_native_p99_us"), the median
of the pairs' differences ("_overhead_us"; the report divides it by the native median),
and the same difference in this thread's CPU time ("_cpu_overhead_us"), which fsync
waits do not blur.
Usage: python3 py_binding.py [--quick] DIR   (libfilelock importable: PYTHONPATH)
"""
import json
import statistics
import sys
import time

from libfilelock import FileLock, JsonState
from libfilelock._native import lock_options, native


def make_doc(nbytes):
    """The document bench/state_suite.cpp commits: a counter and small records. Its
    compact size is kept as it grows (printing it whole per record made 1 MiB take
    minutes)."""
    doc = {"counter": 0, "items": []}
    size = len(json.dumps(doc, separators=(",", ":")))
    while size + 70 < nbytes:
        i = len(doc["items"])
        item = {"id": i, "name": f"item-{i:06d}", "status": "success", "ms": 42.5}
        doc["items"].append(item)
        size += len(json.dumps(item, separators=(",", ":"))) + (1 if i else 0)  # its comma
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


def p99(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def interleaved(name, api, raw, pairs):
    """Prints name's figures from ``pairs`` single calls of each, interleaved ABAB (which
    goes first alternates by pair): medians, p99s and the medians of the pairs' wall and
    CPU time differences."""
    wall, cpu = time.perf_counter_ns, time.thread_time_ns
    api_wall, raw_wall, diffs, cpu_diffs = [], [], [], []
    for p in range(pairs):
        took = {}
        for fn in ((api, raw) if p % 2 == 0 else (raw, api)):
            c0, w0 = cpu(), wall()
            fn()
            w1, c1 = wall(), cpu()
            took[fn] = ((w1 - w0) / 1000, (c1 - c0) / 1000)
        api_wall.append(took[api][0])
        raw_wall.append(took[raw][0])
        diffs.append(took[api][0] - took[raw][0])
        cpu_diffs.append(took[api][1] - took[raw][1])
    print(f"{name}_us {statistics.median(api_wall):.3f}")
    print(f"{name}_native_us {statistics.median(raw_wall):.3f}")
    print(f"{name}_overhead_us {statistics.median(diffs):.3f}")
    print(f"{name}_p99_us {p99(api_wall):.3f}")
    print(f"{name}_native_p99_us {p99(raw_wall):.3f}")
    print(f"{name}_cpu_overhead_us {statistics.median(cpu_diffs):.3f}")
    print(f"{name}_pairs {pairs}")


def one_key_changes(state):
    """Three ways to add one to the document's counter: a whole-document transaction,
    edit(), and the native calls on the handle the binding's own calls use."""
    def txn():
        with state.transaction() as t:
            t.data["counter"] += 1

    def edit():
        with state.edit() as e:
            e.set("/counter", e.get("/counter") + 1)

    handle = state._native(False)

    def native_txn():
        t = native.fl_txn_begin(handle)
        counter = int(native.fl_txn_get(t, "/counter"))
        native.fl_txn_set(t, "/counter", str(counter + 1))
        native.fl_txn_commit(t)

    return txn, edit, native_txn



def one_key_rows(directory, name, options, doc, suffix, warm, txn_rounds, edit_rounds):
    """binding.py_txn_<suffix> and binding.py_edit_<suffix>: a one-key change through
    transaction() and through edit(), each interleaved with the same change made with
    the native calls, on a state made with ``options`` from ``doc``."""
    state = JsonState(f"{directory}/{name}.json", initial=doc, **options)
    txn, edit, native_txn = one_key_changes(state)
    for _ in range(warm):  # warm: files, handles, caches
        txn()
        edit()
        native_txn()
    interleaved(f"binding.py_txn_{suffix}", txn, native_txn, txn_rounds)
    interleaved(f"binding.py_edit_{suffix}", edit, native_txn, edit_rounds)
    state.close()

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

    one_key_rows(directory, "py_binding_txn", {}, make_doc(1024), "1k", 3 if quick else 20,
                 40 if quick else 3000, 40 if quick else 3000)
    # A one-key change of a 1 MiB journaled document: the whole-document transaction
    # parses, diffs and prints the document in Python, edit() sends the one value; both
    # append a small journal record, as the native twin does.
    one_key_rows(directory, "py_binding_txn_1m", {"journal_max_bytes": 1 << 30},  # no checkpoint within the run
                 make_doc(1 << 20), "1m_journal", 2 if quick else 5, 10 if quick else 200,
                 40 if quick else 3000)


if __name__ == "__main__":
    main()
