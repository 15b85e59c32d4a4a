"""Turns "name value" figure lines (µs) into the benchmark table.

Each row sets one filelock figure against a reference measured in the same run
and gives the ratio ours/reference; rows with a target say PASS or MISS.
Usage: python3 report.py FIGURES_FILE
"""
import sys

# (what, our figure, reference label, reference figure, target ratio or None)
LOCKS = [
    ("lock+unlock, flock backend, record_holder off", "lock.fl_flock_us",
     "raw flock(2)", "lock.raw_flock_us", 1.3),
    ("lock+unlock, OFD backend, record_holder off", "lock.fl_ofd_us",
     "raw OFD fcntl", "lock.raw_ofd_us", 1.3),
    ("  its floor: raw flock + the unlink rule's statx", "lock.floor_flock_us",
     "raw flock(2)", "lock.raw_flock_us", None),
    ("  filelock above its floor", "lock.fl_flock_us",
     "raw flock+statx", "lock.floor_flock_us", None),
    ("lock+unlock, flock backend, record_holder on", "lock.fl_flock_holder_us",
     "raw flock(2)", "lock.raw_flock_us", 3.0),
    ("open+lock+unlock+close, record_holder off", "lock.fl_open_lock_close_us",
     "raw open+flock+close", "lock.raw_open_lock_close_us", None),
    ("open+lock+unlock+close, record_holder on", "lock.fl_open_lock_close_holder_us",
     "raw open+flock+close", "lock.raw_open_lock_close_us", None),
    ("handoff to a blocked waiter, median", "lock.fl_handoff_median_us",
     "raw blocking flock", "lock.raw_handoff_median_us", 2.0),
    ("  its floor: raw flock in a waiter thread, eventfd", "lock.floor_handoff_median_us",
     "raw blocking flock", "lock.raw_handoff_median_us", None),
    ("  filelock above its floor", "lock.fl_handoff_median_us",
     "raw waiter thread", "lock.floor_handoff_median_us", None),
    ("handoff to a blocked waiter, p99", "lock.fl_handoff_p99_us",
     "raw blocking flock", "lock.raw_handoff_p99_us", None),
    ("handoff from a raw flock holder (flock(1), gofrs...)", "lock.fl_foreign_handoff_median_us",
     "raw blocking flock", "lock.raw_handoff_median_us", None),
    ("  CPU time per wait for it", "lock.fl_foreign_wait_cpu_us",
     "raw blocking flock", "lock.raw_wait_cpu_us", None),
    ("CPU time spent per ~2 ms wait", "lock.fl_wait_cpu_us",
     "raw blocking flock", "lock.raw_wait_cpu_us", None),
    ("CPU time spent per ~2 ms wait", "lock.fl_wait_cpu_us",
     "raw waiter thread", "lock.floor_wait_cpu_us", None),
    ("CPU time per ~2 ms wait, LOCKFILE", "lock.fl_lockfile_wait_cpu_us",
     "raw blocking flock", "lock.raw_wait_cpu_us", None),
    ("CPU time per ~2 ms wait, LOCKDIR", "lock.fl_lockdir_wait_cpu_us",
     "raw blocking flock", "lock.raw_wait_cpu_us", None),
    ("handoff median, LOCKFILE (directory watch)", "lock.fl_lockfile_handoff_median_us",
     "raw blocking flock", "lock.raw_handoff_median_us", None),
    ("handoff median, LOCKDIR (directory watch)", "lock.fl_lockdir_handoff_median_us",
     "raw blocking flock", "lock.raw_handoff_median_us", None),
    ("fl_state_wait wake-up, median (commit incl.)",
     "state.wait_wake_median_us", "filelock lock handoff", "lock.fl_handoff_median_us", 2.0),
    ("fl_state_wait wake-up, p99 (commit incl.)", "state.wait_wake_p99_us",
     "filelock lock handoff, p99", "lock.fl_handoff_p99_us", None),
    ("  the commit alone (ATOMIC, no backup/log)", "state.wait_commit_median_us",
     "filelock lock handoff", "lock.fl_handoff_median_us", None),
    ("  from the commit's return (< 0: the waiter first)", "state.wait_after_commit_median_us",
     "filelock lock handoff", "lock.fl_handoff_median_us", None),
    ("fl_state_wait wake-up, journal, median (commit incl.)",
     "state.wait_journal_wake_median_us", "filelock lock handoff", "lock.fl_handoff_median_us", None),
    ("fl_state_wait wake-up, journal, p99 (commit incl.)", "state.wait_journal_wake_p99_us",
     "filelock lock handoff, p99", "lock.fl_handoff_p99_us", None),
    ("  the journal commit alone (ATOMIC, one key)", "state.wait_journal_commit_median_us",
     "filelock lock handoff", "lock.fl_handoff_median_us", None),
    ("  from the journal commit's return (< 0: the waiter first)",
     "state.wait_journal_after_commit_median_us", "filelock lock handoff", "lock.fl_handoff_median_us", None),
    ("  from fl_txn_commit's call (as the handoff from fl_unlock's)",
     "state.wait_journal_from_commit_call_median_us", "filelock lock handoff", "lock.fl_handoff_median_us", None),
    ("  the same, beside lock handoffs in the same rounds",
     "state.wait_journal_from_commit_call_median_us", "lock handoff, same rounds",
     "state.wait_journal_handoff_median_us", 2.0),
    ("  the same beside its floor (append, close, inotify, read)",
     "state.wait_journal_from_commit_call_median_us", "raw protocol", "state.wait_floor_median_us", None),
]
STATE = [
    ("txn 1 KiB, FULL", "state.fl_full_1k_us",
     "raw protocol, durable", "state.raw_full_1k_us", 1.15),
    ("txn 1 KiB, FULL", "state.fl_full_1k_us",
     "SQLite DELETE/FULL", "sqlite.delete_full_1k_us", 1.0),
    ("txn 1 KiB, FULL", "state.fl_full_1k_us",
     "SQLite WAL/FULL", "sqlite.wal_full_1k_us", None),
    ("txn 1 KiB, FULL", "state.fl_full_1k_us",
     "SQLite WAL/NORMAL", "sqlite.wal_normal_1k_us", None),
    ("txn 1 KiB, FULL", "state.fl_full_1k_us",
     "bare durable replace", "state.replace_durable_1k_us", None),
    ("txn 1 KiB, ATOMIC", "state.fl_atomic_1k_us",
     "raw protocol, no fsync", "state.raw_atomic_1k_us", 1.3),
    ("txn 1 KiB, ATOMIC", "state.fl_atomic_1k_us",
     "bare atomic replace", "state.replace_atomic_1k_us", None),
    ("txn 64 KiB, FULL", "state.fl_full_64k_us",
     "raw protocol, durable", "state.raw_full_64k_us", None),
    ("txn 4 MiB, FULL", "state.fl_full_4m_us",
     "raw protocol, durable", "state.raw_full_4m_us", None),
    # Journal mode (journal_max_bytes), against the targets: a one-key commit
    # within 1.5x SQLite WAL/FULL (2x WAL/NORMAL for ATOMIC) at every size, and flat
    # within 2x from 1 KiB to 4 MiB.
    ("txn 1 KiB, FULL, journal", "state.fl_full_journal_1k_us",
     "full rewrite, same run", "state.fl_full_rewrite_1k_us", None),
    ("txn 64 KiB, FULL, journal", "state.fl_full_journal_64k_us",
     "full rewrite, same run", "state.fl_full_rewrite_64k_us", None),
    ("txn 4 MiB, FULL, journal", "state.fl_full_journal_4m_us",
     "full rewrite, same run", "state.fl_full_rewrite_4m_us", None),
    ("txn 1 KiB, FULL, journal", "state.fl_full_journal_1k_us",
     "SQLite WAL/FULL", "sqlite.wal_full_1k_us", 1.5),
    ("txn 64 KiB, FULL, journal", "state.fl_full_journal_64k_us",
     "SQLite WAL/FULL", "sqlite.wal_full_1k_us", 1.5),
    ("txn 4 MiB, FULL, journal", "state.fl_full_journal_4m_us",
     "SQLite WAL/FULL", "sqlite.wal_full_1k_us", 1.5),
    ("txn 4 MiB, FULL, journal", "state.fl_full_journal_4m_us",
     "the same at 1 KiB", "state.fl_full_journal_1k_us", 2.0),
    ("txn 1 KiB, ATOMIC, journal", "state.fl_atomic_journal_1k_us",
     "SQLite WAL/NORMAL", "sqlite.wal_normal_1k_us", 2.0),
    ("txn 64 KiB, ATOMIC, journal", "state.fl_atomic_journal_64k_us",
     "SQLite WAL/NORMAL", "sqlite.wal_normal_1k_us", 2.0),
    ("txn 4 MiB, ATOMIC, journal", "state.fl_atomic_journal_4m_us",
     "SQLite WAL/NORMAL", "sqlite.wal_normal_1k_us", 2.0),
    ("txn 4 MiB, FULL, checkpoint (worst single)", "state.fl_full_journal_checkpoint_4m_us",
     "full rewrite, same run", "state.fl_full_rewrite_4m_us", None),
    # What a long-lived handle's read adds after another handle's one-key commit: the
    # whole document (fl_state_read prints it) or the changed value (fl_state_get).
    ("re-read 4 MiB after a one-key commit, fl_state_read", "state.fl_journal_reread_4m_us",
     "the bound", "bound.reread_us", None),
    ("re-read 4 MiB after a one-key commit, fl_state_get", "state.fl_journal_get_4m_us",
     "the bound", "bound.reread_us", 1.0),
]
OTHERS = [
    ("lock+unlock, defaults", "lock.fl_flock_holder_us", "py-filelock", "pylock.py_filelock_us"),
    ("lock+unlock, defaults", "lock.fl_flock_holder_us", "portalocker", "pylock.portalocker_us"),
    ("lock+unlock, defaults", "lock.fl_flock_holder_us", "fasteners", "pylock.fasteners_us"),
    ("lock+unlock, defaults", "lock.fl_flock_holder_us", "gofrs/flock (Go)", "golock.gofrs_flock_us"),
    ("lock+unlock, defaults", "lock.fl_flock_holder_us", "Boost.Interprocess file_lock",
     "cxxlock.boost_file_lock_us"),
    ("handoff median", "lock.fl_handoff_median_us", "py-filelock",
     "pylock.py_filelock_handoff_median_us"),
    ("handoff median", "lock.fl_handoff_median_us", "portalocker (1 ms check)",
     "pylock.portalocker_handoff_median_us"),
    ("handoff median", "lock.fl_handoff_median_us", "fasteners",
     "pylock.fasteners_handoff_median_us"),
    ("txn 1 KiB, FULL (+backup, log)", "state.fl_full_1k_us", "py-filelock + JSON replace",
     "pylock.py_filelock_txn_1k_us"),
    ("txn 1 KiB, FULL (+backup, log)", "state.fl_full_1k_us", "portalocker + JSON replace",
     "pylock.portalocker_txn_1k_us"),
    ("txn 1 KiB, FULL (+backup, log)", "state.fl_full_1k_us", "fasteners + JSON replace",
     "pylock.fasteners_txn_1k_us"),
]
# (binding, its lock+unlock, its 1 KiB FULL transaction): each against the C API's
# figures of the same run (lock.fl_flock_holder_us, state.fl_full_1k_us).
BINDINGS = [("Python", "binding.py_lock_us", "binding.py_txn_1k_us"),
            ("Go", "binding.go_lock_us", "binding.go_txn_1k_us"),
            ("C#", "binding.cs_lock_us", "binding.cs_txn_1k_us")]
