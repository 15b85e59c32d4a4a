#!/usr/bin/env python3
"""Writes a C++ source defining every function filelock.h declares, as do-nothing stubs.

  make_stub.py HEADER OUT.cpp

Built as a shared library with the header's own types, it has the ABI the header
declares. Used for ABI fixtures: the self-test of the checker compiles it from
deliberately broken copies of the header.
"""
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, str(Path(__file__).resolve().parent))
import filelock_api  # noqa: E402


def main():
    header, out = Path(sys.argv[1]), Path(sys.argv[2])
    lines = [f'#include "{header.name}"', ""]
    lines += [f.stub_definition() for f in filelock_api.functions(header.read_text())]
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
