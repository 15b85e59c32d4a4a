"""A wheel built from source carries libcjson.so.1 beside libfilelock.so.1. The C
library looks for it only on the system's library path, so it is loaded here first:
the dynamic linker then resolves libfilelock's need for it to this copy."""
from __future__ import annotations

import ctypes
import os

_CJSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libcjson.so.1")
if os.path.exists(_CJSON):
    ctypes.CDLL(_CJSON, mode=ctypes.RTLD_GLOBAL)
