"""The Python examples in the binding's README run as written."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_examples_run(tmp_path):
    # etcd:// examples need a cluster: test_etcd.py makes the same calls on one.
    blocks = [block for block in re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
              if "etcd://" not in block]
    assert blocks
    outputs = []
    for block in blocks:
        run = subprocess.run([sys.executable, "-c", block], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, f"{block}\n{run.stderr}"
        outputs.append(run.stdout)
    assert (tmp_path / "journal.jsonl").read_text() == '{"event":"done"}\n'
    assert "working on report.pdf" in outputs[1]
    assert re.search(r"held by \d+\n\{'count': \d+, 'stale_locks'", outputs[2])
    assert "refused:" in outputs[3] and "/phase1" in outputs[3]
    from libfilelock import PipelineState

    assert PipelineState(tmp_path / "pipeline.json").read() == {"phase1": {"status": "pending"}}
