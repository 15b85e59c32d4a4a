#!/usr/bin/env python3
"""Checks the dynamic symbols of libfilelock against filelock.h and the version script.

  check_symbols.py LIB HEADER MAP            exports are declared, versioned, no leaks
  check_symbols.py --complete LIB HEADER MAP also: every declared function is exported

Exits 1 and lists every problem found.
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, str(Path(__file__).resolve().parent))
import filelock_api  # noqa: E402


def dynamic_symbols(lib):
    """{name: version} of the symbols the library defines, version "" if none."""
    out = subprocess.run(["readelf", "--dyn-syms", "--wide", lib],
                         check=True, capture_output=True, text=True).stdout
    symbols = {}
    for line in out.splitlines():
        fields = line.split()
        # Num: Value Size Type Bind Vis Ndx Name
        if len(fields) < 8 or not fields[0].endswith(":") or not fields[0][:-1].isdigit():
            continue
        kind, bind, ndx, name = fields[3], fields[4], fields[6], fields[7]
        if ndx in ("UND", "ABS") or bind == "LOCAL" or kind in ("SECTION", "FILE"):
            continue
        base, _, version = name.partition("@")
        symbols[base] = version.lstrip("@")
    return symbols


def soname(lib):
    out = subprocess.run(["readelf", "--dynamic", "--wide", lib],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", out)
    return m.group(1) if m else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--complete", action="store_true")
    parser.add_argument("lib")
    parser.add_argument("header")
    parser.add_argument("map")
    args = parser.parse_args()

    header = Path(args.header).read_text()
    declared = [f.name for f in filelock_api.functions(header)]
    nodes = filelock_api.version_nodes(Path(args.map).read_text())
    exported = dynamic_symbols(args.lib)
    problems = []

    node_of = {}
    for node, names in nodes.items():
        for name in names:
            if any(c in name for c in "*?["):
                problems.append(f"version script: node {node} matches by pattern ({name}); "
                                "list names so new functions cannot join a shipped node")
            elif name in node_of:
                problems.append(f"version script: {name} is in {node_of[name]} and {node}")
            else:
                node_of[name] = node
    for name in declared:
        if name not in node_of:
            problems.append(f"version script: declared function {name} is in no node "
                            "(it would not be exported)")
    for name in node_of:
        if name not in declared:
            problems.append(f"version script: {name} is not declared in filelock.h")

    for name, version in sorted(exported.items()):
        if name not in declared:
            problems.append(f"leak: {name} is exported but not declared in filelock.h")
        elif version != node_of.get(name):
            problems.append(f"version: {name} carries '{version or 'no version'}', "
                            f"the version script puts it in {node_of.get(name)}")

    missing = [name for name in declared if name not in exported]
    if args.complete:
        problems += [f"missing: {name} is declared but not exported" for name in missing]

    m = re.search(r"#define FILELOCK_VERSION_MAJOR (\d+)", header)
    expected_soname = f"libfilelock.so.{m.group(1)}" if m else None
    if soname(args.lib) != expected_soname:
        problems.append(f"soname is {soname(args.lib)}, the header's major version "
                        f"says {expected_soname}")

    print(f"{len(exported)} exported, {len(declared)} declared, "
          f"{len(missing)} not yet exported, version nodes: {', '.join(nodes)}")
    if missing and not args.complete:
        print("not yet exported: " + ", ".join(missing))
    for p in problems:
        print("FAIL " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
