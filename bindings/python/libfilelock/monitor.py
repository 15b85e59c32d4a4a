"""Lock inspection and housekeeping: who holds a lock, how old, is it stale, clean up.

Every function accepts either the protected file (``data.csv``) or its lock file
(``data.csv.lock``). Inspection never disturbs holders.
"""
from __future__ import annotations

import errno
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, TextIO

from ._errors import LockTimeout
from ._native import PathLike, fspath, loads, lock_options, native
from .lock import Backend

LOCK_SUFFIX = ".lock"
_BACKENDS = {"lockfile": Backend.LOCKFILE, "lockdir": Backend.LOCKDIR}


def _query(path: PathLike) -> Dict[str, Any]:
    """fl_query for a protected file or for its lock file. With default options the
    library reports the backend whose lock is on disk (LOCKFILE, LOCKDIR, a legacy lock
    or a kernel lock) and judges its holder as if that backend had been named."""
    text = fspath(path)
    if text.endswith(LOCK_SUFFIX):
        text = text[: -len(LOCK_SUFFIX)]
    return loads(native.fl_query(text, lock_options()))


def _holder(info: Dict[str, Any]) -> Dict[str, Any]:
    return info.get("holder") or {}


def _held(info: Dict[str, Any]) -> bool:
    """Held by someone now: a lock-file lock whose holder is proven dead is not."""
    return bool(info.get("locked")) and info.get("alive") is not False


def is_file_locked(path: PathLike) -> bool:
    """True if some process (or another handle) holds the lock on ``path`` now, with
    any backend."""
    return _held(_query(path))


def wait_for_lock_release(path: PathLike, timeout: Optional[float] = 30.0) -> bool:
    """Waits until nobody holds the lock on ``path``; True if it was released in time.

    Waits by queueing for the lock (woken on release, no polling) and letting it go at
    once. ``None`` waits forever.
    """
    from .lock import FileLock

    backend = _query(path).get("backend")
    probe = FileLock(path, timeout=timeout, backend=_BACKENDS.get(backend, Backend.AUTO))
    try:
        probe.acquire()
        return True
    except LockTimeout:
        return False
    finally:
        probe.close()


def get_lock_holder_pid(path: PathLike) -> Optional[int]:
    """PID of the process holding the lock on ``path``, or None if it is free."""
    info = _query(path)
    if not _held(info):
        return None
    pid = _holder(info).get("pid")
    if pid is None:
        holders = info.get("holders") or []
        pid = holders[0].get("pid") if holders else None
    return int(pid) if pid is not None else None


