"""PipelineState / JsonState: reads, writes, transactions, validation, backups,
history, errors and many processes updating one file."""
from __future__ import annotations

import gc
import json
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from libfilelock import (Backup, FileLockError, JsonState, PipelineState,
                         StateError, StateLockError, StateReadError, StateValidationError)
from libfilelock import filelock_native as native

from conftest import Child

PHASE_SCHEMA = {
    "type": "object",
    "properties": {
        "phase1": {
            "type": "object",
            "properties": {"status": {"type": "string"}},
            "required": ["status"],
        }
    },
}


def _stray_files(directory):
    return sorted(p.name for p in directory.iterdir() if ".tmp" in p.name)


def test_missing_file_starts_as_empty_document(tmp_path):
    state = PipelineState(tmp_path / "pipeline.json")
    assert state.read() == {}
    assert json.loads((tmp_path / "pipeline.json").read_text()) == {}


def test_initial_document(tmp_path):
    state = JsonState(tmp_path / "s.json", initial={"phase1": {"status": "pending"}})
    assert state.read() == {"phase1": {"status": "pending"}}


def test_write_then_read(tmp_path):
    state = PipelineState(tmp_path / "pipeline.json")
    state.write({"phase1": {"status": "pending"}}, validate=False)
    assert state.read() == {"phase1": {"status": "pending"}}
    assert json.loads((tmp_path / "pipeline.json").read_text()) == {
        "phase1": {"status": "pending"}}


def test_transaction_edits_data_in_place_and_commits(tmp_path):
    state = PipelineState(tmp_path / "pipeline.json")
    state.write({"phase1": {"status": "pending"}})
    with state.transaction() as txn:
        txn.data["phase1"]["status"] = "success"
        txn.data["phase1"]["metrics"] = {"duration": 42.0}
    assert state.read() == {"phase1": {"status": "success", "metrics": {"duration": 42.0}}}
    # Another handle (as another process would) sees the commit.
    assert JsonState(tmp_path / "pipeline.json").read()["phase1"]["status"] == "success"


def test_exception_in_transaction_rolls_back(tmp_path):
    state = PipelineState(tmp_path / "pipeline.json")
    state.write({"phase4": {"status": "pending"}})
    before = (tmp_path / "pipeline.json").read_bytes()
    with pytest.raises(RuntimeError):
        with state.transaction() as txn:
            txn.data["phase4"]["status"] = "running"
            raise RuntimeError("tts failed")
    assert state.read() == {"phase4": {"status": "pending"}}
    assert (tmp_path / "pipeline.json").read_bytes() == before
    assert _stray_files(tmp_path) == []


def test_seeded_transaction_replaces_the_document(tmp_path):
    state = PipelineState(tmp_path / "pipeline.json")
    state.write({"old": 1})
    seed = {"phase1": {"status": "pending"}}
    with state.transaction(validate=False, seed_data=seed):
        pass
    assert state.read() == seed
    with state.transaction(seed_data=seed) as txn:
        txn.data["phase1"]["status"] = "done"
    assert seed == {"phase1": {"status": "pending"}}  # the caller's dict is untouched


def test_transaction_holds_the_lock_against_other_processes(tmp_path):
    path = tmp_path / "pipeline.json"
    state = PipelineState(path)
    with state.transaction() as txn:
        txn.data["x"] = 1
        other = subprocess.run(
            [sys.executable, "-c", textwrap.dedent("""
                import sys
                from libfilelock import PipelineState, StateLockError
                try:
                    PipelineState(sys.argv[1], timeout=0.2).write({"y": 2})
                except StateLockError as e:
                    print("locked-out", e.code)
            """), str(path)], capture_output=True, text=True, timeout=30)
        assert other.stdout.split() == ["locked-out", str(native.FL_ETIMEOUT)], other.stderr
    assert state.read() == {"x": 1}


def test_lock_timeout_is_state_lock_error(tmp_path, hold):
    path = tmp_path / "pipeline.json"
    state = PipelineState(path, timeout=0.2)
    state.read()
    hold(path)  # the state's lock file is <path>.lock, like FileLock's
    with pytest.raises(StateLockError) as info:
        state.write({"a": 1})
    err = info.value
    assert isinstance(err, TimeoutError) and isinstance(err, StateError)
    assert err.code == native.FL_ETIMEOUT
    assert str(path) in err.message
    with pytest.raises(StateLockError):
        with state.transaction():
            pass


