"""state.edit() / state.aedit(): transactions on values at JSON pointers, which never
take the whole document through Python, so their cost follows the change."""
from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from decimal import Decimal

import pytest

from libfilelock import (AsyncStateEdit, JsonState, StateEdit, StateError, StateReadError,
                         StateValidationError)
from libfilelock import filelock_native as native

from conftest import Child


def meta(path):
    return path.parent / f".{path.name}.filelock"


def files_of(path):
    """The document's bytes and the journal's (None when there is none)."""
    journal = meta(path) / "journal"
    return path.read_bytes(), journal.read_bytes() if journal.exists() else None


def read_elsewhere(path, pointer):
    """The value at ``pointer`` as a fresh handle in another process reads it (its exact
    JSON text)."""
    code = textwrap.dedent("""
        import sys
        from libfilelock import JsonState
        from libfilelock._numbers import dumps
        sys.stdout.write(dumps(JsonState(sys.argv[1]).get(sys.argv[2])))
    """)
    out = subprocess.run([sys.executable, "-c", code, str(path), pointer],
                         capture_output=True, text=True, check=True, timeout=60)
    return out.stdout


def test_set_get_remove_merge_round_trip(tmp_path):
    path = tmp_path / "state.json"
    state = JsonState(path)
    state.write({"a": {"b": 1, "gone": True}, "keep": "x", "drop": [1], "list": [1, 2]})
    _, generation = state.read_versioned()
    big = 2 ** 100 + 1
    with state.edit() as edit:
        assert isinstance(edit, StateEdit)
        assert edit.generation == generation
        assert edit.get("/a/b") == 1
        assert edit.get("/list/1") == 2
        edit.set("/a/b", 2)
        edit.set("/new/deep/er", {"big": big, "exact": Decimal("1e400")})  # parents made
        edit.set("/a~1b", "slash")
        edit.remove("/a/gone")
        edit.merge({"drop": None, "keep": {"now": "an object"}, "a": {"m": [3]}})
        assert edit.get("/a") == {"b": 2, "m": [3]}  # the block sees its own changes
        with pytest.raises(StateReadError) as missing:
            edit.get("/drop")
        assert missing.value.code == native.FL_ENOTFOUND
        with pytest.raises(StateReadError):
            edit.remove("/no/such/member")
        assert state._active == 1
    assert state._active == 0
    want = {"a": {"b": 2, "m": [3]}, "keep": {"now": "an object"}, "list": [1, 2],
            "new": {"deep": {"er": {"big": big, "exact": Decimal("1e400")}}}, "a/b": "slash"}
    assert state.read() == want
    assert state.read_versioned()[1] > generation
    assert JsonState(path).read() == want
    # Every number kept the exact text it was sent as.
    assert read_elsewhere(path, "/new/deep/er") == f'{{"big":{big},"exact":1E+400}}'
    with pytest.raises(StateError, match="not open"):
        edit.get("/a")  # the block is over
    state.close()  # nothing left open


@pytest.mark.parametrize("journal", [0, 1 << 26])
def test_exception_rolls_back_leaving_the_files_as_they_were(tmp_path, journal):
    path = tmp_path / "state.json"
    state = JsonState(path, journal_max_bytes=journal)
    state.write({"a": 1, "b": {"c": 2}})
    with state.edit() as edit:
        edit.set("/a", 10)  # a committed edit first, so a journal exists when kept
    before, (_, generation) = files_of(path), state.read_versioned()
    with pytest.raises(RuntimeError, match="boom"):
        with state.edit() as edit:
            edit.set("/a", 99)
            edit.remove("/b")
            edit.merge({"z": 1})
            raise RuntimeError("boom")
    assert files_of(path) == before
    assert state.read_versioned() == ({"a": 10, "b": {"c": 2}}, generation)
    failed = [r for r in state.get_transaction_history() if not r["success"]]
    assert len(failed) == 1
    assert "RuntimeError: boom" in failed[0]["details"]
    assert failed[0]["generation"] == generation
    state.close()


def test_a_value_json_cannot_hold_is_refused_and_changes_nothing(tmp_path):
    path = tmp_path / "state.json"
    state = JsonState(path)
    state.write({"a": 1})
    before = files_of(path)
    for bad in (object(), float("nan"), {"set": {1, 2}}):
        with pytest.raises(StateValidationError) as info:
            with state.edit() as edit:
                edit.set("/a", 2)
                edit.set("/when", bad)
        assert info.value.code == native.FL_EVALIDATION
        assert "fl_txn_set" in str(info.value) and str(path) in str(info.value)
        assert files_of(path) == before
    with pytest.raises(StateValidationError):
        with state.edit() as edit:
            edit.merge({"a": object()})
    assert files_of(path) == before
    # Caught inside the block: the refused value is not there, the rest commits.
    with state.edit() as edit:
        edit.set("/a", 3)
        with pytest.raises(StateValidationError):
            edit.set("/when", object())
        with pytest.raises(StateReadError):
            edit.get("/when")
        with pytest.raises(ValueError, match="null byte"):
            edit.set("/a\0b", 4)  # the library would read "/a" and change another value
    assert state.read() == {"a": 3}


