"""Access to the SWIG glue and the conversions every module shares."""
from __future__ import annotations

import math
import os
from typing import Any, Dict, Optional, Union

from . import _bundled  # noqa: F401  (before the glue: loads a bundled libcjson)
from . import _numbers
from . import filelock_native as native  # noqa: F401  (re-exported for the modules)

# Refuse to run on a libfilelock older than the header the glue was built with.
native.fl_check_version(native.FILELOCK_VERSION_NUMBER)

PathLike = Union[str, "os.PathLike[str]"]


def fspath(path: PathLike) -> str:
    """A path argument as the str the library takes.

    Raises ValueError for an embedded NUL, as ``open()`` does: the C library would read
    "a\\0b" as "a" and lock or write a different file than the one named.
    """
    text = os.fspath(path)
    if "\0" in text:
        raise ValueError(f"embedded null byte in path {text!r}")
    return text


def loads(text: Optional[str]) -> Any:
    """A document as Python values; numbers a float would change arrive as Decimal."""
    return None if text is None else _numbers.loads(text)


def dumps(value: Any) -> str:
    """Compact JSON that keeps every number (Decimals with all their digits); NaN and
    infinities are refused, as JSON has no such numbers."""
    return _numbers.dumps(value)


# The etcd:// connection settings FileLock and JsonState take as keyword arguments
# (seconds for durations, paths for files): fl_lock_options' etcd_* fields.
ETCD_DURATIONS = ("etcd_ttl", "etcd_dial_timeout", "etcd_request_timeout")
ETCD_FILES = ("etcd_tls_ca", "etcd_tls_cert", "etcd_tls_key", "etcd_user", "etcd_password_file")


def check_etcd_settings(owner: str, settings: Dict[str, Any]) -> Dict[str, Any]:
    """``settings`` if every key is an etcd setting; else TypeError, as for any unknown
    keyword argument."""
    for key in settings:
        if key not in ETCD_DURATIONS and key not in ETCD_FILES:
            raise TypeError(f"{owner}() got an unexpected keyword argument '{key}'")
    return settings


def lock_options(*, backend: int = 0, lock_dir: Optional[PathLike] = None,
                 sidecar: bool = True, owner: Optional[str] = None,
                 record_holder: bool = True, retry_interval: Optional[float] = None,
                 stale_after: Optional[float] = None,
                 file_mode: Optional[int] = None,
                 **etcd: Any) -> "native.fl_lock_options":
    """An ``fl_lock_options`` from keyword arguments (seconds for durations); ``etcd``:
    the etcd:// settings (ETCD_DURATIONS, ETCD_FILES), None for unset."""
    opts = native.fl_lock_options()
    for key, value in check_etcd_settings("lock_options", etcd).items():
        if value is None:
            continue
        if key in ETCD_DURATIONS:
            # Rounded to whole milliseconds; a negative value reaches the library, which
            # refuses it naming the field.
            setattr(opts, key + "_ms", int(round(value * 1000)))
        else:
            setattr(opts, key, fspath(value))
    opts.backend = int(backend)
    if lock_dir is not None:
        opts.lock_dir = fspath(lock_dir)
    opts.sidecar = 1 if sidecar else 0
    if owner is not None:
        opts.owner = owner
    opts.record_holder = 1 if record_holder else 0
    if retry_interval is not None:
        opts.retry_interval_ms = max(1, int(retry_interval * 1000))
    if stale_after is not None:
        opts.stale_after_ms = int(stale_after * 1000)
    if file_mode is not None:
        opts.file_mode = file_mode
    return opts


def timeout_ms(timeout: Optional[float]) -> int:
    """Seconds to the library's milliseconds: None or negative waits forever."""
    if timeout is None or timeout < 0:
        return native.FL_FOREVER
    if timeout == 0:
        return native.FL_NOWAIT
    return max(1, math.ceil(timeout * 1000))
