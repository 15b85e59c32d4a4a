"""Paths with an embedded NUL are refused with ValueError, as open() refuses them.

The C library takes C strings: "report.csv\\0-other" would reach it as "report.csv", so
the call would lock, create or clean a different file than the one named.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import pytest

import libfilelock as lf

NUL = "\0-other"


def _every_path_call(tmp: Path) -> "dict[str, Callable[[str], Any]]":
    good = str(tmp / "report.csv")
    return {
        "FileLock": lambda bad: lf.FileLock(bad),
        "FileLock(lock_dir=)": lambda bad: lf.FileLock(good, lock_dir=bad),
        "JsonState": lambda bad: lf.JsonState(bad),
        "JsonState(meta_dir=)": lambda bad: lf.JsonState(good + ".json", meta_dir=bad),
        "PipelineState": lambda bad: lf.PipelineState(bad),
        "append_jsonl": lambda bad: lf.append_jsonl(bad, {"a": 1}),
        "is_file_locked": lf.is_file_locked,
        "get_lock_holder_pid": lf.get_lock_holder_pid,
        "get_lock_info": lf.get_lock_info,
        "get_lock_age": lf.get_lock_age,
        "is_lock_stale": lf.is_lock_stale,
        "wait_for_lock_release": lambda bad: lf.wait_for_lock_release(bad, timeout=0),
        "get_locked_files": lf.get_locked_files,
        "print_lock_status": lf.print_lock_status,
        "cleanup_stale_locks": lf.cleanup_stale_locks,
    }


@pytest.mark.parametrize("call", sorted(_every_path_call(Path("/unused"))))
@pytest.mark.parametrize("as_path", [False, True], ids=["str", "Path"])
def test_a_path_with_a_nul_is_refused_and_nothing_is_created(tmp_path, call, as_path):
    bad = str(tmp_path / "report.csv") + NUL
    if call == "get_locked_files" or call == "print_lock_status" or call == "cleanup_stale_locks":
        bad = str(tmp_path) + NUL
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(ValueError, match="null byte"):
        _every_path_call(tmp_path)[call](Path(bad) if as_path else bad)
    assert sorted(os.listdir(tmp_path)) == before, "nothing made under the cut name"


def test_restore_backup_refuses_an_id_with_a_nul(tmp_path):
    state = lf.JsonState(tmp_path / "s.json")
    state.write({"n": 1})
    backup = state.backup_manager.create_backup()
    with pytest.raises(ValueError, match="null byte"):
        state.restore_backup(backup.id + NUL)
    state.close()


def test_a_nul_is_refused_like_open_refuses_it(tmp_path):
    bad = str(tmp_path / "x") + NUL
    with pytest.raises(ValueError):
        open(bad, "w")
    with pytest.raises(ValueError):
        lf.FileLock(bad)
