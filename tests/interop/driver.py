#!/usr/bin/env python3
"""Workers in several languages increment one state file at once; one is killed midway.

Each worker runs N transactions that add one to /count and to /workers/<lang>, printing
"ack I" after commit I returned success. One worker (chosen at random unless --kill names
it) is SIGKILLed after a third of its commits, at a random moment, so it may die inside a
transaction or between a commit and its acknowledgement. Then:
  - the file parses and /count equals the sum of /workers (no lost or doubled update);
  - every survivor's counter equals its acknowledged commits (N);
  - the killed worker's counter is its acknowledged commits, or one more (a commit that
    reached the disk before the kill but was never acknowledged);
  - every language reads the final document and reports the same count;
  - no temporary file is left beside the state file.

Usage: driver.py --worker LANG=COMMAND... [--n N] [--kill LANG] [--dir DIR] [--demo]
COMMAND is split on spaces; the driver appends "PATH LANG N" or "PATH read".
"""
import argparse
import json
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--worker", action="append", required=True, metavar="LANG=COMMAND")
    p.add_argument("--n", type=int, default=30, help="transactions per worker")
    p.add_argument("--kill", help="the worker to kill (default: one at random)")
    p.add_argument("--dir", help="directory for the state file (default: a temporary one)")
    p.add_argument("--demo", action="store_true", help="narrate for people")
    return p.parse_args()


class Worker:
    def __init__(self, lang, command, path, n):
        self.lang = lang
        self.command = command
        self.acks = 0
        self.killed = False
        self.proc = subprocess.Popen(command + [path, lang, str(n)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("ack "):
                self.acks = int(line.split()[1])


def main():
    args = parse_args()
    commands = {}
    for spec in args.worker:
        lang, _, command = spec.partition("=")
        commands[lang] = shlex.split(command)
    victim = args.kill or random.choice(sorted(commands))
    if victim not in commands:
        sys.exit(f"driver: --kill {victim}: no such worker")
    say = print if args.demo else (lambda *a, **k: None)

    workdir = args.dir or tempfile.mkdtemp(prefix="filelock-interop-")
    try:
        return run(args, commands, victim, say, workdir)
    finally:
        if not args.dir:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args, commands, victim, say, workdir):
    path = os.path.join(workdir, "pipeline.json")
    say(f"{len(commands)} workers ({', '.join(sorted(commands))}) each commit {args.n} "
        f"increments to {path}; {victim} will be killed midway")

    start = time.monotonic()
    workers = {lang: Worker(lang, cmd, path, args.n) for lang, cmd in commands.items()}
    target = max(1, args.n // 3)
    while workers[victim].acks < target and workers[victim].proc.poll() is None:
        time.sleep(0.001)
    time.sleep(random.uniform(0, 0.003))  # land anywhere in the next transaction
    workers[victim].proc.send_signal(signal.SIGKILL)
    workers[victim].killed = True
    say(f"killed {victim} (pid {workers[victim].proc.pid}) after {workers[victim].acks} acknowledged commits")

    failures = []
    for w in workers.values():
        w.proc.wait(timeout=300)
        w.reader.join(timeout=10)
        err = w.proc.stderr.read()
        if not w.killed and w.proc.returncode != 0:
            failures.append(f"{w.lang} exited {w.proc.returncode}: {err.strip()}")
    elapsed = time.monotonic() - start

    with open(path) as f:
        doc = json.load(f)
    per_worker = doc.get("workers", {})
    count = doc.get("count")
    say(f"after {elapsed:.2f} s: count={count}, per worker {json.dumps(per_worker, sort_keys=True)}")
    if count != sum(per_worker.values()):
        failures.append(f"count {count} != sum of per-worker counters {sum(per_worker.values())}")
    for w in workers.values():
        got = per_worker.get(w.lang, 0)
        allowed = (w.acks, w.acks + 1) if w.killed else (args.n, args.n)
        if not (allowed[0] <= got <= allowed[1]) or (not w.killed and w.acks != args.n):
            failures.append(f"{w.lang}: {w.acks} acknowledged, {got} in the file "
                            f"(expected {allowed[0]}..{allowed[1]})")
        if w.killed and got == w.acks + 1:
            say(f"{w.lang}'s last commit reached the disk before the kill but was never acknowledged")

    for lang, cmd in sorted(commands.items()):
        out = subprocess.run(cmd + [path, "read"], capture_output=True, text=True, timeout=120)
        seen = out.stdout.strip()
        say(f"{lang} reads count={seen}")
        if out.returncode != 0 or seen != str(count):
            failures.append(f"{lang} read {seen!r} (exit {out.returncode}: {out.stderr.strip()}), expected {count}")

    leftovers = [n for n in os.listdir(workdir) if n not in ("pipeline.json", "pipeline.json.lock")
                 and not n.startswith(".pipeline.json.filelock")]
    if leftovers:
        failures.append(f"stray files beside the state file: {leftovers}")

    acked = sum(w.acks for w in workers.values())
    if failures:
        print("interop: FAILED\n  " + "\n  ".join(failures))
        return 1
    print(f"interop: ok: {acked} acknowledged increments from {len(workers)} languages, "
          f"count {count}, {victim} killed midway, every language read the same document")
    return 0


if __name__ == "__main__":
    sys.exit(main())
