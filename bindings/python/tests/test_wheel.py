"""The CMake-built tree packs into a wheel that works once installed, with no
LD_LIBRARY_PATH and no build tree around."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import libfilelock

BUILD_TREE = Path(libfilelock.__file__).resolve().parent.parent


@pytest.mark.skipif(not (BUILD_TREE / "setup.py").exists(),
                    reason="libfilelock is not imported from a CMake build tree")
def test_wheel_builds_installs_and_runs(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation",
                    "--no-deps", "-q", "-w", str(dist), str(BUILD_TREE)],
                   check=True, capture_output=True, timeout=300)
    wheels = list(dist.glob("libfilelock-1.4.0-*.whl"))
    assert len(wheels) == 1
    assert "-none-any" not in wheels[0].name  # tagged for this platform
    names = zipfile.ZipFile(wheels[0]).namelist()
    for member in ("libfilelock/__init__.py", "libfilelock/py.typed",
                   "libfilelock/filelock_native.py", "libfilelock/libfilelock.so.1"):
        assert member in names
    assert any(n.startswith("libfilelock/_filelock_native") and n.endswith(".so")
               for n in names)

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                    "--target", str(site), str(wheels[0])],
                   check=True, capture_output=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "PYTHONPATH")}
    env["PYTHONPATH"] = str(site)
    script = ("import sys, libfilelock\n"
              "assert libfilelock.__file__.startswith(sys.argv[1]), libfilelock.__file__\n"
              "with libfilelock.FileLock(sys.argv[2]) as lock:\n"
              "    print(lock.is_locked, libfilelock.library_version())\n")
    run = subprocess.run([sys.executable, "-c", script, str(site), str(tmp_path / "f")],
                         env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "1.4.0"]