INCREMENTER = """
import sys
from libfilelock import JsonState
state = JsonState(sys.argv[1], timeout=30)
for _ in range(int(sys.argv[2])):
    with state.edit() as edit:
        edit.set("/count", edit.get("/count") + 1)
print("done", flush=True)
"""


def test_other_processes_see_the_commit_and_edits_exclude_each_other(tmp_path, children):
    path = tmp_path / "state.json"
    state = JsonState(path, initial={"count": 0})
    with state.edit() as edit:
        edit.set("/phases/build", {"status": "done"})
    assert read_elsewhere(path, "/phases/build/status") == '"done"'
    workers = [Child(INCREMENTER, str(path), "25") for _ in range(3)]
    children.extend(workers)
    for worker in workers:
        worker.expect("done", timeout=120)
    assert state.get("/count") == 75


def test_a_one_key_edit_of_a_large_journaled_document_appends_a_small_record(tmp_path):
    path = tmp_path / "state.json"
    state = JsonState(path, journal_max_bytes=1 << 26)
    state.write({f"key{i}": {"value": i, "text": "y" * 90} for i in range(10_000)})
    document = path.read_bytes()
    assert len(document) > 1_000_000
    journal = meta(path) / "journal"
    before = journal.stat().st_size if journal.exists() else 0
    with state.edit() as edit:
        edit.set("/key5000/value", -1)
    grew = journal.stat().st_size - before
    assert 0 < grew < 1024, grew  # the whole document would be over a megabyte
    assert path.read_bytes() == document  # the journal holds the change
    assert read_elsewhere(path, "/key5000") == '{"value":-1,"text":"' + "y" * 90 + '"}'
    with state.edit() as edit:
        edit.merge({"key1": None, "added": True})
    assert journal.stat().st_size - before - grew < 1024
    assert "key1" not in JsonState(path).read() and state.get("/added") is True


def test_async_edit_waits_off_the_loop_and_commits(tmp_path, hold, off_the_loop):
    path = tmp_path / "state.json"
    state = JsonState(path, initial={"n": 0}, timeout=None)
    child = hold(path)  # holds <path>.lock, the state's lock

    async def body():
        async with state.aedit() as edit:
            assert isinstance(edit, AsyncStateEdit)
            edit.set("/n", edit.get("/n") + 1)
            edit.merge({"by": "task"})

    _, ticks = off_the_loop(child, body)
    assert ticks >= 5  # the loop ran while the edit waited for the lock
    assert state.read() == {"n": 1, "by": "task"}
    assert read_elsewhere(path, "/n") == "1"
    state.close()  # the async handle went back, nothing left open


def test_async_edit_cancelled_or_raising_changes_nothing(tmp_path, hold):
    path = tmp_path / "state.json"
    state = JsonState(path, initial={"n": 0}, timeout=None)
    before = files_of(path)
    child = hold(path)

    async def main():
        async def bump():
            async with state.aedit() as edit:
                edit.set("/n", 1)

        task = asyncio.create_task(bump())
        await asyncio.sleep(0.3)
        start = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        elapsed = time.monotonic() - start
        child.send("go")
        child.expect("released")
        with pytest.raises(KeyError):
            async with state.aedit() as edit:
                edit.set("/n", 2)
                raise KeyError("async boom")
        return elapsed

    assert asyncio.run(main()) < 0.5
    assert files_of(path) == before
    failed = [r for r in state.get_transaction_history() if not r["success"]]
    assert len(failed) == 1 and "async boom" in failed[0]["details"]
    state.close()


def test_schema_dict_is_checked_at_the_commit(tmp_path):
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    path = tmp_path / "state.json"
    state = JsonState(path, schema=schema, journal_max_bytes=1 << 20)
    state.write({"n": 1})
    before = files_of(path)
    with pytest.raises(StateValidationError) as info:
        with state.edit() as edit:
            edit.set("/n", "not a number")
    assert info.value.code == native.FL_EVALIDATION and "/n" in str(info.value)
    assert files_of(path) == before
    with state.edit(validate=False) as edit:
        edit.set("/n", "not a number")
    assert JsonState(path).get("/n") == "not a number"


def test_pydantic_model_is_checked_at_the_commit(tmp_path):
    pydantic = pytest.importorskip("pydantic")
    Phase = pydantic.create_model("Phase", status=(str, ...))
    Pipeline = pydantic.create_model("Pipeline", phase1=(Phase, ...))
    path = tmp_path / "state.json"
    state = JsonState(path, schema=Pipeline)
    state.write({"phase1": {"status": "pending"}})
    before = files_of(path)
    with pytest.raises(StateValidationError) as info:
        with state.edit() as edit:
            edit.set("/phase1/status", ["not", "a", "string"])  # passes until the commit
    assert "phase1" in str(info.value) and str(path) in str(info.value)
    assert files_of(path) == before
    failed = [r for r in state.get_transaction_history() if not r["success"]]
    assert len(failed) == 1 and "StateValidationError" in failed[0]["details"]

    async def refused():
        async with state.aedit() as edit:
            edit.remove("/phase1/status")

    with pytest.raises(StateValidationError):
        asyncio.run(refused())
    assert files_of(path) == before
    with state.edit() as edit:
        edit.set("/phase1/status", "done")
    with state.edit(validate=False) as edit:
        edit.set("/phase1", 3)
    assert state.read() == {"phase1": 3}
