"""`pip wheel ./bindings/python` compiles the native part into a wheel that installs in a
fresh venv, and the installed library needs nothing beyond libc and libstdc++ (libcjson
travels with it). (`pip install <folder>` builds the same wheel on its way.)"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent.parent
ALLOWED = {"libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1",
           "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
           # carried in the package itself:
           "libfilelock.so.1", "libcjson.so.1"}


def _needed(library: Path) -> set:
    out = subprocess.run(["readelf", "-d", str(library)], capture_output=True, text=True,
                         check=True).stdout
    return {line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux packaging check")
def test_pip_install_from_source_in_a_fresh_venv(tmp_path):
    if not (SOURCE.parent.parent / "filelock.h").exists():
        pytest.skip("not run from the filelock repository")
    for tool in ("cmake", "swig", "readelf"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is needed to build from source")
    venv = tmp_path / "venv"
    made = subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                          capture_output=True, text=True, timeout=120)
    if made.returncode != 0:
        pytest.skip(f"cannot create a venv here: {made.stderr.strip()[:200]}")
    python = venv / "bin" / "python"
    # An out-of-tree copy: the install must not depend on, or write into, the checkout.
    source = tmp_path / "src"
    def skipped(folder: str, names: list) -> list:
        # Version control and build trees (folders named build*) are not sources.
        return [n for n in names if n in (".git", "__pycache__") or
                (n.startswith("build") and os.path.isdir(os.path.join(folder, n)))]

    shutil.copytree(SOURCE.parent.parent, source, symlinks=True, ignore=skipped)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LD_LIBRARY_PATH")}
    if shutil.which("ccache"):
        env.setdefault("CMAKE_CXX_COMPILER_LAUNCHER", "ccache")
        env.setdefault("CMAKE_C_COMPILER_LAUNCHER", "ccache")
        env.setdefault("CCACHE_BASEDIR", str(tmp_path))
    dist = tmp_path / "dist"
    wheel = subprocess.run([str(python), "-m", "pip", "wheel", "--no-build-isolation",
                            "--no-index", "--no-deps", "-q", "-w", str(dist),
                            str(source / "bindings" / "python")],
                           env=env, cwd=tmp_path, capture_output=True, text=True, timeout=1500)
    assert wheel.returncode == 0, wheel.stdout[-3000:] + wheel.stderr[-3000:]
    wheels = list(dist.glob("libfilelock-1.4.0-*.whl"))
    assert len(wheels) == 1 and "-none-any" not in wheels[0].name, wheels
    members = zipfile.ZipFile(wheels[0]).namelist()
    assert {"libfilelock/libfilelock.so.1", "libfilelock/libcjson.so.1"} <= set(members)
    install = subprocess.run([str(python), "-m", "pip", "install", "--no-index", "--no-deps",
                              "-q", str(wheels[0])],
                             env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]

    script = (
        "import os, sys, libfilelock\n"
        "here = os.path.dirname(libfilelock.__file__)\n"
        "assert here.startswith(sys.prefix), here\n"
        "with libfilelock.FileLock(sys.argv[1]) as lock:\n"
        "    print(lock.is_locked, libfilelock.library_version())\n"
        "maps = open('/proc/self/maps').read()\n"
        "print([l.split()[-1] for l in maps.splitlines() if 'libcjson' in l][0].startswith(here))\n"
        "print(here)\n")
    run = subprocess.run([str(python), "-c", script, str(tmp_path / "f")], env=env,
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.split("\n")
    assert lines[0].split() == ["True", "1.4.0"]
    assert lines[1] == "True"  # the packaged libcjson, not the system's
    package = Path(lines[2])
    libraries = list(package.glob("*.so*"))
    assert {p.name for p in libraries} >= {"libfilelock.so.1", "libcjson.so.1"}
    for library in libraries:
        assert _needed(library) <= ALLOWED, (library.name, _needed(library))
