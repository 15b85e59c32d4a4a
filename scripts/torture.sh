#!/usr/bin/env bash
# SIGKILL torture: workers in C and in every built binding (Python, Go, C#) commit
# increments to one state file while this driver SIGKILLs a random worker at a random
# moment (most often inside its commit loop) and starts it again, for SECONDS seconds.
# Each worker prints "ack I" after commit I returned success, so at the end:
#   acknowledged <= /count <= acknowledged + kills, per worker and in total;
#   /count equals the sum of the per-worker counters (no lost or doubled update);
#   every language reads the same count, `filelock state verify` finds no damage, and
#   no temp file is left beside the state file.
# Usage: scripts/torture.sh [SECONDS]   (default 45; BUILD=dir picks the build tree,
# default build; TORTURE_DIR=dir keeps the state there instead of a temp dir;
# TORTURE_JOURNAL=BYTES gives every worker a journal of at most BYTES, so commits append
# to it and, every few of them, one checkpoints it into the document)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-45}
build=$(cd "${BUILD:-build}" && pwd)

workers=()
[ -x "$build/bin/interop_worker_c" ] || { echo "torture: build interop_worker_c first (in $build)" >&2; exit 2; }
workers+=("c1=$build/bin/interop_worker_c" "c2=$build/bin/interop_worker_c")
if [ -e "$build/python/libfilelock" ]; then
  workers+=("python=/usr/bin/python3 $PWD/tests/interop/worker.py")
fi
[ -x "$build/tests/interop/interop-worker-go" ] && workers+=("go=$build/tests/interop/interop-worker-go")
if command -v dotnet >/dev/null && [ -e "$build/tests/interop/csharp-worker/InteropWorker.dll" ]; then
  workers+=("csharp=dotnet $build/tests/interop/csharp-worker/InteropWorker.dll")
fi
args=()
for w in "${workers[@]}"; do args+=(--worker "$w"); done
[ -x "$build/bin/filelock" ] && args+=(--cli "$build/bin/filelock")
if [ -n "${TORTURE_JOURNAL:-}" ]; then
  # The document file lags the journal: the final count is read through the CLI.
  [ -x "$build/bin/filelock" ] || { echo "torture: TORTURE_JOURNAL needs the CLI (in $build)" >&2; exit 2; }
  export FILELOCK_WORKER_JOURNAL=$TORTURE_JOURNAL
fi

# DOTNET_EnableDiagnostics=0: a killed .NET process would leave its diagnostic pipes and
# socket in /tmp (three files per kill).
export PYTHONPATH="$build/python" LD_LIBRARY_PATH="$build/lib" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export DOTNET_EnableDiagnostics=0
exec /usr/bin/python3 - --seconds "$seconds" "${args[@]}" <<'EOF'
import argparse, json, os, random, shlex, shutil, signal, subprocess, sys, tempfile, threading, time

p = argparse.ArgumentParser()
p.add_argument("--seconds", type=float, required=True)
p.add_argument("--worker", action="append", required=True)
p.add_argument("--cli")
args = p.parse_args()
commands = {}
for spec in args.worker:
    name, _, cmd = spec.partition("=")
    commands[name] = shlex.split(cmd)

# Far more transactions than one incarnation lives to commit: workers only stop by a kill.
FOREVER = "100000000"


class Incarnation:
    def __init__(self, name, path):
        self.acks = 0
        self.proc = subprocess.Popen(commands[name] + [path, name, FOREVER], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.err = []
        self.readers = [threading.Thread(target=self._read, daemon=True),
                        threading.Thread(target=lambda: self.err.extend(self.proc.stderr), daemon=True)]
        for r in self.readers:
            r.start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("ack "):
                self.acks += 1

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=60)
        for r in self.readers:
            r.join(timeout=30)  # every ack written before the kill is read


