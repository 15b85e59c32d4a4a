#!/usr/bin/env python3
"""filelock against the tools that lock a path itself, with real processes both ways.

Usage: neighbours.py --filelock PATH/TO/filelock [--gofrs PATH/TO/gofrs-locker]
                     [--gofrs-dropin PATH/TO/gofrs-locker-on-filelock]
                     [--neighbour-python PYTHON]

Sides that lock the path itself: `filelock run --no-sidecar`, the Python binding's
FileLock(lock_file=PATH) (neighbour.py), the gofrs/flock program built with its import
switched to filelock.dev/filelock/flock (--gofrs-dropin), and the neighbours: flock(1), gofrs/flock (a Go
program built against Debian's golang-github-gofrs-flock-dev), py-filelock, portalocker
(all flock(2)) and fasteners (fcntl record locks, met by filelock's OFD backend).
py-filelock on "X.lock" also meets the binding's default FileLock("X") (the sidecar).
For each filelock side F and neighbour N, in both directions (A holds, B asks):
  - while A holds, B's non-blocking try fails;
  - a blocking waiter B does not get the lock while A holds it, and gets it once A
    releases;
  - afterwards B's try succeeds (nothing was left held).
A neighbour that is not installed is skipped with the reason printed; --require makes
that a failure instead.
"""
import argparse
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = None
WAIT = 30  # seconds any step may take before the test fails (never reached when it works)


