"""Backups named by their file, and rolled-back transactions in the history."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from libfilelock import PipelineState, StateValidationError


def _state_with_backups(tmp_path):
    state = PipelineState(tmp_path / "pipeline.json")
    for status in ("one", "two", "three"):
        with state.transaction() as txn:
            txn.data["phase1"] = {"status": status}
    return state


def test_list_backups_give_their_file_and_restore_takes_it(tmp_path):
    state = _state_with_backups(tmp_path)
    backups = state.list_backups()
    assert backups and all(isinstance(b.path, Path) and b.path.is_file() for b in backups)
    assert backups[0].path.parent.name == "backups"
    oldest_with_data = next(b for b in reversed(backups) if json.loads(b.path.read_text()))
    document = state.read()
    assert state.restore_backup(oldest_with_data.path) is True
    assert state.read() == {"phase1": {"status": "one"}} != document
    assert state.restore_backup(str(backups[0].path)) is True
    assert state.read() == {"phase1": {"status": "two"}}
    assert state.restore_backup(backups[0].id) is True  # the id keeps working


def test_rolled_back_transactions_are_in_the_history(tmp_path):
    state = PipelineState(tmp_path / "pipeline.json")
    with state.transaction() as txn:
        txn.data["phase1"] = {"status": "success"}
    with pytest.raises(RuntimeError):
        with state.transaction() as txn:
            txn.data["phase2"] = {"status": "half"}
            raise RuntimeError("phase 2 crashed")
    with pytest.raises(StateValidationError):
        with state.transaction() as txn:
            txn.data["phase3"] = {"status": 7}
    history = state.get_transaction_history(limit=10)
    failed = [r for r in history if not r["success"]]
    assert "/phase3/status" in failed[0]["details"]  # the schema refusal, newest
    assert "RuntimeError: phase 2 crashed" == failed[1]["details"]
    assert failed[1]["operation"] == "transaction" and failed[1]["timestamp"]
    assert history[0] is failed[0]  # newest first, merged with the library's records
    assert any(r["success"] for r in history)
    assert len(state.get_transaction_history(limit=2)) == 2
    assert state.read() == {"phase1": {"status": "success"}}


def test_commit_is_logged_at_debug(tmp_path, caplog):
    state = PipelineState(tmp_path / "pipeline.json")
    with caplog.at_level(logging.DEBUG, logger="libfilelock"):
        with state.transaction() as txn:
            txn.data["phase1"] = {"status": "ok"}
    assert any(r.getMessage().startswith("committed transaction") for r in caplog.records)


def test_pydantic_refusal_is_in_the_history(tmp_path):
    pydantic = pytest.importorskip("pydantic")

    class Doc(pydantic.BaseModel):
        count: int

    state = PipelineState(tmp_path / "pipeline.json", schema=Doc, initial={"count": 1})
    with pytest.raises(StateValidationError):
        with state.transaction() as txn:
            txn.data["count"] = "many"
    record = state.get_transaction_history(limit=1)[0]
    assert record["success"] is False and "count" in record["details"]
    assert state.read() == {"count": 1}