def main(workdir):
    path = os.path.join(workdir, "torture.json")
    acked = {n: 0 for n in commands}
    kills = {n: 0 for n in commands}
    failures = []
    live = {n: Incarnation(n, path) for n in sorted(commands)}
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        name = random.choice(sorted(live))
        victim = live[name]
        # Mostly inside the commit loop (after an ack of this incarnation, a random
        # fraction of a commit later), sometimes anywhere, start-up included.
        if random.random() < 0.8:
            base = victim.acks
            deadline = time.monotonic() + 30
            while victim.acks == base and victim.proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.0005)
            time.sleep(random.uniform(0, 0.004))
        else:
            time.sleep(random.uniform(0, 0.05))
        if victim.proc.poll() is not None:
            failures.append(f"{name} exited by itself ({victim.proc.returncode}): {''.join(victim.err).strip()}")
            break
        victim.kill()
        kills[name] += 1
        acked[name] += victim.acks
        live[name] = Incarnation(name, path)
    for name, w in live.items():  # the last incarnations die at a random moment too
        if w.proc.poll() is not None and w.proc.returncode != 0:
            failures.append(f"{name} exited by itself ({w.proc.returncode}): {''.join(w.err).strip()}")
        w.kill()
        kills[name] += 1
        acked[name] += w.acks

    if os.environ.get("FILELOCK_WORKER_JOURNAL"):
        out = subprocess.run([args.cli, "state", "get", path], capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            print(f"torture: FAILED\n  filelock state get: exit {out.returncode}: {out.stderr.strip()}")
            return 1
        doc = json.loads(out.stdout)
    else:
        with open(path) as f:
            doc = json.load(f)
    count, per = doc.get("count", 0), doc.get("workers", {})
    total_acked, total_kills = sum(acked.values()), sum(kills.values())
    if count != sum(per.values()):
        failures.append(f"/count {count} != sum of per-worker counters {sum(per.values())}")
    if not total_acked <= count <= total_acked + total_kills:
        failures.append(f"/count {count} outside acknowledged..acknowledged+kills = {total_acked}..{total_acked + total_kills}")
    for name in sorted(commands):
        got = per.get(name, 0)
        if not acked[name] <= got <= acked[name] + kills[name]:
            failures.append(f"{name}: {got} in the file, {acked[name]} acknowledged, {kills[name]} kills")
    readers = {}
    for lang in sorted({n.rstrip("0123456789") for n in commands}):
        cmd = commands[next(n for n in sorted(commands) if n.rstrip("0123456789") == lang)]
        out = subprocess.run(cmd + [path, "read"], capture_output=True, text=True, timeout=120)
        readers[lang] = out.stdout.strip()
        if out.returncode != 0 or out.stdout.strip() != str(count):
            failures.append(f"{lang} reads {out.stdout.strip()!r} (exit {out.returncode}: {out.stderr.strip()}), expected {count}")
    if args.cli:
        out = subprocess.run([args.cli, "state", "verify", path], capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            failures.append(f"filelock state verify: exit {out.returncode}: {out.stdout.strip()} {out.stderr.strip()}")
    leftovers = [n for n in os.listdir(workdir) if n not in ("torture.json", "torture.json.lock")
                 and not n.startswith(".torture.json.filelock")]
    if leftovers:
        failures.append(f"stray files beside the state file: {leftovers}")

    lost = count - total_acked
    journal = os.environ.get("FILELOCK_WORKER_JOURNAL")
    print(f"torture: {args.seconds:g} s{f', journal of {journal} bytes' if journal else ''}, {len(commands)} workers ({', '.join(sorted(commands))}): "
          f"{total_kills} kills, {total_acked} acknowledged commits, count {count} "
          f"({lost} committed but unacknowledged at a kill)")
    print("torture: per worker: " + ", ".join(f"{n} {acked[n]} acked/{kills[n]} kills/{per.get(n, 0)} in file"
                                               for n in sorted(commands)))
    if args.cli:
        print("torture: filelock state verify: " + ("ok" if not any("verify" in f for f in failures) else "FAILED"))
    if failures:
        print("torture: FAILED\n  " + "\n  ".join(failures))
        return 1
    print("torture: ok")
    return 0


workdir = os.environ.get("TORTURE_DIR") or tempfile.mkdtemp(prefix="filelock-torture-")
try:
    sys.exit(main(workdir))
finally:
    if not os.environ.get("TORTURE_DIR"):
        shutil.rmtree(workdir, ignore_errors=True)
EOF
