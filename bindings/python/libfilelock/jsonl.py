"""Appending records to a JSON Lines journal shared by several processes."""
from __future__ import annotations

from typing import Any

from ._native import PathLike, dumps, fspath, native


def append_jsonl(path: PathLike, obj: Any, durable: bool = True) -> None:
    """Appends ``obj`` as one JSON line to ``path`` under its lock.

    The line is written whole or not at all, and concurrent appenders (in any language)
    never interleave. ``durable=True`` returns only after the line is on disk.
    """
    durability = native.FL_DURABILITY_FULL if durable else native.FL_DURABILITY_ATOMIC
    native.fl_append_ex(fspath(path), dumps(obj), None, durability)