# Python's pointer transactions (state.edit()) beside its whole-document ones, each
# against the same calls made directly: (binding, what, figure, held to the 10% target).
BINDING_MORE = [("Python edit()", "txn 1 KiB, FULL", "binding.py_edit_1k_us", True),
                ("Python", "1 MiB journal, one key", "binding.py_txn_1m_journal_us", False),
                ("Python edit()", "1 MiB journal, one key", "binding.py_edit_1m_journal_us", False)]
BINDING_LOCK_OVERHEAD_US = 1.5  # per lock+unlock, above C's
BINDING_TXN_OVERHEAD = 0.10     # per transaction, share above C's
# (what, binding figure, other library, its figure): the binding as its users' code
# would call it, beside the library they would otherwise use.
BINDING_OTHERS = [
    ("lock+unlock", "binding.py_lock_us", "py-filelock", "pylock.py_filelock_us"),
    ("lock+unlock", "binding.py_lock_us", "portalocker", "pylock.portalocker_us"),
    ("lock+unlock", "binding.go_lock_us", "gofrs/flock", "golock.gofrs_flock_us"),
    # gofrs/flock's own benchmark program with its import switched to the drop-in.
    ("lock+unlock, gofrs's program on filelock.dev/filelock/flock", "golock.filelock_dropin_us",
     "gofrs/flock", "golock.gofrs_flock_us"),
    ("txn 1 KiB, FULL", "binding.py_txn_1k_us", "py-filelock + JSON replace",
     "pylock.py_filelock_txn_1k_us"),
    ("txn 1 KiB, FULL", "binding.py_txn_1k_us", "portalocker + JSON replace",
     "pylock.portalocker_txn_1k_us"),
]
# Handoff as users run it: (scenario, filelock figure prefix, raw blocking flock prefix);
# each prefix has _median_us and _p99_us. filelock with default options, both on the
# sidecar "<path>.lock", same run.
HANDOFFS = [
    ("one long-lived holder process", "lock.fl_handoff", "lock.raw_handoff"),
    ("a new holder process per round", "handoff.fl_fresh", "handoff.raw_fresh"),
    ("holder and waiter: two threads of one process", "handoff.fl_thread", "handoff.raw_thread"),
]
# The same with the holder record off (prefix "fl" -> "fl_norec"): the lock alone, where
# the default adds the record's pwrite. Reported beside the default, no target.
HANDOFF_TARGET = 1.5   # median, filelock / raw blocking flock
GO_HANDOFF_TARGET = 1.0  # Go: a goroutine blocked in Lock, filelock / gofrs/flock
# (scenario, figure prefix): bench_handoff_test.go's rows, each with _filelock_us,
# _gofrs_us and their _p99_us.
GO_HANDOFFS = [
    ("handoff to a blocked goroutine, defaults (holder record)", "binding.go_handoff"),
    ("handoff to a blocked goroutine, no sidecar (no record)", "binding.go_handoff_nosidecar"),
]
WAIT_CPU_TARGET = 2.0  # CPU per wait, filelock / raw blocking flock
SIZES = [("1 KiB", "1k"), ("64 KiB", "64k"), ("4 MiB", "4m")]
JSON_MBPS_TARGET = 300  # parse and print of the whole document, each
# A hard link costs the same at any size; a copy of 4 MiB would cost a sizeable
# share of the commit. The backup must stay under this share of a 4 MiB ATOMIC commit.
BACKUP_SHARE_LIMIT = 0.10
# A long-lived handle's re-read after a one-key change, at 4 MiB (an absolute bound).
REREAD_BOUND_US = 100