def test_schema_violation_raises_and_leaves_the_file_unchanged(tmp_path):
    path = tmp_path / "pipeline.json"
    state = PipelineState(path, schema=PHASE_SCHEMA)
    state.write({"phase1": {"status": "pending"}})
    before = path.read_bytes()
    with pytest.raises(StateValidationError) as info:
        with state.transaction() as txn:
            txn.data["phase1"] = "not a dict"
    assert info.value.code == native.FL_EVALIDATION
    assert isinstance(info.value, ValueError)
    assert str(path) in info.value.message
    with pytest.raises(StateValidationError):
        state.write({"phase1": {}})
    assert path.read_bytes() == before
    assert _stray_files(tmp_path) == []


def test_pipeline_state_checks_phases_by_default(tmp_path):
    state = PipelineState(tmp_path / "pipeline.json", validate_on_read=True)
    with state.transaction() as txn:
        txn.data["phase1"] = {"status": "success", "metrics": {"duration": 42.0}}
    with pytest.raises(StateValidationError):
        with state.transaction() as txn:
            txn.data["phase1"] = "not a dict"
    assert state.read()["phase1"]["status"] == "success"
    free = PipelineState(tmp_path / "other.json", schema=None)
    free.write({"phase1": "anything"})
    assert JsonState(tmp_path / "other.json").read() == {"phase1": "anything"}


def test_validate_false_skips_the_schema(tmp_path):
    state = PipelineState(tmp_path / "pipeline.json", schema=PHASE_SCHEMA)
    state.write({"phase1": "anything"}, validate=False)
    assert state.read() == {"phase1": "anything"}
    with state.transaction(validate=False) as txn:
        txn.data["phase1"] = 3
    assert state.read() == {"phase1": 3}


def test_validate_on_read(tmp_path):
    path = tmp_path / "pipeline.json"
    path.write_text(json.dumps({"phase1": "broken"}))
    assert PipelineState(path, schema=PHASE_SCHEMA).read() == {"phase1": "broken"}
    strict = PipelineState(path, schema=PHASE_SCHEMA, validate_on_read=True)
    with pytest.raises(StateValidationError):
        strict.read()
    assert strict.read(validate=False) == {"phase1": "broken"}


def test_pydantic_model_as_schema(tmp_path):
    pydantic = pytest.importorskip("pydantic")

    Phase = pydantic.create_model("Phase", status=(str, ...))
    Pipeline = pydantic.create_model("Pipeline", phase1=(Phase, ...))

    state = PipelineState(tmp_path / "pipeline.json", schema=Pipeline)
    state.write({"phase1": {"status": "pending"}})
    with pytest.raises(StateValidationError) as info:
        with state.transaction() as txn:
            txn.data["phase1"] = "not a dict"
    assert str(tmp_path / "pipeline.json") in info.value.message
    assert "phase1" in info.value.message
    with pytest.raises(StateValidationError):
        state.write({"phase1": {"status": ["x"]}})
    assert state.read() == {"phase1": {"status": "pending"}}


def test_values_json_cannot_hold_are_refused(tmp_path):
    state = PipelineState(tmp_path / "pipeline.json")
    state.write({"a": 1})
    with pytest.raises(StateValidationError):
        state.write({"a": float("nan")})
    with pytest.raises(StateValidationError):
        with state.transaction() as txn:
            txn.data["when"] = object()
    assert state.read() == {"a": 1}


def test_corrupt_file_raises_state_read_error_naming_the_path(tmp_path):
    path = tmp_path / "pipeline.json"
    path.write_text('{"phase1": {"status": ')
    state = PipelineState(path)
    with pytest.raises(StateReadError) as info:
        state.read()
    assert isinstance(info.value, StateError) and isinstance(info.value, FileLockError)
    assert info.value.code == native.FL_ECORRUPT
    assert str(path) in info.value.message


def test_backups_are_listed_newest_first_and_restorable(tmp_path):
    state = PipelineState(tmp_path / "pipeline.json")
    for n in range(4):
        state.write({"n": n})
    backups = state.list_backups(limit=10)
    assert len(backups) >= 3
    assert all(isinstance(b, Backup) for b in backups)
    generations = [b.generation for b in backups]
    assert generations == sorted(generations, reverse=True)
    assert len(state.list_backups(limit=2)) == 2
    # The newest backup holds the document before the last write.
    assert state.restore_backup(backups[0]) is True
    assert state.read() == {"n": 2}
    # The oldest is the document the file was created with.
    assert state.restore_backup(backups[-1].id) is True
    assert state.read() == {}


