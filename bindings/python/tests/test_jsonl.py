"""append_jsonl: whole lines, never interleaved, from several processes."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from libfilelock import LockError, append_jsonl

APPENDER = """
import sys
from libfilelock import append_jsonl
for i in range(int(sys.argv[3])):
    append_jsonl(sys.argv[1], {"worker": sys.argv[2], "i": i, "pad": "x" * 5000})
"""


def test_append_writes_one_line_per_record(tmp_path):
    journal = tmp_path / "journal.jsonl"
    append_jsonl(journal, {"event": "start", "text": "naïve"})
    append_jsonl(journal, [1, 2, 3], durable=False)
    lines = journal.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [{"event": "start", "text": "naïve"},
                                                    [1, 2, 3]]


def test_concurrent_appenders_never_interleave(tmp_path):
    journal = tmp_path / "journal.jsonl"
    procs = [subprocess.Popen([sys.executable, "-c", APPENDER, str(journal), str(w), "40"])
             for w in range(4)]
    assert all(p.wait(60) == 0 for p in procs)
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    assert len(records) == 160
    for worker in map(str, range(4)):
        assert [r["i"] for r in records if r["worker"] == worker] == list(range(40))


def test_append_failure_names_the_path(tmp_path):
    target = tmp_path / "missing-dir" / "journal.jsonl"
    with pytest.raises(LockError) as info:
        append_jsonl(target, {"a": 1})
    assert str(tmp_path / "missing-dir") in info.value.message
    assert info.value.operation == "fl_append_ex"


def test_unencodable_record_is_refused_before_touching_the_file(tmp_path):
    journal = tmp_path / "journal.jsonl"
    with pytest.raises(ValueError):
        append_jsonl(journal, {"x": float("inf")})
    assert not journal.exists() or journal.read_text() == ""