def load(path):
    figures = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                try:
                    figures[parts[0]] = float(parts[1])
                except ValueError:
                    pass
    return figures


def us(v):
    if v is None:
        return "-"
    sign, v = ("-" if v < 0 else ""), abs(v)
    if v >= 10000:
        return f"{sign}{v / 1000:.1f} ms"
    if v >= 100:
        return f"{sign}{v:.0f} µs"
    if v >= 10:
        return f"{sign}{v:.1f} µs"
    return f"{sign}{v:.2f} µs"


def table(title, header, rows):
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    print(f"\n{title}")
    for r in [header] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


def compare(spec, fig):
    rows, misses = [], 0
    for what, ours, ref_label, ref, target in spec:
        a, b = fig.get(ours), fig.get(ref)
        if a is None or b is None:
            rows.append([what, us(a), f"{ref_label} {us(b)}", "-", "", "not measured"])
            continue
        ratio = a / b
        verdict = ""
        if target is not None:
            verdict = "PASS" if ratio <= target else "MISS"
            misses += verdict == "MISS"
        rows.append([what, us(a), f"{ref_label} {us(b)}", f"{ratio:.2f}x",
                     f"<= {target}x" if target else "", verdict])
    return rows, misses


def main():
    fig = load(sys.argv[1])
    fig["bound.reread_us"] = REREAD_BOUND_US
    header = ["figure", "filelock", "reference", "ratio", "target", "result"]
    lock_rows, m1 = compare(LOCKS, fig)
    state_rows, m2 = compare(STATE, fig)
    table("Locks (uncontended figures are µs per lock+unlock)", header, lock_rows)
    table("JSON state (one read-modify-write transaction, backups and audit log on)",
          header, state_rows)

    rows, misses = [], m1 + m2
    for label, tag in SIZES:
        cost, commit = fig.get(f"state.backup_cost_{tag}_us"), fig.get(f"state.fl_atomic_{tag}_us")
        if cost is None or commit is None:
            continue
        rows.append([label, us(commit), us(cost), f"{cost / commit * 100:.1f}%"])
    if rows:
        # Median of paired differences; within the noise it can come out negative.
        table("Backup cost (ATOMIC commit with backups minus without, paired by round)",
              ["document", "ATOMIC commit", "backup cost", "share"], rows)
        cost, commit = fig.get("state.backup_cost_4m_us"), fig.get("state.fl_atomic_4m_us")
        if cost is not None and commit:
            ok = cost / commit <= BACKUP_SHARE_LIMIT
            misses += not ok
            print(f"  backup cost independent of size (under {BACKUP_SHARE_LIMIT:.0%} of a 4 MiB "
                  f"commit): {'PASS' if ok else 'MISS'}")

    rows, handoff_misses = handoff_rows(fig)
    misses += handoff_misses
    if rows:
        table("Handoff as users run it (release -> the blocked waiter holds it; filelock defaults "
              "beside raw blocking flock, same run)",
              ["scenario", "filelock median", "raw median", "ratio", "filelock p99", "raw p99",
               "ratio", "target", "result"], rows)
    rows, go_misses = go_wait_rows(fig)
    misses += go_misses
    if rows:
        table("Go: a goroutine blocked in Lock, beside gofrs/flock's calls (same run)",
              ["scenario", "filelock median", "gofrs median", "ratio", "filelock p99",
               "gofrs p99", "target", "result"], rows)
    rows, json_misses = json_rows(fig)
    misses += json_misses
    if rows:
        table(f"JSON parse and print (MB/s, higher is better; target {JSON_MBPS_TARGET} MB/s; the "
              "engine beside cJSON on the same bytes)",
              ["figure", "filelock", "cJSON", "filelock/cJSON", "target", "result"], rows)
    rows = fairness_rows(fig)
    if rows:
        table("Fairness: 4 processes each re-locking at once, 2 s (acquisitions per process)",
              ["lock", "worst wait", "fewest", "most", "most/fewest", "total"], rows)

    other_rows = []
    for what, ours, lib, ref in OTHERS:
        a, b = fig.get(ours), fig.get(ref)
        if a is None or b is None:
            continue
        other_rows.append([what, us(a), f"{lib} {us(b)}", f"{a / b:.2f}x"])
    if other_rows:
        table("Other libraries (ratio below 1: filelock is faster)",
              ["figure", "filelock", "other library", "ratio"], other_rows)
    rows, binding_misses = binding_rows(fig)
    misses += binding_misses
    if rows:
        table(f"Bindings beside the C API (targets: under {BINDING_LOCK_OVERHEAD_US} µs more per "
              f"lock+unlock, under {BINDING_TXN_OVERHEAD:.0%} more per transaction)",
              ["binding", "figure", "binding", "C API", "overhead", "result"], rows)
        for line in interleaved_lines(fig):
            print(line)
    rows = []
    for what, ours, lib, ref in BINDING_OTHERS:
        a, b = fig.get(ours), fig.get(ref)
        if a is not None and b is not None:
            rows.append([what, f"{ours.split('.')[1].split('_')[0]} {us(a)}", f"{lib} {us(b)}",
                         f"{a / b:.2f}x"])
    if rows:
        table("Bindings beside the libraries their users would otherwise pick",
              ["figure", "binding", "other library", "ratio"], rows)
    print(f"\n{misses} target(s) missed")