def is_process_running(pid: int) -> bool:
    """True if a process with this PID exists (also when owned by another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


def _lock_dirs(directory: PathLike, recursive: bool) -> List[str]:
    """``directory`` and, if recursive, the directories under it that may hold lock
    files. A "*.lock" directory is a lock (LOCKDIR, legacy), judged by the scan of the
    directory holding it: never a directory of lock files."""
    roots = [fspath(directory)]
    if recursive:
        for root, dirs, _ in os.walk(roots[0]):
            dirs[:] = [d for d in dirs if not d.endswith(LOCK_SUFFIX)]
            roots += [os.path.join(root, d) for d in dirs]
    return roots


def _lock_files(directory: PathLike, recursive: bool) -> List[Dict[str, Any]]:
    reports = []
    for root in _lock_dirs(directory, recursive):
        reports += loads(native.fl_scan(root)).get("locks", [])
    return reports


def get_locked_files(directory: PathLike, recursive: bool = True) -> List[Path]:
    """Lock files under ``directory`` that are held right now."""
    return sorted(Path(lock["lock_path"]) for lock in _lock_files(directory, recursive)
                  if _held(lock))


def get_lock_age(lock_file: PathLike) -> float:
    """Seconds since the lock was taken (or, if free, since the lock file last changed)."""
    info = _query(lock_file)
    age_ms = info.get("age_ms")
    if age_ms is not None:
        return float(age_ms) / 1000.0
    return max(0.0, time.time() - os.stat(info.get("lock_path", fspath(lock_file))).st_mtime)


def is_lock_stale(lock_file: PathLike, threshold_hours: float = 1) -> bool:
    """True if nobody holds the lock and it is older than the threshold, or its holder
    (a lock-file backend's) is proven dead.

    A held lock is never stale, however old, unless the library proved its holder dead:
    a kernel lock dies with its holder, and a holder on another host is presumed alive.
    """
    info = _query(lock_file)
    if info.get("locked"):
        return bool(info.get("stale")) and info.get("alive") is False
    return bool(info.get("stale")) or get_lock_age(lock_file) > threshold_hours * 3600


def get_lock_info(lock_file: PathLike) -> Dict[str, Any]:
    """Everything known about a lock: ``lock_file``, ``exists``, ``locked``, ``mode``,
    ``pid``, ``process_running``, ``host``, ``owner``, ``age_seconds``, ``stale``.
    ``locked`` is False for a lock-file lock whose holder is proven dead (``stale``)."""
    info = _query(lock_file)
    holder = _holder(info)
    lock_path = Path(info.get("lock_path", fspath(lock_file)))
    pid = holder.get("pid")
    if pid is None and info.get("locked"):
        holders = info.get("holders") or []
        pid = holders[0].get("pid") if holders else None
    return {
        "lock_file": lock_path,
        "path": Path(info.get("path", fspath(lock_file))),
        "exists": lock_path.exists(),
        "locked": _held(info),
        "mode": info.get("mode"),
        "backend": info.get("backend"),
        "pid": pid,
        "process_running": is_process_running(pid) if pid else False,
        "host": holder.get("host"),
        "owner": holder.get("owner"),
        "age_seconds": float(info["age_ms"]) / 1000.0 if info.get("age_ms") is not None else None,
        "stale": bool(info.get("stale")),
        "holder": holder,
    }


def print_lock_status(directory: PathLike, file: Optional[TextIO] = None) -> None:
    """Prints a table of the lock files under ``directory`` and who holds them."""
    out = file or sys.stdout
    locks = _lock_files(directory, recursive=True)
    print(f"Lock status for {fspath(directory)}: {len(locks)} lock file(s)", file=out)
    for lock in sorted(locks, key=lambda entry: entry["lock_path"]):
        holder = lock.get("holder") or {}
        state = "LOCKED" if lock.get("locked") else "free"
        if lock.get("stale"):
            state += " (stale)"
        age = lock.get("age_ms")
        age_text = f"{age / 1000.0:.1f}s" if age is not None else "-"
        print(f"  {lock['lock_path']}  {state}  pid={holder.get('pid', '-')}  age={age_text}",
              file=out)


def cleanup_stale_locks(base_dir: PathLike, max_age_hours: float = 1) -> Dict[str, Any]:
    """Removes lock files under ``base_dir`` (recursively) that nobody holds and that
    are older than ``max_age_hours``, and legacy lock files (a bare pid, ``pid=``/
    ``locked_at=`` lines, a ``.lock`` directory holding a ``pid`` file) whose pid names
    no process on this host. Safe while other processes take those locks.

    Returns ``{'count': int, 'stale_locks': [dict], 'kept': [dict], 'errors': [str]}``;
    each ``kept`` entry has ``lock_path`` and ``reason`` (a live legacy lock's reason
    names its format and pid).
    """
    removed: List[Dict[str, Any]] = []
    kept: List[Dict[str, Any]] = []
    errors: List[str] = []
    roots = _lock_dirs(base_dir, recursive=True)
    min_age_ms = int(max_age_hours * 3600 * 1000)
    for root in roots:
        try:
            report = loads(native.fl_clean_stale(root, min_age_ms))
        except Exception as exc:  # one unreadable directory must not hide the rest
            errors.append(str(exc))
            continue
        removed += report.get("removed", [])
        kept += report.get("kept", [])
        errors += [e if isinstance(e, str) else e.get("message", str(e))
                   for e in report.get("errors", [])]
    return {"count": len(removed), "stale_locks": removed, "kept": kept, "errors": errors}
