"""The documented usage of the lock manager and the pipeline state manager that
libfilelock replaces, run as written with only the import changed."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from libfilelock import PipelineState

ORCHESTRATOR = '''
import sys
from types import SimpleNamespace

from libfilelock import PipelineState, StateError


def run_orchestrator(input_file: str, pipeline_json: str):
    """Run phases 1-5 with atomic state management"""

    state = PipelineState(pipeline_json)

    print("Running Phase 1: Validation...")
    try:
        result = run_phase1(input_file)

        with state.transaction() as txn:
            txn.data['phase1'] = {
                'status': 'success',
                'files': result.files,
                'metrics': result.metrics
            }
        print("Phase 1 complete")
    except Exception as e:
        print(f"Phase 1 failed: {e}")
        return False

    print("Running Phase 2: Extraction...")
    try:
        data = state.read()
        file_id = data.get('file_id')

        result = run_phase2(file_id)

        with state.transaction() as txn:
            txn.data['phase2'] = {
                'status': 'success',
                'files': result.files,
                'metrics': result.metrics
            }
        print("Phase 2 complete")
    except Exception as e:
        print(f"Phase 2 failed: {e}")
        return False

    return True


def run_phase1(input_file):
    return SimpleNamespace(files={input_file: {'hash': 'abc123'}}, metrics={'duration': 1.5})


def run_phase2(file_id):
    return SimpleNamespace(files={'book.txt': {}}, metrics={'pages': 12})


if __name__ == '__main__':
    success = run_orchestrator(
        input_file='book.pdf',
        pipeline_json=sys.argv[1]
    )
    sys.exit(0 if success else 1)
'''


def test_complete_migration_example_runs(tmp_path):
    path = tmp_path / "pipeline.json"
    result = subprocess.run([sys.executable, "-c", ORCHESTRATOR, str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Phase 2 complete" in result.stdout
    data = PipelineState(path).read()
    assert data["phase1"] == {"status": "success", "files": {"book.pdf": {"hash": "abc123"}},
                              "metrics": {"duration": 1.5}}
    assert data["phase2"]["metrics"] == {"pages": 12}


def test_quick_start_and_before_after_migration(tmp_path):
    pipeline_json = str(tmp_path / "pipeline.json")
    state = PipelineState(pipeline_json)
    data = state.read()
    state.write({"phase1": {"status": "pending"}}, validate=False)
    with state.transaction(validate=False, seed_data={"phase1": {"status": "pending"}}):
        pass
    with state.transaction() as txn:
        txn.data['phase1']['status'] = 'success'
        txn.data['phase1']['files'] = {'book.pdf': {'hash': 'abc123'}}
    with state.transaction() as txn:
        txn.data['phase1'] = {'status': 'success', 'metrics': {'duration': 42.0}}
    assert data == {}
    assert state.read() == {"phase1": {"status": "success", "metrics": {"duration": 42.0}}}

    backups = state.list_backups(limit=10)
    if backups:
        state.restore_backup(backups[0])
    assert state.read()["phase1"]["files"] == {"book.pdf": {"hash": "abc123"}}

    for record in state.get_transaction_history(limit=20):
        assert f"{record['timestamp']}: {record['operation']} - {record['success']}"


LOCK_MANAGER_USAGE = '''
import sys
from pathlib import Path
from libfilelock import FileLock, LockError, is_file_locked

file_path = Path(sys.argv[1])
processed = []

def process_file(path):
    processed.append(path)

try:
    with FileLock(file_path, timeout=30.0) as lock:
        process_file(file_path)
except LockError as e:
    print(f"File locked: {e}")

lock = FileLock(file_path)
try:
    if lock.acquire(blocking=True):
        process_file(file_path)
finally:
    lock.release()

if not is_file_locked(file_path):
    process_file(file_path)
else:
    print("File is currently locked")

busy = FileLock(file_path, timeout=0.1)
holder = FileLock(file_path)
holder.acquire()
try:
    busy.acquire(blocking=True)
except LockError as e:
    print("timed out:", type(e).__name__)
print(len(processed))
'''


def test_lock_manager_usage_examples(tmp_path):
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(LOCK_MANAGER_USAGE),
                             str(tmp_path / "test.pptx")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["timed out: LockTimeout", "3"]