def handoff_rows(fig):
    rows, misses = [], 0
    for what, ours, raw in HANDOFFS:
        a, b = fig.get(ours + "_median_us"), fig.get(raw + "_median_us")
        a99, b99 = fig.get(ours + "_p99_us"), fig.get(raw + "_p99_us")
        if a is None or b is None:
            continue
        ok = a / b <= HANDOFF_TARGET
        misses += not ok
        p99_ratio = f"{a99 / b99:.2f}x" if a99 is not None and b99 else "-"
        rows.append([what, us(a), us(b), f"{a / b:.2f}x", us(a99), us(b99), p99_ratio,
                     f"<= {HANDOFF_TARGET}x", "PASS" if ok else "MISS"])
        norec = ours.replace(".fl_", ".fl_norec_")
        c, c99 = fig.get(norec + "_median_us"), fig.get(norec + "_p99_us")
        if c is not None:
            p99_ratio = f"{c99 / b99:.2f}x" if c99 is not None and b99 else "-"
            rows.append(["  the same, holder record off", us(c), us(b), f"{c / b:.2f}x", us(c99),
                         us(b99), p99_ratio, "", ""])
    a, b = fig.get("lock.fl_wait_cpu_us"), fig.get("lock.raw_wait_cpu_us")
    if a is not None and b:
        ok = a / b <= WAIT_CPU_TARGET
        misses += not ok
        rows.append(["CPU per ~2 ms wait (long-lived holder)", us(a), us(b), f"{a / b:.2f}x",
                     "", "", "", f"<= {WAIT_CPU_TARGET}x", "PASS" if ok else "MISS"])
    return rows, misses