def test_max_backups_and_no_backup_before_write(tmp_path):
    state = PipelineState(tmp_path / "a.json", max_backups=2)
    for n in range(5):
        state.write({"n": n})
    assert len(state.list_backups(limit=0)) == 2
    manual = PipelineState(tmp_path / "b.json", backup_before_write=False)
    manual.write({"n": 1})
    assert manual.list_backups() == []
    backup = manual.backup_manager.create_backup()
    assert isinstance(backup, Backup)
    assert [b.id for b in manual.list_backups()] == [backup.id]
    manual.write({"n": 2})
    manual.restore_backup(backup)
    assert manual.read() == {"n": 1}


def test_restore_of_unknown_backup_is_a_state_error(tmp_path):
    state = PipelineState(tmp_path / "pipeline.json")
    state.write({"a": 1})
    with pytest.raises(StateError) as info:
        state.restore_backup("no-such-backup")
    assert "no-such-backup" in info.value.message
    assert state.read() == {"a": 1}


def test_transaction_history_records_commits_and_failures(tmp_path):
    state = PipelineState(tmp_path / "pipeline.json", schema=PHASE_SCHEMA)
    state.write({"phase1": {"status": "a"}})
    with state.transaction() as txn:
        txn.data["phase1"]["status"] = "b"
    with pytest.raises(StateValidationError):
        state.write({"phase1": 1})
    history = state.get_transaction_history(limit=20)
    assert len(history) >= 3
    for record in history:
        assert {"timestamp", "operation", "success", "details"} <= set(record)
    assert any(not r["success"] for r in history)
    assert sum(1 for r in history if r["success"]) >= 2
    assert len(state.get_transaction_history(limit=1)) == 1


def test_conditional_write(tmp_path):
    from libfilelock import StateConflictError

    state = JsonState(tmp_path / "s.json")
    data, generation = state.read_versioned()
    state.write_if({"a": 1}, generation)
    with pytest.raises(StateConflictError) as info:
        state.write_if({"a": 2}, generation)
    assert info.value.code == native.FL_ECONFLICT
    assert state.read() == {"a": 1}


def test_verify_reports_a_healthy_state(tmp_path):
    state = JsonState(tmp_path / "s.json")
    state.write({"a": 1})
    assert state.verify()["ok"] is True


def test_close_and_context_manager(tmp_path):
    with JsonState(tmp_path / "s.json") as state:
        state.write({"a": 1})
        txn = state.transaction()
        with txn:
            with pytest.raises(StateError):
                state.close()
    assert JsonState(tmp_path / "s.json").read() == {"a": 1}


INCREMENTER = """
import sys
from libfilelock import PipelineState
state = PipelineState(sys.argv[1], timeout=30)
for _ in range(int(sys.argv[2])):
    with state.transaction() as txn:
        txn.data["count"] = txn.data.get("count", 0) + 1
    print("ack", flush=True)
"""


def test_processes_incrementing_one_file_lose_nothing(tmp_path):
    path = tmp_path / "pipeline.json"
    procs = [subprocess.Popen([sys.executable, "-c", INCREMENTER, str(path), "25"])
             for _ in range(4)]
    assert all(p.wait(60) == 0 for p in procs)
    assert PipelineState(path).read() == {"count": 100}


def test_killed_writer_loses_no_acknowledged_increment(tmp_path, children):
    path = tmp_path / "pipeline.json"
    steady = Child(INCREMENTER, str(path), "30")
    victim = Child(INCREMENTER, str(path), "100000")
    children += [steady, victim]
    acked = 0
    for _ in range(20):
        victim.expect("ack")
        acked += 1
    victim.proc.send_signal(signal.SIGKILL)
    victim.wait()
    # Lines the victim printed before dying are acknowledged increments too.
    acked += victim.proc.stdout.read().count("ack")
    assert steady.wait(60) == 0
    count = PipelineState(path).read()["count"]
    # The kill can land after a commit and before its "ack": at most one more.
    assert acked + 30 <= count <= acked + 30 + 1
    assert _stray_files(tmp_path) == []


def test_forgotten_transaction_and_state_are_released_by_finalizers(tmp_path):
    path = tmp_path / "s.json"
    state = JsonState(path)
    txn = state.transaction()
    txn.__enter__()
    txn.data["lost"] = True
    del txn, state
    gc.collect()
    other = JsonState(path, timeout=0.5)  # would time out if the lock were still held
    other.write({"y": 1})
    assert other.read() == {"y": 1}


