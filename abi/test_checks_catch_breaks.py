#!/usr/bin/env python3
"""Shows that the ABI checks catch real breaks.

Builds a stub libfilelock from the current filelock.h, takes its baseline, then builds
stubs from deliberately changed copies of the header and runs the same checks the
abi-check and abi-symbols tests run on the real library.

  test_checks_catch_breaks.py HEADER VERSION_SCRIPT
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = MAP = None


def run(*cmd):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True)


class Fixture:
    """A stub library built from an edited copy of the header."""

    def __init__(self, root, name, edit=lambda text: text, map_text=None, extra_source=None,
                 soname=None):
        self.dir = Path(root) / name
        self.dir.mkdir()
        original = HEADER.read_text()
        edited = edit(original)
        if edit.__name__ != "<lambda>" and edited == original:
            raise AssertionError(f"fixture {name}: the edit no longer applies to filelock.h")
        self.header = self.dir / "filelock.h"
        self.header.write_text(edited)
        self.map = self.dir / "filelock.map"
        self.map.write_text(map_text if map_text is not None else MAP.read_text())
        extra = []
        if extra_source:
            extra = [self.dir / "extra.cpp"]
            extra[0].write_text(extra_source)
        env = dict(os.environ, STUB_SONAME=soname) if soname else None
        build = subprocess.run(["bash", str(HERE / "build-stub.sh"), str(self.header),
                                str(self.dir), str(self.map), *map(str, extra)],
                               capture_output=True, text=True, env=env)
        if build.returncode:
            raise AssertionError(f"fixture {name} does not build:\n{build.stderr}")
        self.lib = self.dir / "libfilelock.so.1"


def replace_once(pattern, repl):
    def edit(text):
        return re.sub(pattern, repl, text, count=1, flags=re.M)
    edit.__name__ = f"replace {pattern}"
    return edit


def add_function(text):
    return text.replace("#ifdef __cplusplus\n}", "FL_API int fl_added(int x);\n\n#ifdef __cplusplus\n}", 1)


def next_node():
    """The version node the next minor release would add, and the newest one now."""
    minors = [int(m) for m in re.findall(r"^FILELOCK_1\.(\d+) \{", MAP.read_text(), re.M)]
    return f"FILELOCK_1.{max(minors) + 1}", f"FILELOCK_1.{max(minors)}"


def map_next():
    """The version script of the next release, which adds fl_added (abi/README.md)."""
    new, newest = next_node()
    return MAP.read_text() + f"\n{new} {{\n  global:\n    fl_added;\n}} {newest};\n"


class AbiChecksCatchBreaks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="filelock-abi-")
        cls.baseline = Path(cls.tmp) / "baseline"
        cls.baseline.mkdir()
        original = Fixture(cls.tmp, "original")
        dump = run("bash", HERE / "dump-baseline.sh", original.lib, original.header, cls.baseline)
        assert dump.returncode == 0, dump.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def check_abi(self, fixture):
        return run(sys.executable, HERE / "check_abi.py", "--baseline-dir", self.baseline,
                   "--header", fixture.header, "--cc", os.environ.get("CC", "cc"), fixture.lib)

    def check_symbols(self, fixture, *flags):
        return run(sys.executable, HERE / "check_symbols.py", *flags,
                   fixture.lib, fixture.header, fixture.map)

    def assert_fails_with(self, result, text):
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn(text, result.stdout)

    def test_unchanged_header_passes(self):
        fixture = Fixture(self.tmp, "unchanged")
        result = self.check_abi(fixture)
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertNotIn("ADDED", result.stdout)
        self.assertEqual(self.check_symbols(fixture, "--complete").returncode, 0)

    def test_moved_struct_field_fails(self):
        # lock_dir moves behind file_mode: every later field changes offset.
        def move_lock_dir(text):
            text = text.replace("  const char *lock_dir;", "", 1)
            return text.replace("  uint32_t file_mode;", "  uint32_t file_mode;\n  const char *lock_dir;", 1)
        move_lock_dir.__name__ = "move lock_dir"
        self.assert_fails_with(self.check_abi(Fixture(self.tmp, "moved_field", move_lock_dir)),
                               "function(s) changed")

    def test_options_field_inserted_in_the_middle_fails(self):
        insert = replace_once(r"^(  int32_t backend;.*)$", r"\1\n  int32_t inserted;")
        self.assert_fails_with(self.check_abi(Fixture(self.tmp, "inserted_field", insert)),
                               "function(s) changed")

    def test_options_field_appended_at_the_end_passes(self):
        # Size-versioned: the library reads only as far as the caller's `size` reaches.
        append = replace_once(r"^(} fl_state_options;)$", r"  int64_t appended;\n\1")
        result = self.check_abi(Fixture(self.tmp, "appended_field", append))
        self.assertEqual(result.returncode, 0, result.stdout)

    def test_removed_function_fails(self):
        fixture = Fixture(self.tmp, "removed_function",
                          replace_once(r"^FL_API int fl_unlock\(fl_handle \*h\);.*$", ""))
        result = self.check_abi(fixture)
        self.assert_fails_with(result, "function(s) removed")
        self.assertIn("fl_unlock", result.stdout)

    def test_changed_parameter_type_fails(self):
        fixture = Fixture(self.tmp, "changed_parameter", replace_once(
            r"(fl_lock\(fl_handle \*h, int mode, )int64_t", r"\1int32_t"))
        self.assert_fails_with(self.check_abi(fixture), "function(s) changed")

    def test_renumbered_enum_value_fails(self):
        fixture = Fixture(self.tmp, "renumbered_enum",
                          replace_once(r"FL_EBUSY = -6,", "FL_EBUSY = -60,"))
        self.assert_fails_with(self.check_abi(fixture), "constant FL_EBUSY changed from -6 to -60")

    def test_removed_constant_fails(self):
        fixture = Fixture(self.tmp, "removed_constant",
                          replace_once(r"^#define FL_JSON_MAX_DEPTH 256$", ""))
        self.assert_fails_with(self.check_abi(fixture), "constant FL_JSON_MAX_DEPTH removed")

    def test_changed_soname_fails(self):
        major = int(re.search(r"#define FILELOCK_VERSION_MAJOR (\d+)", HEADER.read_text()).group(1))
        other = f"libfilelock.so.{major + 1}"
        fixture = Fixture(self.tmp, "soname", soname=other)
        self.assert_fails_with(self.check_abi(fixture), "ELF SONAME changed")
        self.assert_fails_with(self.check_symbols(fixture), f"soname is {other}")

    def test_additions_pass_and_are_reported(self):
        def add(text):
            text = text.replace("FL_ENOSPC = -17 ", "FL_ENOSPC = -17,\n  FL_ENEW = -18 ", 1)
            return add_function(text)
        add.__name__ = "add"
        result = self.check_abi(Fixture(self.tmp, "added", add, map_text=map_next()))
        self.assertEqual(result.returncode, 0, result.stdout)
        # Functions added since the baseline was recorded are reported too.
        self.assertRegex(result.stdout, r"ADDED \d+ function\(s\) added")
        self.assertIn("fl_added", result.stdout)
        self.assertIn("ADDED constant FL_ENEW = -18 added", result.stdout)

    def test_new_release_gets_its_own_version_node(self):
        fixture = Fixture(self.tmp, "node_1_1", add_function, map_text=map_next())
        result = self.check_symbols(fixture, "--complete")
        self.assertEqual(result.returncode, 0, result.stdout)
        syms = run("readelf", "--dyn-syms", "--wide", fixture.lib).stdout
        self.assertIn(f"fl_added@@{next_node()[0]}", syms)
        self.assertIn("fl_open@@FILELOCK_1.0", syms)

        # Forgetting the new node leaves the function unexported: caught.
        forgot = Fixture(self.tmp, "node_forgotten", add_function)
        self.assert_fails_with(self.check_symbols(forgot, "--complete"),
                               "declared function fl_added is in no node")

    def test_pattern_in_version_script_fails(self):
        fixture = Fixture(self.tmp, "pattern_map",
                          map_text="FILELOCK_1.0 {\n  global:\n    fl_*;\n  local:\n    *;\n};\n")
        self.assert_fails_with(self.check_symbols(fixture), "matches by pattern (fl_*)")

    def test_leaked_symbol_fails(self):
        leaking_map = MAP.read_text().replace("  local:", "    cJSON_Parse;\n  local:", 1)
        fixture = Fixture(self.tmp, "leak", map_text=leaking_map, extra_source=(
            'extern "C" __attribute__((visibility("default"))) void *cJSON_Parse(const char *) '
            "{ return 0; }\n"))
        self.assert_fails_with(self.check_symbols(fixture),
                               "leak: cJSON_Parse is exported but not declared")


if __name__ == "__main__":
    HEADER, MAP = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    unittest.main(argv=sys.argv[:1], verbosity=2)