def go_wait_rows(fig):
    rows, misses = [], 0
    for what, prefix in GO_HANDOFFS:
        a, b = fig.get(prefix + "_filelock_us"), fig.get(prefix + "_gofrs_us")
        if a is None or not b:
            continue
        ok = a / b <= GO_HANDOFF_TARGET
        misses += not ok
        rows.append([what, us(a), us(b), f"{a / b:.2f}x", us(fig.get(prefix + "_filelock_p99_us")),
                     us(fig.get(prefix + "_gofrs_p99_us")), f"<= {GO_HANDOFF_TARGET}x",
                     "PASS" if ok else "MISS"])
    a, b = fig.get("binding.go_200_waiters_filelock_ms"), fig.get("binding.go_200_waiters_gofrs_ms")
    if a is not None and b:
        rows.append(["200 blocked goroutines, all through (ms)", f"{a:.2f} ms", f"{b:.2f} ms",
                     f"{a / b:.2f}x", "", "", "", ""])
    return rows, misses


def json_rows(fig):
    rows, misses = [], 0
    for label, tag in SIZES[1:]:
        for op in ("parse", "print"):
            a = fig.get(f"json.fl_{op}_{tag}_mbps")
            b = fig.get(f"json.cjson_{op}_{tag}_mbps")
            if a is None or b is None:
                continue
            ok = a >= JSON_MBPS_TARGET
            misses += not ok
            rows.append([f"{op} {label}", f"{a:.0f}", f"{b:.0f}", f"{a / b:.2f}x",
                         f">= {JSON_MBPS_TARGET}", "PASS" if ok else "MISS"])
    return rows, misses


