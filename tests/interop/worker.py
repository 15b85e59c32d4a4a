"""Interop worker in Python: the same protocol as worker.c (see there)."""
import os
import sys

import libfilelock


def main() -> int:
    path, role = sys.argv[1], sys.argv[2]
    journal = int(os.environ.get("FILELOCK_WORKER_JOURNAL", "0"))
    with libfilelock.JsonState(path, journal_max_bytes=journal) as state:
        if role == "read":
            print(state.read().get("count", 0), flush=True)
            return 0
        for i in range(1, int(sys.argv[3]) + 1):
            with state.transaction() as txn:
                doc = txn.data
                doc["count"] = doc.get("count", 0) + 1
                workers = doc.setdefault("workers", {})
                workers[role] = workers.get(role, 0) + 1
            print(f"ack {i}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
