#!/usr/bin/env python3
"""End-to-end tests of the `filelock` command: each test runs the built binary.

Usage: test_cli.py PATH/TO/filelock [unittest options]
Locks are held by real background `filelock run` processes; signals are real signals.
"""
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

BIN = None


def run(*args, input=None, timeout=30, cwd=None):
    return subprocess.run([BIN, *args], input=input, capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)


class Holder:
    """A background `filelock run PATH ... -c 'echo ready; ...'` holding a lock."""

    def __init__(self, path, *options, script="exec sleep 60"):
        # Its own process group, so a crash test can kill the command along with it.
        self.proc = subprocess.Popen(
            [BIN, "run", *options, path, "-c", "echo ready; " + script],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.proc.kill()
            raise AssertionError("holder did not start: %r %r" % (line, self.proc.stderr.read()))

    @property
    def pid(self):
        return self.proc.pid

    def signal(self, sig):
        self.proc.send_signal(sig)

    def crash(self):
        """SIGKILLs `filelock run` and its command: nothing gets to clean up."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def wait(self, timeout=10):
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


class CliTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="filelock-cli-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def assertExit(self, result, code):
        self.assertEqual(result.returncode, code,
                         "exit %d, expected %d\nstdout: %s\nstderr: %s" %
                         (result.returncode, code, result.stdout, result.stderr))


class HelpAndUsage(CliTest):
    SUBCOMMANDS = ["status", "clean-stale", "run", "lock-info", "state"]

    def test_main_help_lists_commands_and_exit_codes(self):
        r = run("--help")
        self.assertExit(r, 0)
        for word in self.SUBCOMMANDS + ["Exit status", "Examples"]:
            self.assertIn(word, r.stdout)

    def test_every_subcommand_has_help_with_examples(self):
        for sub in self.SUBCOMMANDS:
            for form in ([sub, "--help"], [sub, "-h"], ["help", sub]):
                r = run(*form)
                self.assertExit(r, 0)
                self.assertIn("Usage: filelock " + sub, r.stdout, form)
                self.assertIn("Examples:", r.stdout, form)
                self.assertIn("filelock " + sub + " ", r.stdout.split("Examples:")[1], form)

    def test_state_subcommand_help(self):
        r = run("state", "get", "--help")
        self.assertExit(r, 0)
        self.assertIn("filelock state get FILE", r.stdout)

    def test_version(self):
        r = run("--version")
        self.assertExit(r, 0)
        self.assertRegex(r.stdout, r"^filelock \d+\.\d+\.\d+ \(library \d+\.\d+\.\d+\)\n$")

    def test_no_arguments_is_a_usage_error(self):
        r = run()
        self.assertExit(r, 2)
        self.assertIn("Usage: filelock COMMAND", r.stderr)

    def test_unknown_command(self):
        r = run("stauts")
        self.assertExit(r, 2)
        self.assertIn("unknown command 'stauts'", r.stderr)
        self.assertIn("filelock --help", r.stderr)

    def test_unknown_option_points_to_help(self):
        r = run("status", "--bogus")
        self.assertExit(r, 2)
        self.assertIn("filelock: status: unknown option '--bogus'", r.stderr)
        self.assertIn("Try 'filelock status --help'", r.stderr)

    def test_bad_duration_says_what_to_use(self):
        r = run("clean-stale", self.dir, "--max-age", "2x")
        self.assertExit(r, 2)
        self.assertIn("filelock: clean-stale: --max-age: '2x' is not a duration (use e.g.",
                      r.stderr)
        r = run("run", "-w", "soon", self.path("f"), "--", "true")
        self.assertExit(r, 2)
        self.assertIn("-w/--timeout: 'soon' is not a duration", r.stderr)

    def test_malformed_durations_are_refused(self):
        for d in ["", "2x", "-1", "1e3", "0x10", "1..2", "s", "5 s"]:
            r = run("clean-stale", self.dir, "--max-age", d, "--dry-run")
            self.assertExit(r, 2)
            self.assertIn("is not a duration", r.stderr)

    def test_watch_interval_must_be_positive(self):
        r = run("status", self.dir, "--watch=0")
        self.assertExit(r, 2)
        self.assertIn("--watch: the interval must be more than 0", r.stderr)
        r = run("status", self.dir, "--watch=soon")
        self.assertExit(r, 2)
        self.assertIn("--watch: 'soon' is not a duration", r.stderr)

    def test_durations_are_accepted(self):
        for d in ["500ms", "30s", "15m", "2h", "1d", "90", "1.5"]:
            self.assertExit(run("clean-stale", self.dir, "--max-age", d, "--dry-run"), 0)

    def test_run_usage_errors(self):
        f = self.path("f")
        cases = [
            (["run"], "expects PATH"),
            (["run", f], "no command to run"),
            (["run", f, "--"], "no command to run"),
            (["run", "-s", "-x", f, "--", "true"], "cannot both be given"),
            (["run", "-n", "-w", "1", f, "--", "true"], "cannot both be given"),
            (["run", "-E", "abc", f, "--", "true"], "-E/--conflict-exit-code: 'abc'"),
            (["run", "-E", "300", f, "--", "true"], "from 0 to 255"),
            (["run", f, "-c"], "-c takes one argument"),
            (["run", "--backend", "nfs", f, "--", "true"], "--backend: 'nfs' is not a backend"),
            (["run", "-c", "true", f, "--", "true"], "not both"),
        ]
        for args, message in cases:
            r = run(*args)
            self.assertExit(r, 2)
            self.assertIn(message, r.stderr, args)
        self.assertFalse(os.path.exists(f + ".lock"), "a usage error must not touch the lock")

    def test_state_usage_errors(self):
        f = self.path("s.json")
        cases = [
            (["state"], "expects a state command"),
            (["state", "frobnicate", f], "unknown state command 'frobnicate'"),
            (["state", "get"], "FILE is missing"),
            (["state", "set", f, "/a"], "usage: filelock state set FILE POINTER JSON"),
            (["state", "history", f, "-n", "x"], "-n/--limit: 'x'"),
            (["state", "set", f, "/a", "1", "--raw"], "--raw is for 'state get' only"),
        ]
        for args, message in cases:
            r = run(*args)
            self.assertExit(r, 2)
            self.assertIn(message, r.stderr, args)

    ETCD_FLAGS = ["--etcd-cacert", "--etcd-cert", "--etcd-key", "--etcd-user", "--etcd-password-file",
                  "--etcd-ttl", "--etcd-dial-timeout", "--etcd-request-timeout"]

    def test_etcd_flags_are_in_the_help_of_every_command_that_opens_etcd_names(self):
        for sub in ["status", "run", "lock-info", "state"]:
            r = run(sub, "--help")
            self.assertExit(r, 0)
            for flag in self.ETCD_FLAGS:
                self.assertIn(flag + " ", r.stdout, sub)

    def test_etcd_flags_with_a_file_path_are_usage_errors(self):
        f = self.path("f")
        for flag in self.ETCD_FLAGS:
            value = "5s" if flag in ("--etcd-ttl", "--etcd-dial-timeout", "--etcd-request-timeout") else "x"
            for args in (["run", flag, value, f, "--", "true"], ["lock-info", flag, value, f],
                         ["status", flag, value, self.dir], ["state", "set", flag, value, f, "/a", "1"],
                         ["state", "get", flag, value, f]):
                r = run(*args)
                self.assertExit(r, 2)
                self.assertIn(flag + " applies to etcd:// names only", r.stderr, args)
        self.assertEqual(os.listdir(self.dir), [], "a usage error must not create anything")

    def test_etcd_flag_values_are_checked(self):
        url = "etcd://127.0.0.1:1/jobs/nightly"  # nothing listens: refused before any connection
        cases = [
            (["--etcd-ttl", "1500ms"], "--etcd-ttl: '1500ms' is not a whole number of seconds"),
            (["--etcd-ttl", "soon"], "--etcd-ttl: 'soon' is not a duration"),
            (["--etcd-dial-timeout", "0"], "--etcd-dial-timeout: must be more than 0"),
            (["--etcd-request-timeout", "0s"], "--etcd-request-timeout: must be more than 0"),
            (["--etcd-cacert", ""], "--etcd-cacert: the value is empty"),
        ]
        for flags, message in cases:
            r = run("run", *flags, url, "--", "true")
            self.assertExit(r, 2)
            self.assertIn(message, r.stderr, flags)

    def test_state_set_refuses_text_that_is_not_json(self):
        f = self.path("s.json")
        r = run("state", "set", f, "/name", "hello")
        self.assertExit(r, 2)
        self.assertIn("filelock: state set: JSON 'hello' is not valid JSON", r.stderr)
        self.assertIn("'\"hello\"'", r.stderr)
        self.assertFalse(os.path.exists(f), "invalid input must not create the file")

    def test_state_read_commands_work_for_a_user_who_may_not_write(self):
        if os.geteuid() != 0 or shutil.which("setpriv") is None:
            self.skipTest("needs root and setpriv (util-linux) to run as uid 65534 (nobody)")
        os.chmod(self.dir, 0o755)
        f = self.path("s.json")
        self.assertExit(run("state", "set", f, "/a", "1"), 0)
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", BIN, "state"]
        for command, expected in (("get", '"a": 1'), ("history", "commit"), ("verify", "ok")):
            r = subprocess.run(as_nobody + [command, f], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, (command, r.stderr))
            self.assertIn(expected, r.stdout, command)
        r = subprocess.run(as_nobody + ["set", f, "/a", "2"], capture_output=True, text=True, timeout=30)
        self.assertExit(r, 4)
        self.assertIn("Permission denied", r.stderr)
        self.assertExit(run("state", "get", f, "/a"), 0)
        self.assertEqual(run("state", "get", f, "/a").stdout.strip(), "1")


class RunCommand(CliTest):
    def test_exits_with_the_command_status(self):
        lock = self.path("job")
        self.assertExit(run("run", lock, "--", "sh", "-c", "exit 7"), 7)
        self.assertExit(run("run", lock, "sh", "-c", "exit 0"), 0)
        self.assertExit(run("run", lock, "-c", "exit 3"), 3)
        self.assertExit(run("run", "-c", "exit 4", lock), 4)

    def test_command_output_and_arguments_pass_through(self):
        r = run("run", self.path("job"), "--", "printf", "%s|", "a b", "-x", "--", "c")
        self.assertExit(r, 0)
        self.assertEqual(r.stdout, "a b|-x|--|c|")

    def test_command_runs_while_the_lock_is_held(self):
        lock = self.path("job")
        r = run("run", lock, "--", BIN, "lock-info", lock, "--json")
        self.assertExit(r, 0)
        info = json.loads(r.stdout)
        self.assertTrue(info["locked"])
        self.assertEqual(info["mode"], "exclusive")
        info = json.loads(run("lock-info", lock, "--json").stdout)
        self.assertFalse(info["locked"], "released after the command")

    def test_missing_command_exits_127(self):
        r = run("run", self.path("job"), "--", "no-such-command-filelock-test")
        self.assertExit(r, 127)
        self.assertIn("cannot run 'no-such-command-filelock-test'", r.stderr)

    def test_command_that_cannot_execute_exits_126(self):
        script = self.path("not-executable.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(script, stat.S_IRUSR | stat.S_IWUSR)
        r = run("run", self.path("job"), "--", script)
        self.assertExit(r, 126)
        self.assertIn("Permission denied", r.stderr)

    def test_conflict_exits_1_or_the_chosen_code(self):
        lock = self.path("job")
        marker = self.path("ran")
        with Holder(lock, "--owner", "nightly") as holder:
            r = run("run", "-n", lock, "--", "touch", marker)
            self.assertExit(r, 1)
            self.assertIn("is held by pid %d (owner 'nightly')" % holder.pid, r.stderr)
            self.assertIn("the command was not run", r.stderr)
            self.assertExit(run("run", "-n", "-E", "75", lock, "--", "touch", marker), 75)
            self.assertExit(run("run", "--nonblock", "--conflict-exit-code=9", lock,
                                "--", "touch", marker), 9)
            r = run("run", "-n", "-q", lock, "--", "touch", marker)
            self.assertExit(r, 1)
            self.assertEqual(r.stderr, "")
            self.assertExit(run("run", "-s", "-n", lock, "--", "touch", marker), 1)
            self.assertExit(run("run", "-w", "0", lock, "--", "touch", marker), 1)
        self.assertFalse(os.path.exists(marker), "the command must not run without the lock")

    def test_no_backend_runs_its_command_beside_a_lockfile_or_lockdir_holder(self):
        lock = self.path("job")
        marker = self.path("ran")
        for held in ("lockfile", "lockdir"):
            with Holder(lock, "--backend", held) as holder:
                for backend in ("auto", "flock", "ofd", "posix", "lockfile", "lockdir"):
                    r = run("run", "-n", "--backend", backend, lock, "--", "touch", marker)
                    self.assertExit(r, 1)
                    r = run("run", "-w", "300ms", "--backend", backend, lock, "--", "touch", marker)
                    self.assertExit(r, 1)
                r = run("run", "-n", lock, "--", "touch", marker)
                # The default backend names the holder: its pid and its backend.
                self.assertIn("held by pid %d" % holder.pid, r.stderr)
                self.assertIn("a %s lock" % held.upper(), r.stderr)
        self.assertFalse(os.path.exists(marker), "the command must not run without the lock")

    def test_timeout_waits_then_gives_up(self):
        lock = self.path("job")
        with Holder(lock):
            start = time.monotonic()
            r = run("run", "-w", "400ms", lock, "--", "true")
            elapsed = time.monotonic() - start
            self.assertExit(r, 1)
            self.assertIn("gave up waiting", r.stderr)
            self.assertGreaterEqual(elapsed, 0.35)
            self.assertLess(elapsed, 5)

    def test_shared_locks_run_together(self):
        lock = self.path("job")
        with Holder(lock, "-s"):
            self.assertExit(run("run", "-s", "-n", lock, "--", "true"), 0)
            self.assertExit(run("run", "-x", "-n", lock, "--", "true"), 1)

    def test_waiter_runs_as_soon_as_the_holder_releases(self):
        lock = self.path("job")
        holder = Holder(lock)
        with holder:
            waiter = subprocess.Popen([BIN, "run", lock, "--", "echo", "got it"],
                                      stdout=subprocess.PIPE, text=True)
            time.sleep(0.3)
            self.assertIsNone(waiter.poll(), "the waiter must wait while the lock is held")
            holder.signal(signal.SIGTERM)
            holder.wait()
            start = time.monotonic()
            out, _ = waiter.communicate(timeout=10)
            self.assertEqual(waiter.returncode, 0)
            self.assertEqual(out, "got it\n")
            self.assertLess(time.monotonic() - start, 1.5)

    def test_signals_are_forwarded_to_the_command(self):
        lock = self.path("job")
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT,
                    signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGPIPE):
            name = sig.name[3:]
            script = ("trap 'echo caught %s; exit 42' %s; echo armed; "
                      "while :; do sleep 0.05; done" % (name, name))
            with Holder(lock, script=script) as holder:
                self.assertEqual(holder.proc.stdout.readline(), "armed\n")
                holder.signal(sig)
                code, out, _ = holder.wait()
                self.assertEqual(out, "caught %s\n" % name)
                self.assertEqual(code, 42, "exit with the command's status")

    def test_lock_stays_held_until_the_signalled_command_exits(self):
        lock = self.path("job")
        script = ("trap 'echo cleaning; sleep 0.5; exit 3' TERM; echo armed; "
                  "while :; do sleep 0.05; done")
        with Holder(lock, script=script) as holder:
            self.assertEqual(holder.proc.stdout.readline(), "armed\n")
            holder.signal(signal.SIGTERM)
            self.assertEqual(holder.proc.stdout.readline(), "cleaning\n")
            self.assertExit(run("run", "-n", lock, "--", "true"), 1)
            code, _, _ = holder.wait()
            self.assertEqual(code, 3)
        self.assertExit(run("run", "-n", lock, "--", "true"), 0)

    def test_signals_the_caller_ignores_stay_ignored(self):
        # nohup-style: SIGHUP ignored by the caller must not end the command.
        script = "trap '' HUP; exec \"$0\" run \"$1\" -c 'kill -HUP $$; echo survived'"
        r = subprocess.run(["sh", "-c", script, BIN, self.path("job")],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual((r.returncode, r.stdout), (0, "survived\n"), r.stderr)
        r = run("run", self.path("job"), "-c", "kill -HUP $$; echo survived")
        self.assertExit(r, 128 + signal.SIGHUP)

    def test_command_killed_by_a_signal_exits_128_plus_signal(self):
        lock = self.path("job")
        with Holder(lock) as holder:
            holder.signal(signal.SIGTERM)
            code, _, _ = holder.wait()
            self.assertEqual(code, 128 + signal.SIGTERM)
        self.assertExit(run("run", "-n", lock, "--", "true"), 0)

    def test_kernel_lock_outlives_a_killed_filelock_like_flock1(self):
        lock = self.path("job")
        marker = self.path("finished")
        holder = Holder(lock, script="sleep 1.5; touch '%s'" % marker)
        with holder:
            holder.proc.kill()  # SIGKILL to filelock alone: the command goes on
            holder.proc.wait()
            self.assertExit(run("run", "-n", lock, "--", "true"), 1)
            # The command touches the marker just before it exits: the lock may only
            # come free once the marker is there.
            deadline = time.monotonic() + 10
            while True:
                r = run("run", "-n", "-q", lock, "--", "true")
                if r.returncode == 0:
                    self.assertTrue(os.path.exists(marker), "freed while the command ran")
                    break
                self.assertExit(r, 1)
                self.assertLess(time.monotonic(), deadline, "released when the command ends")
                time.sleep(0.05)

    def test_without_a_kernel_lock_the_command_dies_with_filelock(self):
        for backend in ("posix", "lockfile"):
            lock = self.path("job-" + backend)
            marker = self.path("ran-unlocked-" + backend)
            holder = Holder(lock, "--backend", backend, script="sleep 1; touch '%s'" % marker)
            with holder:
                holder.proc.kill()
                holder.proc.wait()
                time.sleep(1.5)
                self.assertFalse(os.path.exists(marker),
                                 "%s: the command must not go on without the lock" % backend)
            if backend == "posix":
                self.assertExit(run("run", "-n", "--backend", backend, lock, "--", "true"), 0)

    def test_lock_is_the_sidecar_of_the_path(self):
        data = self.path("pipeline.json")
        self.assertExit(run("run", data, "--", "true"), 0)
        self.assertTrue(os.path.exists(data + ".lock"))
        self.assertFalse(os.path.exists(data), "the path itself is not created")

    @unittest.skipIf(shutil.which("flock") is None, "util-linux flock(1) not installed")
    def test_no_sidecar_interoperates_with_flock1(self):
        lock = self.path("job.lock")
        with Holder(lock, "--no-sidecar"):
            r = subprocess.run(["flock", "-n", lock, "true"])
            self.assertEqual(r.returncode, 1, "flock(1) must see the lock as held")
        self.assertEqual(subprocess.run(["flock", "-n", lock, "true"]).returncode, 0)

    @unittest.skipIf(shutil.which("flock") is None, "util-linux flock(1) not installed")
    def test_no_sidecar_excludes_and_waits_for_flock1_both_ways(self):
        lock = self.path("job.lock")
        # flock(1) holds: our try fails, our waiter runs once flock(1) lets go.
        holder = subprocess.Popen(["flock", lock, "-c", "echo ready; cat >/dev/null"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(holder.stdout.readline().strip(), "ready")
            self.assertExit(run("run", "-n", "-q", "--no-sidecar", lock, "--", "true"), 1)
            self.assertExit(run("run", "-n", "-q", lock, "--", "true"), 0)  # the sidecar: another file
            waiter = subprocess.Popen([BIN, "run", "--no-sidecar", lock, "-c", "echo got"],
                                      stdout=subprocess.PIPE, text=True)
            holder.stdin.close()
            self.assertEqual(holder.wait(30), 0)
            self.assertEqual(waiter.communicate(timeout=30)[0].strip(), "got")
            self.assertEqual(waiter.returncode, 0)
        finally:
            if holder.poll() is None:
                holder.kill()
                holder.wait()
            holder.stdout.close()
        # We hold: flock(1)'s waiter runs once we let go.
        with Holder(lock, "--no-sidecar") as ours:
            waiter = subprocess.Popen(["flock", lock, "-c", "echo got"], stdout=subprocess.PIPE,
                                      text=True)
            time.sleep(0.3)
            self.assertIsNone(waiter.poll(), "flock(1) ran while we held the lock")
            ours.signal(signal.SIGTERM)  # forwarded to the command; then we release
            self.assertEqual(waiter.communicate(timeout=30)[0].strip(), "got")


class Status(CliTest):
    def test_table_shows_held_and_free_locks(self):
        self.assertExit(run("run", self.path("free"), "--", "true"), 0)
        with Holder(self.path("busy"), "--owner", "nightly-build") as holder:
            r = run("status", self.dir)
            self.assertExit(r, 0)
            lines = r.stdout.splitlines()
            self.assertEqual(lines[0].split(),
                             ["LOCK", "STATE", "MODE", "PID", "HOST", "OWNER", "AGE", "STALE"])
            rows = {line.split()[0]: line.split() for line in lines[1:]}
            busy = rows["busy.lock"]
            self.assertEqual(busy[1:4], ["held", "exclusive", str(holder.pid)])
            self.assertEqual(busy[5], "nightly-build")
            self.assertEqual(busy[-1], "no")
            free = rows["free.lock"]
            self.assertEqual(free[1:6], ["free", "-", "-", "-", "-"])

    def test_every_shared_holder_is_listed(self):
        with Holder(self.path("shared"), "-s") as a, Holder(self.path("shared"), "-s") as b:
            r = run("status", self.dir)
            self.assertExit(r, 0)
            row = r.stdout.splitlines()[1].split()
            self.assertEqual(row[:3], ["shared.lock", "held", "shared"])
            self.assertEqual(sorted(row[3].split(",")), sorted([str(a.pid), str(b.pid)]))

    def test_lock_info_finds_a_lock_file_backend_holder_without_being_told(self):
        for backend in ("lockfile", "lockdir"):
            data = self.path("pipeline-%s.json" % backend)
            holder = Holder(data, "--backend", backend, "--owner", "nightly")
            with holder:
                r = run("lock-info", data)
                self.assertExit(r, 0)
                self.assertRegex(r.stdout, r"backend: +%s\n" % backend)
                self.assertRegex(r.stdout, r"state: +held\n")
                self.assertRegex(r.stdout, r"holder pid: +%d\n" % holder.pid)
                self.assertRegex(r.stdout, r"owner: +nightly\n")
                self.assertRegex(r.stdout, r"stale: +no\n")
                info = json.loads(run("lock-info", data, "--json").stdout)
                self.assertEqual((info["backend"], info["locked"], info["holder"]["pid"]),
                                 (backend, True, holder.pid))
                holder.crash()
                # The crash leaves the lock behind, and its holder provably dead.
                r = run("lock-info", data)
                self.assertRegex(r.stdout, r"backend: +%s\n" % backend)
                self.assertRegex(r.stdout, r"stale: +yes")

    def test_lock_info_judges_a_legacy_lock_by_its_pid(self):
        # A legacy lock (what older scripts leave: a pid file, or a directory holding
        # one) is found without --backend: held while its pid runs, stale once it is gone.
        live = subprocess.Popen(["sleep", "300"])
        dead = subprocess.Popen(["true"])
        dead.wait()
        try:
            for directory in (False, True):
                for name, pid in (("live", live.pid), ("dead", dead.pid)):
                    data = self.path("%s-%s.json" % (name, "dir" if directory else "file"))
                    if directory:
                        os.mkdir(data + ".lock")
                        with open(data + ".lock/pid", "w") as f:
                            f.write(str(pid))
                    else:
                        with open(data + ".lock", "w") as f:
                            f.write("%d\n" % pid)
                    info = json.loads(run("lock-info", data, "--json").stdout)
                    self.assertEqual((info["backend"], info["holder"]["pid"]), ("legacy", pid))
                    self.assertEqual((info["alive"], info["stale"]), (name == "live", name == "dead"))
                    r = run("lock-info", data)
                    self.assertExit(r, 0)
                    self.assertRegex(r.stdout, r"backend: +legacy\n")
                    self.assertRegex(r.stdout, r"holder pid: +%d\n" % pid)
                    self.assertRegex(r.stdout, r"stale: +%s" % ("no" if name == "live" else "yes"))
        finally:
            live.kill()
            live.wait()

    def test_lock_info_names_the_holder(self):
        data = self.path("pipeline.json")
        r = run("lock-info", data)
        self.assertExit(r, 0)
        self.assertRegex(r.stdout, r"state: +free\n")
        with Holder(data, "--owner", "orchestrator") as holder:
            r = run("lock-info", data)
            self.assertExit(r, 0)
            self.assertRegex(r.stdout, r"lock file: +%s\.lock\n" % data)
            self.assertRegex(r.stdout, r"state: +held\n")
            self.assertRegex(r.stdout, r"mode: +exclusive\n")
            self.assertRegex(r.stdout, r"holder pid: +%d\n" % holder.pid)
            self.assertRegex(r.stdout, r"owner: +orchestrator\n")
            self.assertRegex(r.stdout, r"since: +\d{4}-\d\d-\d\dT")
            self.assertRegex(r.stdout, r"stale: +no\n")

    def test_json_report(self):
        with Holder(self.path("busy"), "--owner", "o1") as holder:
            r = run("status", self.dir, "--json")
            self.assertExit(r, 0)
            report = json.loads(r.stdout)
            locks = {os.path.basename(l["lock_path"]): l for l in report["locks"]}
            self.assertTrue(locks["busy.lock"]["locked"])
            self.assertEqual(locks["busy.lock"]["holder"]["pid"], holder.pid)
            self.assertEqual(locks["busy.lock"]["holder"]["owner"], "o1")

    def test_default_dir_is_the_current_directory(self):
        with Holder(self.path("busy")):
            r = run("status", cwd=self.dir)
            self.assertExit(r, 0)
            self.assertIn("busy.lock", r.stdout)

    def test_empty_and_missing_directories(self):
        r = run("status", self.dir)
        self.assertExit(r, 0)
        self.assertIn("no lock files in " + self.dir, r.stdout)
        missing = self.path("nope")
        r = run("status", missing)
        self.assertExit(r, 3)
        self.assertIn(missing, r.stderr)

    def test_watch_redraws_until_interrupted(self):
        with Holder(self.path("busy")):
            watcher = subprocess.Popen([BIN, "status", self.dir, "--watch", "200ms"],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(1.0)
            watcher.send_signal(signal.SIGINT)
            out, err = watcher.communicate(timeout=10)
        self.assertEqual(watcher.returncode, 0, err)
        self.assertGreaterEqual(out.count("Every 200ms: " + self.dir), 3)
        self.assertGreaterEqual(out.count("busy.lock"), 3)


class Escaping(CliTest):
    OWNER = "ops\x1b]0;owned\x07\x1b[2J\u009b31m"
    NAME = "job\x1b]0;owned\x07\x1b[2J\u009b31m"

    def assertNoControls(self, text):
        for c in ("\x1b", "\x07", "\u009b"):
            self.assertNotIn(c, text)

    def test_control_characters_in_names_and_labels_print_escaped(self):
        # The library refuses such labels, but a lock file's record is anyone's to
        # write: here a lockfile-backend record held by this (live) process, in a lock
        # file whose name carries the same escape sequences.
        lock = self.path(self.NAME)
        record = {"pid": os.getpid(), "host": "h\x1b[1mx", "backend": "lockfile",
                  "mode": "exclusive", "owner": self.OWNER,
                  "acquired_at": int(time.time() * 1000)}
        with open(lock + ".lock", "w") as fh:
            fh.write(json.dumps(record) + "\n")
        shown = "job\\x1b]0;owned\\x07\\x1b[2J\\xc2\\x9b31m"
        out = run("status", self.dir).stdout
        self.assertNoControls(out)
        self.assertIn(shown + ".lock", out)
        out = run("lock-info", "--backend", "lockfile", lock).stdout
        self.assertNoControls(out)
        self.assertIn(shown + ".lock", out)
        r = run("run", "-n", "--backend", "lockfile", lock, "--", "true")
        self.assertExit(r, 1)
        self.assertNoControls(r.stderr)
        self.assertIn(shown, r.stderr)
        r = run("lock-info", "--backend", "lockfile", lock, "--json")
        self.assertEqual(json.loads(r.stdout)["path"], lock, "JSON output keeps names exact")

    def test_utf8_text_prints_as_it_is(self):
        lock = self.path("job")
        with Holder(lock, "--owner", "équipe €"):
            self.assertIn("équipe €", run("status", self.dir).stdout)


class FileSizeLimit(CliTest):
    def test_a_write_past_ulimit_f_fails_with_a_message_and_no_temp_file(self):
        f = self.path("s.json")
        self.assertExit(run("state", "set", f, "/a", "1"), 0)
        limit = lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))
        r = subprocess.run([BIN, "state", "set", f, "/big", json.dumps("x" * 20000)],
                           capture_output=True, text=True, timeout=30, preexec_fn=limit)
        self.assertExit(r, 4)
        self.assertIn(self.dir, r.stderr)
        self.assertIn("File too large", r.stderr)
        self.assertEqual([n for n in os.listdir(self.dir) if "tmp" in n], [])
        self.assertEqual(json.loads(run("state", "get", f, "--json").stdout), {"a": 1})


class CleanStale(CliTest):
    def test_dry_run_counts_foreign_lock_names_the_run_keeps(self):
        os.mkdir(self.path("cache.lock"))
        with open(self.path("cache.lock/data"), "w") as fh:
            fh.write("not ours\n")
        with open(self.path("notes.lock"), "w") as fh:
            fh.write("not ours\n")
        r = run("clean-stale", self.dir, "--max-age", "0", "--dry-run", "--json")
        self.assertExit(r, 0)
        dry = json.loads(r.stdout)
        r = run("clean-stale", self.dir, "--max-age", "0", "--dry-run")
        self.assertIn("(2 kept)", r.stdout)
        r = run("clean-stale", self.dir, "--max-age", "0", "--json")
        self.assertExit(r, 0)
        real = json.loads(r.stdout)
        self.assertEqual(dry["kept"], real["kept"])
        self.assertEqual(len(real["kept"]), 2)
        self.assertIn("kept 2", run("clean-stale", self.dir, "--max-age", "0").stdout)

    def test_dry_run_lists_and_keeps_then_clean_removes_only_unheld(self):
        free = self.path("old.lock")
        busy = self.path("busy.lock")
        self.assertExit(run("run", self.path("old"), "--", "true"), 0)
        self.assertTrue(os.path.exists(free))
        with Holder(self.path("busy")):
            r = run("clean-stale", self.dir, "--max-age", "0", "--dry-run")
            self.assertExit(r, 0)
            self.assertIn("would remove", r.stdout)
            self.assertIn(free, r.stdout)
            self.assertNotIn(busy, r.stdout)
            self.assertTrue(os.path.exists(free), "a dry run removes nothing")

            r = run("clean-stale", self.dir, "--max-age", "0", "--dry-run", "--json")
            self.assertExit(r, 0)
            report = json.loads(r.stdout)
            self.assertEqual([e["lock_path"] for e in report["would_remove"]], [free])
            self.assertEqual(report["kept"], [{"lock_path": busy, "reason": "held"}])

            r = run("clean-stale", self.dir, "--max-age", "0")
            self.assertExit(r, 0)
            self.assertIn(free, r.stdout)
            self.assertIn("removed 1", r.stdout)
            self.assertFalse(os.path.exists(free))
            self.assertTrue(os.path.exists(busy), "a held lock is never removed")

    def test_crash_leftovers_are_listed_by_the_dry_run_and_removed_alike(self):
        # What a lock-file process killed mid-create leaves: "<lock>.new-<pid>-<tid>-<n>".
        # Without a readable creator record only age (past the grace period) proves it
        # abandoned; a fresh one is kept.
        old = self.path("job.lock.new-4194300-1-1")
        fresh = self.path("job.lock.new-4194300-1-2")
        for name in (old, fresh):
            open(name, "w").close()
        past = time.time() - 3 * 3600
        os.utime(old, (past, past))
        r = run("clean-stale", self.dir, "--max-age", "1s", "--dry-run", "--json")
        self.assertExit(r, 0)
        dry = json.loads(r.stdout)
        self.assertEqual([e["lock_path"] for e in dry["would_remove"]], [old])
        self.assertEqual(dry["would_remove"][0]["leftover_of"], self.path("job.lock"))
        r = run("status", self.dir)
        self.assertExit(r, 0)
        self.assertIn("2 crash leftovers of lock-file locks (1 abandoned)", r.stdout)
        self.assertIn(fresh, [e["lock_path"] for e in dry["kept"]])
        self.assertTrue(os.path.exists(old), "a dry run removes nothing")
        r = run("clean-stale", self.dir, "--max-age", "1s", "--json")
        self.assertExit(r, 0)
        real = json.loads(r.stdout)
        self.assertEqual([e["lock_path"] for e in real["removed"]], [old])
        self.assertEqual(real["removed"][0]["reason"], dry["would_remove"][0]["reason"])
        self.assertFalse(os.path.exists(old))
        self.assertTrue(os.path.exists(fresh))

    def test_crashed_lockfile_holder_is_reported_stale_and_cleaned(self):
        lock = self.path("job")
        holder = Holder(lock, "--backend", "lockfile")
        with holder:
            self.assertExit(run("run", "-n", "--backend", "lockfile", lock, "--", "true"), 1)
            holder.crash()
        self.assertTrue(os.path.exists(lock + ".lock"), "a crash leaves the lock file behind")
        r = run("status", self.dir, "--json")
        self.assertExit(r, 0)
        entry = json.loads(r.stdout)["locks"][0]
        self.assertTrue(entry["stale"], entry)
        r = run("status", self.dir)
        self.assertEqual(r.stdout.splitlines()[1].split()[-1], "yes")

        # Younger than --max-age: kept, by the dry run and the real thing alike.
        r = run("clean-stale", self.dir, "--max-age", "1d", "--dry-run")
        self.assertExit(r, 0)
        self.assertIn("nothing to remove", r.stdout)
        self.assertExit(run("clean-stale", self.dir, "--max-age", "1d"), 0)
        self.assertTrue(os.path.exists(lock + ".lock"))

        r = run("clean-stale", self.dir, "--max-age", "0", "--dry-run")
        self.assertExit(r, 0)
        self.assertIn("holder process %d is gone" % holder.pid, r.stdout)
        self.assertTrue(os.path.exists(lock + ".lock"))
        r = run("clean-stale", self.dir, "--max-age", "0")
        self.assertExit(r, 0)
        self.assertIn("holder process %d is gone" % holder.pid, r.stdout)
        self.assertIn("removed 1", r.stdout)
        self.assertFalse(os.path.exists(lock + ".lock"))
        self.assertExit(run("run", "-n", "--backend", "lockfile", lock, "--", "true"), 0)

    def test_recent_unheld_locks_are_kept(self):
        free = self.path("fresh.lock")
        self.assertExit(run("run", self.path("fresh"), "--", "true"), 0)
        r = run("clean-stale", self.dir, "--max-age", "1h", "--dry-run")
        self.assertExit(r, 0)
        self.assertIn("nothing to remove", r.stdout)
        r = run("clean-stale", self.dir, "--max-age", "1h", "--json")
        self.assertExit(r, 0)
        self.assertEqual(json.loads(r.stdout)["removed"], [])
        self.assertTrue(os.path.exists(free))


class LegacyLocks(CliTest):
    """Lock files the scripts filelock replaces leave at <file>.lock: a bare pid, pid= and
    locked_at= lines, a directory holding a pid file. A running `sleep` is a live holder;
    a reaped child's pid is a dead one."""

    FORMATS = ("bare-pid", "pid-locked_at", "pid-directory")
    PHRASES = {"bare-pid": "legacy lock file (bare pid)",
               "pid-locked_at": "legacy lock file (pid=/locked_at= lines)",
               "pid-directory": "legacy lock directory (holding a pid file)"}
    BACKENDS = ("flock", "ofd", "posix", "lockfile", "lockdir")

    def setUp(self):
        super().setUp()
        self.live = subprocess.Popen(["sleep", "300"])
        child = subprocess.Popen(["true"])
        child.wait()
        self.dead = child.pid

    def tearDown(self):
        self.live.kill()
        self.live.wait()
        super().tearDown()

    def write(self, name, fmt, pid):
        lock = self.path(name + ".lock")
        if fmt == "pid-directory":
            os.mkdir(lock)
            with open(os.path.join(lock, "pid"), "w") as fh:
                fh.write(str(pid))
        elif fmt == "bare-pid":
            with open(lock, "w") as fh:
                fh.write(str(pid))
        else:
            with open(lock, "w") as fh:
                fh.write("pid=%d\nlocked_at=%f\n" % (pid, time.time() - 60))
        return lock

    def test_every_backend_keeps_a_live_one_and_breaks_a_dead_one(self):
        for fmt in self.FORMATS:
            live = self.write("live-" + fmt, fmt, self.live.pid)
            for backend in self.BACKENDS:
                with self.subTest(fmt=fmt, backend=backend):
                    r = run("run", "-n", "--backend", backend, live[:-5], "--", "true")
                    self.assertExit(r, 1)
                    self.assertIn(self.PHRASES[fmt], r.stderr)
                    self.assertIn("pid %d" % self.live.pid, r.stderr)
                    self.assertTrue(os.path.exists(live))
                    dead = self.write("dead-%s-%s" % (fmt, backend), fmt, self.dead)
                    r = run("run", "-n", "--backend", backend, dead[:-5], "--", "echo", "ran")
                    self.assertExit(r, 0)
                    self.assertEqual(r.stdout, "ran\n")

    def test_status_lists_format_and_pid(self):
        for fmt in self.FORMATS:
            self.write("live-" + fmt, fmt, self.live.pid)
            self.write("dead-" + fmt, fmt, self.dead)
        r = run("status", self.dir)
        self.assertExit(r, 0)
        rows = {line.split()[0]: line.split() for line in r.stdout.splitlines()[1:]}
        for fmt in self.FORMATS:
            live, dead = rows["live-%s.lock" % fmt], rows["dead-%s.lock" % fmt]
            self.assertEqual(live[1:4], ["held", "exclusive", str(self.live.pid)])
            self.assertEqual(live[5:7], ["legacy", fmt])
            self.assertEqual(live[-1], "no")
            self.assertEqual(dead[3], str(self.dead))
            self.assertEqual(dead[-1], "yes")
        r = run("status", self.dir, "--json")
        self.assertExit(r, 0)
        locks = {os.path.basename(e["lock_path"]): e for e in json.loads(r.stdout)["locks"]}
        self.assertEqual(len(locks), 6)
        for fmt in self.FORMATS:
            entry = locks["live-%s.lock" % fmt]
            self.assertEqual((entry["backend"], entry["format"]), ("legacy", fmt))
            self.assertEqual(entry["holder"]["pid"], self.live.pid)
            self.assertFalse(entry["stale"])
            self.assertTrue(locks["dead-%s.lock" % fmt]["stale"])

    def test_clean_stale_removes_only_dead_ones(self):
        for fmt in self.FORMATS:
            self.write("live-" + fmt, fmt, self.live.pid)
            self.write("dead-" + fmt, fmt, self.dead)
        dead = sorted(self.path("dead-%s.lock" % fmt) for fmt in self.FORMATS)
        live = sorted(self.path("live-%s.lock" % fmt) for fmt in self.FORMATS)
        r = run("clean-stale", self.dir, "--max-age", "0", "--dry-run", "--json")
        self.assertExit(r, 0)
        dry = json.loads(r.stdout)
        self.assertEqual(sorted(e["lock_path"] for e in dry["would_remove"]), dead)
        self.assertEqual(sorted(e["lock_path"] for e in dry["kept"]), live)
        for entry in dry["kept"]:
            self.assertIn("pid %d" % self.live.pid, entry["reason"])
        self.assertTrue(all(os.path.exists(p) for p in dead), "a dry run removes nothing")

        r = run("clean-stale", self.dir, "--max-age", "0", "--json")
        self.assertExit(r, 0)
        real = json.loads(r.stdout)
        self.assertEqual(sorted(e["lock_path"] for e in real["removed"]), dead)
        self.assertEqual(sorted(e["lock_path"] for e in real["kept"]), live)
        for entry in real["kept"]:
            fmt = os.path.basename(entry["lock_path"])[len("live-"):-len(".lock")]
            self.assertIn(self.PHRASES[fmt], entry["reason"])
            self.assertIn("pid %d" % self.live.pid, entry["reason"])
        self.assertFalse(any(os.path.exists(p) for p in dead))
        self.assertTrue(all(os.path.exists(p) for p in live))


class State(CliTest):
    def state(self, *args, **kw):
        return run("state", *args, **kw)

    def test_round_trip(self):
        f = self.path("pipeline.json")
        r = self.state("set", f, "/workers/w1", '{"status": "busy", "n": 1}')
        self.assertExit(r, 0)
        self.assertRegex(r.stdout, r"pipeline\.json: set /workers/w1 \(generation \d+\)")
        self.assertEqual(json.loads(self.state("get", f, "--json").stdout),
                         {"workers": {"w1": {"status": "busy", "n": 1}}})
        r = self.state("get", f, "/workers/w1/status")
        self.assertExit(r, 0)
        self.assertEqual(r.stdout, '"busy"\n')
        self.assertEqual(self.state("get", f, "/workers/w1/status", "--raw").stdout, "busy\n")
        r = self.state("get", f, "/workers")
        self.assertEqual(json.loads(r.stdout), {"w1": {"status": "busy", "n": 1}})
        self.assertIn('\n  "w1": {\n', r.stdout, "readable output is indented")

        self.assertExit(self.state("merge", f, '{"workers": {"w1": {"n": null}}, "paused": true}'), 0)
        self.assertEqual(json.loads(self.state("get", f, "--json").stdout),
                         {"workers": {"w1": {"status": "busy"}}, "paused": True})
        self.assertExit(self.state("remove", f, "/paused"), 0)
        self.assertExit(self.state("set", f, "/stage", "-", input='"done"\n'), 0)
        self.assertEqual(json.loads(self.state("get", f, "--json").stdout),
                         {"workers": {"w1": {"status": "busy"}}, "stage": "done"})
        with open(f) as fh:
            self.assertEqual(json.load(fh), {"workers": {"w1": {"status": "busy"}},
                                             "stage": "done"})
        self.assertEqual(self.state("get", f, "--json").stdout,
                         '{"workers":{"w1":{"status":"busy"}},"stage":"done"}\n')

    def test_values_print_exactly_as_stored(self):
        f = self.path("s.json")
        big = '{"id": 12345678901234567890, "x": 1e400, "s": "tab\\t \\"q\\" é ,:{}[]"}'
        self.assertExit(self.state("set", f, "/v", big), 0)
        self.assertEqual(self.state("get", f, "/v/id").stdout, "12345678901234567890\n")
        r = self.state("get", f, "/v")
        self.assertEqual(r.stdout,
                         '{\n  "id": 12345678901234567890,\n  "x": 1e400,\n'
                         '  "s": "tab\\t \\"q\\" é ,:{}[]"\n}\n')
        self.assertEqual(self.state("get", f, "/v/s", "--raw").stdout, 'tab\t "q" é ,:{}[]\n')

    def test_owner_is_recorded_in_history(self):
        f = self.path("s.json")
        self.assertExit(self.state("set", f, "/a", "1", "--owner", "deploy-bot"), 0)
        records = json.loads(self.state("history", f, "-n", "1", "--json").stdout)
        self.assertEqual(records[0]["owner"], "deploy-bot")
        self.assertIn("deploy-bot", self.state("history", f).stdout)

    def test_json_output_of_changes_reports_the_generation(self):
        f = self.path("s.json")
        g1 = json.loads(self.state("set", f, "/a", "1", "--json").stdout)["generation"]
        g2 = json.loads(self.state("set", f, "/a", "2", "--json").stdout)["generation"]
        self.assertGreater(g2, g1)

    def test_history_backups_restore_verify(self):
        f = self.path("s.json")
        for v in ("1", "2", "3"):
            self.assertExit(self.state("set", f, "/v", v), 0)
        r = self.state("history", f)
        self.assertExit(r, 0)
        self.assertGreaterEqual(len(r.stdout.splitlines()), 3)
        r = self.state("history", f, "-n", "2", "--json")
        self.assertExit(r, 0)
        self.assertEqual(len(json.loads(r.stdout)), 2)

        r = self.state("backups", f, "--json")
        self.assertExit(r, 0)
        backups = json.loads(r.stdout)
        self.assertGreaterEqual(len(backups), 2)
        table = self.state("backups", f)
        self.assertExit(table, 0)
        self.assertEqual(table.stdout.split()[:4], ["ID", "GENERATION", "CREATED", "SIZE"])
        self.assertIn(backups[0]["id"], table.stdout)

        # The newest backup holds the document before the last commit: {"v": 2}.
        r = self.state("restore", f, backups[0]["id"])
        self.assertExit(r, 0)
        self.assertIn("restored backup " + backups[0]["id"], r.stdout)
        self.assertEqual(json.loads(self.state("get", f, "--json").stdout), {"v": 2})

        r = self.state("verify", f)
        self.assertExit(r, 0)
        self.assertIn(": ok", r.stdout)
        self.assertTrue(json.loads(self.state("verify", f, "--json").stdout)["ok"])

    def test_not_found_cases_exit_3(self):
        f = self.path("s.json")
        for sub in ("get", "history", "backups", "verify"):
            r = self.state(sub, f)
            self.assertExit(r, 3)
            self.assertIn("does not exist", r.stderr)
            self.assertFalse(os.path.exists(f), "%s must not create the file" % sub)
        self.assertExit(self.state("set", f, "/a", "1"), 0)
        r = self.state("get", f, "/missing")
        self.assertExit(r, 3)
        self.assertIn("/missing", r.stderr)
        r = self.state("restore", f, "no-such-backup")
        self.assertExit(r, 3)
        self.assertIn("no-such-backup", r.stderr)

    def test_verify_reports_a_damaged_file(self):
        f = self.path("s.json")
        self.assertExit(self.state("set", f, "/a", "1"), 0)
        with open(f, "w") as fh:
            fh.write('{"a": ')
        r = self.state("verify", f)
        self.assertExit(r, 5)
        self.assertIn("PROBLEMS FOUND", r.stdout)
        self.assertIn("problem: document: invalid JSON", r.stdout)
        self.assertIn("filelock state restore " + f + " ", r.stdout)
        r = self.state("verify", f, "--json")
        self.assertExit(r, 5)
        self.assertFalse(json.loads(r.stdout)["ok"])
        r = self.state("get", f)
        self.assertExit(r, 5)
        self.assertIn(f, r.stderr)
        self.assertIn("filelock state restore", r.stderr)

    def test_lock_timeout_when_a_holder_keeps_the_file(self):
        f = self.path("s.json")
        self.assertExit(self.state("set", f, "/a", "1"), 0)
        with Holder(f):
            r = self.state("set", f, "/a", "2", "-w", "300ms")
            self.assertExit(r, 1)
            self.assertIn(f, r.stderr)
        self.assertEqual(json.loads(self.state("get", f, "--json").stdout), {"a": 1})


class StateWatch(CliTest):
    """`state watch`: one line per change another process commits, woken by the commit."""

    def start_watch(self, f, *options):
        return subprocess.Popen([BIN, "state", "watch", f, *options], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def generation(self, f):
        r = run("state", "set", f, "/n", "0", "--json")
        self.assertExit(r, 0)
        return json.loads(r.stdout)["generation"]

    def test_prints_each_new_generation_until_interrupted(self):
        f = self.path("s.json")
        start = self.generation(f)
        # --after: no change between starting the watch and its first wait is missed.
        watch = self.start_watch(f, "--after", str(start))
        try:
            for n in (1, 2, 3):
                self.assertExit(run("state", "set", f, "/n", str(n)), 0)
                self.assertEqual(watch.stdout.readline(), "%d\n" % (start + n))
        finally:
            watch.send_signal(signal.SIGINT)
            watch.communicate(timeout=10)
        self.assertEqual(watch.returncode, -signal.SIGINT)

    def test_once_json_and_a_commit_that_changes_nothing(self):
        f = self.path("s.json")
        start = self.generation(f)
        self.assertExit(run("state", "set", f, "/n", "0"), 0)  # the same document: no change
        r = run("state", "watch", f, "--once", "--after", str(start), "-w", "300ms")
        self.assertExit(r, 1)
        self.assertIn("timed out", r.stderr)
        watch = self.start_watch(f, "--once", "--json", "--after", str(start))
        self.assertExit(run("state", "merge", f, '{"m": 1}'), 0)
        out, err = watch.communicate(timeout=30)
        self.assertEqual(watch.returncode, 0, err)
        self.assertEqual(json.loads(out), {"file": f, "generation": start + 1})

    def test_usage(self):
        f = self.path("s.json")
        r = run("state", "watch", f)
        self.assertExit(r, 3)  # never creates FILE
        self.assertFalse(os.path.exists(f))
        r = run("state", "get", f, "--once")
        self.assertExit(r, 2)
        self.assertIn("--once and --after are for 'state watch' only", r.stderr)
        r = run("state", "watch", "--help")
        self.assertIn("filelock state watch FILE", r.stdout)


@unittest.skipUnless(os.environ.get("FILELOCK_TEST_ETCD_SECURE"),
                     "FILELOCK_TEST_ETCD_SECURE is not set (tests/etcd/run.sh runs this class)")
class EtcdSecureMember(CliTest):
    """The --etcd-* flags against the member with TLS, client certificates and passwords
    that tests/etcd/run.sh starts: without them the member cannot be reached."""

    def setUp(self):
        super().setUp()
        tls = os.environ["FILELOCK_TEST_ETCD_TLS"]
        self.flags = ["--etcd-cacert", os.path.join(tls, "ca.pem"),
                      "--etcd-cert", os.path.join(tls, "client.pem"),
                      "--etcd-key", os.path.join(tls, "client-key.pem"),
                      "--etcd-user", "root", "--etcd-password-file", os.path.join(tls, "password"),
                      "--etcd-request-timeout", "3s"]
        self.prefix = "etcd://%s/fltest/cli-secure-%d-%s" % (
            os.environ["FILELOCK_TEST_ETCD_SECURE"], os.getpid(), self._testMethodName)

    def test_state_run_lock_info_and_status_reach_it(self):
        doc, job = self.prefix + "/doc", self.prefix + "/job"
        self.assertExit(run("state", "set", *self.flags, doc, "/phase", '"build"'), 0)
        r = run("state", "get", *self.flags, doc, "/phase", "-r")
        self.assertExit(r, 0)
        self.assertEqual(r.stdout, "build\n")
        with Holder(job, *self.flags, "--etcd-ttl", "2s") as holder:
            r = run("lock-info", *self.flags, job)
            self.assertExit(r, 0)
            self.assertRegex(r.stdout, r"state: +held")
            r = run("status", *self.flags, self.prefix)
            self.assertExit(r, 0)
            self.assertRegex(r.stdout, r"\njob +held +exclusive +%d " % holder.pid)
            r = run("run", "-n", *self.flags, job, "--", "true")
            self.assertExit(r, 1)
            self.assertIn("is held by pid %d" % holder.pid, r.stderr)
            holder.signal(signal.SIGTERM)
            holder.wait()
        self.assertExit(run("run", "-n", *self.flags, job, "--", "true"), 0)

    def test_without_the_flags_or_with_a_wrong_user_it_refuses(self):
        r = run("status", "--etcd-request-timeout", "2s", self.prefix)
        self.assertExit(r, 4)
        self.assertIn(self.prefix, r.stderr)
        wrong = list(self.flags)
        wrong[wrong.index("root")] = "nobody"
        r = run("state", "get", *wrong, self.prefix + "/doc")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("etcd refused user 'nobody'", r.stderr)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: test_cli.py PATH/TO/filelock [unittest options]")
    BIN = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
