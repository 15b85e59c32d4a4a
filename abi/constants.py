#!/usr/bin/env python3
"""The values of filelock.h's enum members and numeric FL_* macros, as compiled.

  constants.py HEADER [CC]   prints "NAME VALUE" lines (the baseline format)

abidiff only sees types reachable from exported functions; the status codes, modes
and backends are anonymous enums and macros that callers compile in, so they are
checked here by compiling a program that prints them.
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, str(Path(__file__).resolve().parent))
import filelock_api  # noqa: E402


def values(header, cc="cc"):
    header = Path(header).resolve()
    names = filelock_api.constants(header.read_text())
    body = "\n".join(f'  printf("%s %lld\\n", "{n}", (long long)({n}));' for n in names)
    program = f'#include <stdio.h>\n#include "{header.name}"\nint main(void) {{\n{body}\n  return 0;\n}}\n'
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = os.path.join(tmp, "constants.c"), os.path.join(tmp, "constants")
        Path(src).write_text(program)
        subprocess.run([cc, "-I", str(header.parent), src, "-o", exe], check=True)
        out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
    return dict(line.split(" ", 1) for line in out.splitlines())


def parse(text):
    return dict(line.split(" ", 1) for line in text.splitlines() if line.strip())


def format_values(vals):
    return "".join(f"{name} {value}\n" for name, value in vals.items())


if __name__ == "__main__":
    sys.stdout.write(format_values(values(sys.argv[1], *sys.argv[2:3])))
