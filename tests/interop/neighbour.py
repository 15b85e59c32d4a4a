#!/usr/bin/env python3
"""One lock user for the neighbours test (neighbours.py), locking PATH itself.

Usage: neighbour.py KIND ACTION PATH
  KIND    libfilelock (this project's binding: FileLock(lock_file=PATH)),
          libfilelock-ofd (the same with the OFD backend), libfilelock-sidecar
          (FileLock(X) for PATH "X.lock": the default sidecar), py-filelock,
          portalocker, fasteners
  ACTION  hold: lock (waiting), print "locked", hold until stdin closes
          try:  try once: print "locked" (exit 0) or "busy" (exit 1)
          wait: lock (waiting), print "locked", release
Exit 3 with a message when KIND's module is not installed.
"""
import sys


def locker(kind, path):
    """(acquire(blocking) -> bool, release()) for KIND on PATH."""
    try:
        if kind == "libfilelock-sidecar":
            # The default lock of "x" is the sidecar "x.lock": PATH minus its ".lock".
            import libfilelock
            lock = libfilelock.FileLock(path[:-len(".lock")], timeout=None)
            return lambda blocking: lock.acquire(blocking=blocking), lock.release
        if kind.startswith("libfilelock"):
            import libfilelock
            backend = libfilelock.Backend.OFD if kind.endswith("-ofd") else libfilelock.Backend.AUTO
            lock = libfilelock.FileLock(lock_file=path, timeout=None, backend=backend)
            return lambda blocking: lock.acquire(blocking=blocking), lock.release
        if kind == "py-filelock":
            import filelock
            lock = filelock.FileLock(path)

            def acquire(blocking):
                try:
                    lock.acquire(timeout=-1 if blocking else 0)
                    return True
                except filelock.Timeout:
                    return False
            return acquire, lock.release
        if kind == "portalocker":
            import portalocker
            handle = {}

            def acquire(blocking):
                # portalocker polls while it waits (non-blocking flock every 0.25 s)
                lock = portalocker.Lock(path, mode="a", timeout=3600 if blocking else 0,
                                        fail_when_locked=not blocking)
                handle["lock"] = lock
                try:
                    lock.acquire()
                    return True
                except portalocker.exceptions.BaseLockException:
                    return False
            return acquire, lambda: handle["lock"].release()
        if kind == "fasteners":
            import fasteners
            lock = fasteners.InterProcessLock(path)
            return lambda blocking: lock.acquire(blocking=blocking), lock.release
    except ImportError as exc:
        print(f"{kind} is not installed: {exc}", file=sys.stderr)
        sys.exit(3)
    sys.exit(f"unknown KIND {kind}")


def main():
    kind, action, path = sys.argv[1:4]
    acquire, release = locker(kind, path)
    if not acquire(action != "try"):
        print("busy", flush=True)
        return 1
    print("locked", flush=True)
    if action == "hold":
        sys.stdin.read()
    release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
