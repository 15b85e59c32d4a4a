#!/usr/bin/env python3
"""Compares a built libfilelock with the committed ABI baseline.

  check_abi.py --baseline-dir DIR --header filelock.h [--cc CC] LIB

Runs abidiff of LIB against DIR/filelock.abi (the public API's functions and types) and
compares the header's compiled-in constants with DIR/filelock.constants. Fails on
anything a program built against the baseline could notice: a removed or changed
function, a changed struct layout, a changed SONAME, a removed or renumbered
constant. Additions pass and are reported.
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, str(Path(__file__).resolve().parent))
import constants  # noqa: E402

ABIDIFF_ERROR, ABIDIFF_USAGE_ERROR, ABIDIFF_INCOMPATIBLE = 1, 2, 8
# "Functions changes summary: 1 Removed, 2 Changed (3 filtered out), 4 Added functions"
SUMMARY = re.compile(r"^(Function|Variable|Function symbols|Variable symbols)s? changes "
                     r"summary: (\d+) Removed, (?:(\d+) Changed.*?, )?(\d+) Added", re.M)


# Size-versioned options structs: their first member is `size` (set by the *_init
# function) and the library reads only as far as the caller's size reaches, so a member
# appended at the end is an addition, not a break (abi/README.md).
VERSIONED_STRUCTS = ("fl_lock_options", "fl_state_options", "fl_wait_opts")
# The lines abidiff writes for a function whose only change is such a growth.
GROWTH_LINES = [re.compile(p) for p in (
    r"^\[C\] 'function .*' .*has some indirect sub-type changes:$",
    r"^parameter \d+ of type '(const )?(struct )?(%s)( const)?\*' has sub-type changes:$" % "|".join(VERSIONED_STRUCTS),
    r"^in pointed to type '(const )?(struct )?(%s)( const)?':$" % "|".join(VERSIONED_STRUCTS),
    r"^in unqualified underlying type '(typedef |struct )?(%s)'.*:$" % "|".join(VERSIONED_STRUCTS),
    r"^underlying type 'struct (%s)'.* changed:$" % "|".join(VERSIONED_STRUCTS),
    r"^type size changed from \d+ to \d+ \(in bits\)$",
    r"^\d+ data member insertions?:$",
    r"^'[^']*', at offset \d+ \(in bits\).*$",
    # fl_state_options reaches fl_lock_options through its `lock` pointer: that growth is
    # judged where a function takes fl_lock_options itself.
    r"^no data member changes? \(\d+ filtered\);?$",
)]


def only_appended_members(block):
    """Whether a function's change block only appends members to versioned structs."""
    old_size = None
    for line in (l.strip() for l in block):
        if not line:
            continue
        if not any(p.match(line) for p in GROWTH_LINES):
            return False
        size = re.match(r"^type size changed from (\d+) to (\d+)", line)
        if size:
            old_size = int(size.group(1))
        offset = re.match(r"^'[^']*', at offset (\d+)", line)
        if offset and (old_size is None or int(offset.group(1)) < old_size):
            return False
    return old_size is not None


def changed_blocks(report):
    """The lines of each changed function's entry ("[C] 'function ...")."""
    blocks, current = [], None
    for line in report.splitlines():
        if line.strip().startswith("[C] 'function"):
            current = [line]
            blocks.append(current)
        elif current is not None and line.startswith("    "):
            current.append(line)
        else:
            current = None
    return blocks


def abidiff(baseline, lib):
    """(problems, additions, report) of abidiff baseline -> lib."""
    # The baseline already holds only the public header's types (dump-baseline.sh).
    # No --headers-dir2 here: against an XML baseline it makes abidiff suppress
    # changes to typedefs from system headers (fl_lock's int64_t becoming int32_t
    # went unreported; test_checks_catch_breaks.py covers it).
    run = subprocess.run(["abidiff", str(baseline), str(lib)], capture_output=True, text=True)
    report = run.stdout + run.stderr
    problems, additions = [], []
    if run.returncode & (ABIDIFF_ERROR | ABIDIFF_USAGE_ERROR):
        problems.append(f"abidiff could not compare (exit {run.returncode})")
    if run.returncode & ABIDIFF_INCOMPATIBLE:
        problems.append("abidiff: incompatible change")
    grown = [b for b in changed_blocks(report) if only_appended_members(b)]
    if grown:
        additions.append(f"{len(grown)} function(s) reach an options struct with members appended")
    for kind, removed, changed, added in SUMMARY.findall(report):
        if int(removed):
            problems.append(f"{removed} {kind.lower()}(s) removed")
        changed = int(changed or 0) - (len(grown) if kind == "Function" else 0)
        if changed:
            problems.append(f"{changed} {kind.lower()}(s) changed")
        if int(added):
            additions.append(f"{added} {kind.lower()}(s) added")
    for line in report.splitlines():
        if re.match(r"ELF (SONAME|architecture) changed", line):
            problems.append(line.strip())
    return problems, additions, report


def compare_constants(baseline_file, header, cc):
    baseline = constants.parse(Path(baseline_file).read_text())
    current = constants.values(header, cc)
    problems = [f"constant {n} removed (was {v})" for n, v in baseline.items() if n not in current]
    problems += [f"constant {n} changed from {v} to {current[n]}"
                 for n, v in baseline.items() if n in current and current[n] != v]
    additions = [f"constant {n} = {v} added" for n, v in current.items() if n not in baseline]
    return problems, additions


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline-dir", required=True, type=Path)
    parser.add_argument("--header", required=True)
    parser.add_argument("--cc", default="cc")
    parser.add_argument("lib")
    args = parser.parse_args()

    problems, additions, report = abidiff(args.baseline_dir / "filelock.abi", args.lib)
    more_problems, more_additions = compare_constants(
        args.baseline_dir / "filelock.constants", args.header, args.cc)
    problems += more_problems
    additions += more_additions

    if report.strip():
        print(report.rstrip())
    for a in additions:
        print("ADDED " + a)
    for p in problems:
        print("FAIL " + p)
    if problems:
        print("Incompatible with the baseline: keep the old ABI, or follow abi/README.md "
              "(a new SONAME) if the break is intended.")
        return 1
    print("ABI compatible with the baseline" + (" (additions above)" if additions else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
