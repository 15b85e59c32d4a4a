"""The Python package as installed by python3-libfilelock: imported from the system's
dist-packages, loading the system's libfilelock.so.1, taking a real lock."""
import sys

import libfilelock
from libfilelock import FileLock, is_file_locked

path = sys.argv[1]
assert libfilelock.__file__.startswith("/usr/lib/python3/dist-packages/"), libfilelock.__file__
with FileLock(path, timeout=5):
    assert is_file_locked(path)
    with open("/proc/self/maps") as maps:
        loaded = {line.split()[-1] for line in maps if "libfilelock.so.1" in line}
assert not is_file_locked(path)
assert all(p.startswith(("/usr/lib/", "/lib/")) for p in loaded) and loaded, loaded
print(f"python: libfilelock from {libfilelock.__file__}, library {sorted(loaded)[0]}, lock taken and released")