def fairness_rows(fig):
    rows = []
    for label, kind in (("filelock", "fl"), ("raw flock", "raw")):
        prefix = f"handoff.{kind}_fair_"
        worst, lo, hi, total = (fig.get(prefix + k) for k in
                                ("worst_wait_us", "min_acquisitions", "max_acquisitions",
                                 "total_acquisitions"))
        if None in (worst, lo, hi, total):
            continue
        spread = f"{hi / lo:.2f}x" if lo else "inf"
        rows.append([label, us(worst), f"{lo:.0f}", f"{hi:.0f}", spread, f"{total:.0f}"])
    return rows


def interleaved_lines(fig):
    """What a binding's interleaved transaction benchmark adds: its pairs, the p99s of
    both sides and the difference in CPU time, which fsync waits do not blur."""
    lines = []
    for name, _, txn_fig in BINDINGS:
        base = txn_fig[:-3]
        pairs, cpu = fig.get(base + "_pairs"), fig.get(base + "_cpu_overhead_us")
        p99, native_p99 = fig.get(base + "_p99_us"), fig.get(base + "_native_p99_us")
        if pairs is None or cpu is None or p99 is None or native_p99 is None:
            continue
        native = fig.get(base + "_native_us")
        share = f" ({cpu / native:+.1%} of the native median)" if native else ""
        lines.append(f"  {name} txn 1 KiB: {pairs:.0f} interleaved pairs; p99 {us(p99)} "
                     f"(native {us(native_p99)}); CPU time over native {us(cpu)}{share}")
    return lines