class Side:
    """One lock user: a command line per action (hold, try, wait) on a path."""

    def __init__(self, name, command):
        self.name = name
        self._command = command

    def argv(self, action, path):
        return self._command(action, path)

    def start(self, action, path):
        return subprocess.Popen(self.argv(action, path), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def __repr__(self):
        return self.name


def shell_side(name, prefix):
    """flock(1) and `filelock run` take the same shape: PREFIX [-n] PATH -c COMMAND."""
    scripts = {"hold": "echo locked; cat >/dev/null", "wait": "echo locked",
               "try": "echo locked"}

    def command(action, path):
        nonblock = ["-n"] if action == "try" else []
        return [*prefix, *nonblock, path, "-c", scripts[action]]
    return Side(name, command)


def python_side(kind, python):
    return Side(kind, lambda action, path: [python, os.path.join(HERE, "neighbour.py"),
                                            kind, action, path])


def read_line(proc, timeout=WAIT):
    """The process's next stdout line; fails the test if none comes in time."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(timeout):
        proc.kill()
        raise AssertionError("no output within %ss; stderr: %s" % (timeout, proc.stderr.read()))
    line = proc.stdout.readline().strip()
    if not line:
        proc.wait()
        raise AssertionError("ended without output (rc %s); stderr: %s"
                             % (proc.returncode, proc.stderr.read()))
    return line


def printed_nothing_yet(proc, seconds):
    """True if proc has printed nothing for `seconds` (it is still waiting)."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    return not sel.select(seconds)


def finish(proc):
    proc.stdin.close()
    try:
        proc.wait(WAIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("did not exit after its stdin closed")
    err = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    return proc.returncode, err


class Neighbours(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="filelock-neighbours-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def try_once(self, side, path):
        r = subprocess.run(side.argv("try", path), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=WAIT)
        self.assertIn(r.returncode, (0, 1), "%s try: %s" % (side, r.stderr))
        return r.returncode == 0

    def exclude(self, holder, asker):
        """holder holds the path; asker's try fails and its waiter waits until release."""
        path = os.path.join(self.dir, "%s-then-%s.lock" % (holder.name, asker.name))
        hold = holder.start("hold", path)
        waiter = None
        try:
            self.assertEqual(read_line(hold), "locked", "%s could not take a free lock" % holder)
            self.assertFalse(self.try_once(asker, path),
                             "%s took the lock while %s held it" % (asker, holder))
            waiter = asker.start("wait", path)
            # While the holder holds, the waiter must stay silent: it prints "locked" only
            # once it has the lock. Half a second is ample to see a wrong grant.
            self.assertTrue(printed_nothing_yet(waiter, 0.5),
                            "%s's waiter got the lock while %s held it" % (asker, holder))
            rc, err = finish(hold)
            self.assertEqual(rc, 0, "%s: %s" % (holder, err))
            self.assertEqual(read_line(waiter), "locked",
                             "%s's waiter not woken by %s's release" % (asker, holder))
            rc, err = finish(waiter)
            self.assertEqual(rc, 0, "%s: %s" % (asker, err))
            self.assertTrue(self.try_once(asker, path), "left held after both released")
            self.assertTrue(self.try_once(holder, path), "left held after both released")
        finally:
            for p in (hold, waiter):
                if p is not None and p.poll() is None:
                    p.kill()
                    p.wait()

    def both_ways(self, ours, theirs):
        with self.subTest(holder=ours.name, asker=theirs.name):
            self.exclude(ours, theirs)
        with self.subTest(holder=theirs.name, asker=ours.name):
            self.exclude(theirs, ours)


def neighbour_available(kind, python):
    """None if the neighbour can run, else why not."""
    if kind == "flock(1)":
        return None if shutil.which("flock") else "util-linux flock(1) not installed"
    if kind == "gofrs":
        return None if ARGS.gofrs and os.path.exists(ARGS.gofrs) else \
            "gofrs/flock program not built (needs go and golang-github-gofrs-flock-dev)"
    module = {"py-filelock": "filelock", "portalocker": "portalocker",
              "fasteners": "fasteners"}[kind]
    r = subprocess.run([python, "-c", "import " + module], capture_output=True)
    return None if r.returncode == 0 else "%s cannot import %s" % (python, module)


def add_tests():
    """One test per (filelock side, neighbour): ours hold / theirs ask, and back."""
    cli = ARGS.filelock
    ours = {
        "flock": [shell_side("filelock-run", [cli, "run", "--no-sidecar"]),
                  python_side("libfilelock", sys.executable)],
        # fasteners takes fcntl record locks, which flock(2) does not see: filelock meets
        # it with the OFD backend (OFD and classic fcntl locks exclude each other).
        "fcntl": [shell_side("filelock-run-ofd", [cli, "run", "--no-sidecar", "--backend", "ofd"]),
                  python_side("libfilelock-ofd", sys.executable)],
    }
    if ARGS.gofrs_dropin:
        ours["flock"].append(Side("gofrs-dropin",
                                  lambda action, path: [ARGS.gofrs_dropin, action, path]))
    npy = ARGS.neighbour_python
    theirs = {
        "flock(1)": ("flock", shell_side("flock1", ["flock"])),
        "gofrs": ("flock", Side("gofrs", lambda action, path: [ARGS.gofrs, action, path])),
        "py-filelock": ("flock", python_side("py-filelock", npy)),
        "portalocker": ("flock", python_side("portalocker", npy)),
        "fasteners": ("fcntl", python_side("fasteners", npy)),
    }
    # py-filelock users lock "data.csv.lock" by convention: filelock's default lock of
    # "data.csv", a file into which filelock writes its holder record and which
    # py-filelock truncates when it opens it.
    ours["py-filelock"] = ours["flock"] + [python_side("libfilelock-sidecar", sys.executable)]
    for kind, (family, neighbour) in theirs.items():
        for side in ours["py-filelock" if kind == "py-filelock" else family]:
            def test(self, side=side, neighbour=neighbour, kind=kind):
                why = neighbour_available(kind, npy)
                if why:
                    if ARGS.require:
                        self.fail(why)
                    print("skipped %s: %s" % (kind, why), file=sys.stderr)
                    self.skipTest(why)
                self.both_ways(side, neighbour)
            name = "test_%s_and_%s" % (side.name, neighbour.name)
            setattr(Neighbours, name.replace("-", "_"), test)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--filelock", required=True)
    parser.add_argument("--gofrs")
    parser.add_argument("--gofrs-dropin")
    parser.add_argument("--neighbour-python", default=sys.executable)
    parser.add_argument("--require", action="store_true",
                        help="fail, rather than skip, when a neighbour is missing")
    ARGS, rest = parser.parse_known_args()
    add_tests()
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