def test_exact_numbers_and_unicode_round_trip(tmp_path):
    state = JsonState(tmp_path / "s.json")
    doc = {"big": 2 ** 64 + 1, "neg": -(2 ** 63), "pi": 3.14159, "name": "Zoë ✓", "n": None}
    state.write(doc)
    assert state.read() == doc
    with state.transaction() as txn:
        txn.data["big"] += 1
    assert state.read()["big"] == 2 ** 64 + 2


def test_one_state_object_shared_by_threads_loses_nothing(tmp_path):
    state = PipelineState(tmp_path / "pipeline.json", timeout=None)

    def work():
        for _ in range(25):
            with state.transaction() as txn:
                txn.data["count"] = txn.data.get("count", 0) + 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state.read() == {"count": 150}
    state.close()


def test_gil_is_released_while_waiting_for_the_state_lock(tmp_path, hold):
    path = tmp_path / "pipeline.json"
    state = PipelineState(path, timeout=0.4)
    hold(path)
    counter = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            counter[0] += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    with pytest.raises(StateLockError):
        with state.transaction():
            pass
    stop.set()
    spinner.join()
    assert counter[0] > 10000


def test_restore_accepts_a_backup_path(tmp_path):
    state = JsonState(tmp_path / "s.json")
    state.write({"v": 1})
    state.write({"v": 2})
    newest = state.list_backups(limit=1)[0]
    assert state.restore_backup(tmp_path / "backups" / newest.id) is True
    assert state.read() == {"v": 1}


DISK_FULL_WRITER = """
import resource, signal, sys
from libfilelock import PipelineState, StateError
state = PipelineState(sys.argv[1])
state.write({"small": True})
# Every file this process writes may grow to 4 KiB: the big commit cannot fit.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    state.write({"big": "x" * 100000})
except StateError as e:
    print(isinstance(e, OSError) and e.errno == 27, e.code, e.message)
"""


def test_disk_full_commit_fails_cleanly_and_keeps_the_document(tmp_path):
    path = tmp_path / "pipeline.json"
    run = subprocess.run([sys.executable, "-c", DISK_FULL_WRITER, str(path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    name, code, message = run.stdout.strip().split(" ", 2)
    # An OSError with EFBIG (errno 27), as the file-size limit makes write() fail.
    assert name == "True" and int(code) == native.FL_ENOSPC
    assert str(tmp_path) in message and "File too large" in message
    assert json.loads(path.read_text()) == {"small": True}
    leftovers = [p.name for p in tmp_path.rglob("*") if ".tmp" in p.name]
    assert leftovers == []


def test_journal_commits_append_and_every_handle_reads_them(tmp_path):
    path = tmp_path / "pipeline.json"
    state = JsonState(path, journal_max_bytes=1 << 20)
    state.write({"phase1": {"status": "pending"}})  # a whole write: the file itself
    on_disk = path.read_text()
    with state.transaction() as txn:
        txn.data["phase1"]["status"] = "success"
    # The commit went to the journal: the file is as the write left it.
    assert path.read_text() == on_disk
    assert (tmp_path / ".pipeline.json.filelock" / "journal").stat().st_size > 0
    assert state.read()["phase1"]["status"] == "success"
    assert JsonState(path).read()["phase1"]["status"] == "success"


def test_get_reads_one_value_with_its_generation(tmp_path):
    path = tmp_path / "pipeline.json"
    state = JsonState(path, journal_max_bytes=1 << 20)
    state.write({"phases": {"a/b": [1, "done"], "big": 12345678901234567890123}})
    reader = JsonState(path)
    with state.transaction() as txn:
        txn.data["phases"]["a/b"][1] = "again"
    value, generation = reader.get_versioned("/phases/a~1b/1")
    assert value == "again"
    assert generation == state.read_versioned()[1]
    assert reader.get("/phases/a~1b") == [1, "again"]
    assert reader.get("/phases/big") == 12345678901234567890123
    assert reader.get("")["phases"]["a/b"] == [1, "again"]
    with pytest.raises(StateReadError) as missing:
        reader.get("/phases/missing")
    assert missing.value.code == native.FL_ENOTFOUND
    assert "state get" in str(missing.value) and "/phases/missing" in str(missing.value)