def binding_rows(fig):
    """Each binding against its own native calls made in the same process, directory and
    rounds (the "_native_us" and "_overhead_us" twins, a median of paired differences)
    where the binding's benchmark gives them; else against the C API's figures of this
    run, which other options and fsync variance between processes blur."""
    rows, misses = [], 0
    c_figures = {"lock": fig.get("lock.fl_flock_holder_us"), "txn": fig.get("state.fl_full_1k_us")}
    for name, lock_fig, txn_fig in BINDINGS:
        for kind, what, figure in (("lock", "lock+unlock", lock_fig),
                                   ("txn", "txn 1 KiB, FULL", txn_fig)):
            value = fig.get(figure)
            native, extra = fig.get(figure[:-3] + "_native_us"), fig.get(figure[:-3] + "_overhead_us")
            if value is None:
                continue
            if native is not None and extra is not None:
                reference = f"{us(native)} (own native calls)"
            elif c_figures[kind] is not None:
                native, extra, reference = c_figures[kind], value - c_figures[kind], us(c_figures[kind])
            else:
                continue
            if kind == "lock":
                ok, shown = extra < BINDING_LOCK_OVERHEAD_US, f"{extra:+.2f} µs"
            else:
                ok, shown = extra / native < BINDING_TXN_OVERHEAD, f"{extra / native:+.1%}"
            misses += not ok
            rows.append([name, what, us(value), reference, shown, "PASS" if ok else "MISS"])
    for name, what, figure, held in BINDING_MORE:
        value = fig.get(figure)
        native, extra = fig.get(figure[:-3] + "_native_us"), fig.get(figure[:-3] + "_overhead_us")
        if value is None or native is None or extra is None:
            continue
        ok = extra / native < BINDING_TXN_OVERHEAD
        misses += held and not ok
        result = ("PASS" if ok else "MISS") if held else "-"
        rows.append([name, what, us(value), f"{us(native)} (own native calls)", f"{extra / native:+.1%}", result])
    return rows, misses


if __name__ == "__main__":
    main()
