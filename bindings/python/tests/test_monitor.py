"""Lock inspection and cleanup helpers, against locks held by real processes."""
from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from libfilelock import (FileLock, cleanup_stale_locks, get_lock_age, get_lock_holder_pid,
                         get_lock_info, get_locked_files, is_file_locked, is_lock_stale,
                         is_process_running, print_lock_status, wait_for_lock_release)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_is_file_locked_follows_another_process(tmp_path, hold):
    target = tmp_path / "data.csv"
    assert not is_file_locked(target)
    child = hold(target)
    assert is_file_locked(target)
    assert is_file_locked(tmp_path / "data.csv.lock")  # the lock file works too
    child.send("go")
    child.expect("released")
    assert not is_file_locked(target)


def test_inspection_does_not_create_or_take_locks(tmp_path):
    target = tmp_path / "data.csv"
    assert not is_file_locked(target)
    with FileLock(target, timeout=0) as lock:
        assert is_file_locked(target)
        assert lock.is_locked


def test_get_lock_holder_pid_names_the_holder(tmp_path, hold):
    target = tmp_path / "data.csv"
    assert get_lock_holder_pid(target) is None
    child = hold(target)
    assert get_lock_holder_pid(target) == child.pid
    child.send("go")
    child.expect("released")
    assert get_lock_holder_pid(target) is None


def test_is_process_running():
    assert is_process_running(os.getpid())
    assert not is_process_running(_dead_pid())
    assert not is_process_running(0)
    assert not is_process_running(-5)


def test_wait_for_lock_release_wakes_on_release(tmp_path, hold):
    target = tmp_path / "f"
    child = hold(target)
    assert wait_for_lock_release(target, timeout=0.2) is False
    threading.Timer(0.3, lambda: child.send("go")).start()
    start = time.monotonic()
    assert wait_for_lock_release(target, timeout=10) is True
    assert time.monotonic() - start < 2.0
    assert not is_file_locked(target)  # waiting does not keep the lock


def test_wait_for_lock_release_on_a_free_lock(tmp_path):
    assert wait_for_lock_release(tmp_path / "f", timeout=0.1) is True


def test_get_locked_files_lists_held_locks_only(tmp_path, hold):
    sub = tmp_path / "sub"
    sub.mkdir()
    hold(tmp_path / "a")
    hold(sub / "b")
    FileLock(tmp_path / "free").acquire(blocking=False)  # released by the finalizer
    locked = get_locked_files(tmp_path)
    assert tmp_path / "a.lock" in locked
    assert sub / "b.lock" in locked
    assert tmp_path / "free.lock" not in locked
    assert get_locked_files(tmp_path, recursive=False) == [tmp_path / "a.lock"]


def test_get_lock_age_grows_while_held(tmp_path, hold):
    hold(tmp_path / "f")
    first = get_lock_age(tmp_path / "f.lock")
    time.sleep(0.3)
    second = get_lock_age(tmp_path / "f.lock")
    assert 0 <= first < second
    assert second - first >= 0.25


def test_lock_held_by_a_live_process_is_never_stale(tmp_path, hold):
    hold(tmp_path / "f")
    assert not is_lock_stale(tmp_path / "f.lock", threshold_hours=0)


def test_free_old_lock_is_stale_and_young_one_is_not(tmp_path):
    with FileLock(tmp_path / "f"):
        pass
    lock_file = tmp_path / "f.lock"
    assert not is_lock_stale(lock_file, threshold_hours=1)
    old = time.time() - 3 * 3600
    os.utime(lock_file, (old, old))
    assert is_lock_stale(lock_file, threshold_hours=1)


def test_get_lock_info_describes_holder(tmp_path, hold):
    child = hold(tmp_path / "f")
    info = get_lock_info(tmp_path / "f.lock")
    assert info["locked"] is True
    assert info["pid"] == child.pid
    assert info["process_running"] is True
    assert info["exists"] is True
    assert info["lock_file"] == tmp_path / "f.lock"
    assert info["age_seconds"] is not None and info["age_seconds"] >= 0
    assert info["stale"] is False


def test_killed_holder_leaves_a_free_lock(tmp_path, hold):
    child = hold(tmp_path / "f")
    child.proc.send_signal(signal.SIGKILL)
    child.wait()
    info = get_lock_info(tmp_path / "f")
    assert info["locked"] is False
    assert not is_process_running(child.pid)


def test_print_lock_status(tmp_path, hold):
    child = hold(tmp_path / "a")
    with FileLock(tmp_path / "b"):
        pass
    out = io.StringIO()
    print_lock_status(tmp_path, file=out)
    text = out.getvalue()
    assert "2 lock file(s)" in text
    assert f"{tmp_path / 'a.lock'}  LOCKED  pid={child.pid}" in text
    assert f"{tmp_path / 'b.lock'}  free" in text


def test_cleanup_stale_locks_removes_old_free_locks_only(tmp_path, hold):
    sub = tmp_path / "sub"
    sub.mkdir()
    for name in ("old", "young"):
        with FileLock(sub / name):
            pass
    hold(tmp_path / "held")
    old = time.time() - 5 * 3600
    os.utime(sub / "old.lock", (old, old))
    os.utime(tmp_path / "held.lock", (old, old))

    report = cleanup_stale_locks(tmp_path, max_age_hours=1)

    assert set(report) == {"count", "stale_locks", "kept", "errors"}
    assert report["count"] == 1
    assert [entry["lock_path"] for entry in report["stale_locks"]] == [str(sub / "old.lock")]
    assert report["errors"] == []
    assert not (sub / "old.lock").exists()
    assert (sub / "young.lock").exists()
    assert (tmp_path / "held.lock").exists() and is_file_locked(tmp_path / "held")


def test_cleanup_of_a_missing_directory_reports_an_error(tmp_path):
    report = cleanup_stale_locks(tmp_path / "missing", max_age_hours=1)
    assert report["count"] == 0
    assert len(report["errors"]) == 1
    assert str(tmp_path / "missing") in report["errors"][0]


@pytest.mark.parametrize("backend", ["exclusive", "lockfile", "lockdir"])
def test_helpers_find_a_holder_of_any_backend_without_being_told(tmp_path, hold, backend):
    target = tmp_path / "data.csv"
    child = hold(target, backend)
    for path in (target, tmp_path / "data.csv.lock"):
        assert is_file_locked(path)
        assert get_lock_holder_pid(path) == child.pid
        info = get_lock_info(path)
        assert info["locked"] is True and info["pid"] == child.pid
        assert info["process_running"] is True and info["stale"] is False
        assert info["backend"] == {"exclusive": "flock"}.get(backend, backend)
        assert not is_lock_stale(path, threshold_hours=0)
        assert 0 <= get_lock_age(path) < 3600
    old = time.time() - 3 * 3600  # an old lock whose holder lives is still not stale
    os.utime(tmp_path / "data.csv.lock", (old, old))
    assert not is_lock_stale(target, threshold_hours=1)
    assert not wait_for_lock_release(target, timeout=0.2)
    child.send("go")
    child.expect("released")
    assert not is_file_locked(target)
    assert get_lock_holder_pid(target) is None
    assert wait_for_lock_release(target, timeout=5)


@pytest.mark.parametrize("backend", ["lockfile", "lockdir"])
def test_a_dead_lock_file_holder_is_stale_and_holds_nothing(tmp_path, hold, backend):
    target = tmp_path / "data.csv"
    child = hold(target, backend)
    child.proc.send_signal(signal.SIGKILL)
    child.wait()
    assert (tmp_path / "data.csv.lock").exists()  # left behind by the crash
    assert not is_file_locked(target)
    assert get_lock_holder_pid(target) is None
    assert is_lock_stale(target, threshold_hours=1000)
    info = get_lock_info(target)
    assert info["locked"] is False and info["stale"] is True
    assert info["pid"] == child.pid and info["process_running"] is False


@pytest.mark.skipif(shutil.which("flock") is None, reason="util-linux flock(1) not installed")
def test_a_flock1_holder_without_a_record_is_never_stale(tmp_path):
    lock_file = tmp_path / "job.lock"
    holder = subprocess.Popen(["flock", str(lock_file), "-c", "echo ready; cat >/dev/null"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        old = time.time() - 3 * 3600
        os.utime(lock_file, (old, old))
        assert is_file_locked(lock_file)
        assert not is_lock_stale(lock_file, threshold_hours=1)
    finally:
        holder.stdin.close()
        holder.wait(30)
        holder.stdout.close()


def test_cleanup_stale_locks_removes_dead_legacy_locks_and_says_what_it_kept(tmp_path):
    # What the scripts filelock replaces leave: a bare pid, pid=/locked_at= lines, a
    # directory holding a pid file. A running `sleep` holds the live ones.
    live = subprocess.Popen(["sleep", "300"])
    dead = _dead_pid()
    try:
        def write(name, fmt, pid):
            lock = tmp_path / (name + ".lock")
            if fmt == "pid-directory":
                lock.mkdir()
                (lock / "pid").write_text(str(pid))
            elif fmt == "bare-pid":
                lock.write_text(str(pid))
            else:
                lock.write_text(f"pid={pid}\nlocked_at={time.time() - 60}\n")
            return lock

        formats = ("bare-pid", "pid-locked_at", "pid-directory")
        kept_locks = {write("live-" + fmt, fmt, live.pid): fmt for fmt in formats}
        gone = [write("dead-" + fmt, fmt, dead) for fmt in formats]

        report = cleanup_stale_locks(tmp_path, max_age_hours=0)

        assert report["errors"] == []
        assert sorted(entry["lock_path"] for entry in report["stale_locks"]) == \
            sorted(str(p) for p in gone)
        assert report["count"] == 3
        kept = {entry["lock_path"]: entry["reason"] for entry in report["kept"]}
        assert sorted(kept) == sorted(str(p) for p in kept_locks)
        for lock in kept_locks:
            assert f"pid {live.pid}" in kept[str(lock)]
            assert "legacy lock" in kept[str(lock)]
            assert lock.exists()
        assert not any(p.exists() for p in gone)
    finally:
        live.kill()
        live.wait()


@pytest.mark.parametrize("fmt", ["bare-pid", "pid-locked_at", "pid-directory"])
def test_helpers_judge_a_legacy_lock_by_its_pid(tmp_path, fmt):
    # The library's query finds a legacy lock at the lock name, file or directory: held
    # while its pid runs, stale (and holding nothing) once the pid names no process.
    live = subprocess.Popen(["sleep", "300"])
    try:
        for name, pid in (("live", live.pid), ("dead", _dead_pid())):
            lock = tmp_path / f"{name}.lock"
            if fmt == "pid-directory":
                lock.mkdir()
                (lock / "pid").write_text(str(pid))
            elif fmt == "bare-pid":
                lock.write_text(f"{pid}\n")
            else:
                lock.write_text(f"pid={pid}\nlocked_at={time.time() - 60}\n")
            alive = name == "live"
            for path in (tmp_path / name, lock):
                assert is_file_locked(path) is alive
                assert get_lock_holder_pid(path) == (pid if alive else None)
                assert is_lock_stale(path, threshold_hours=1000) is not alive
                info = get_lock_info(path)
                assert info["backend"] == "legacy"
                assert info["pid"] == pid and info["process_running"] is alive
                assert info["locked"] is alive and info["stale"] is not alive
        assert get_locked_files(tmp_path) == [tmp_path / "live.lock"]
    finally:
        live.kill()
        live.wait()


@pytest.mark.parametrize("backend", ["lockfile", "lockdir"])
def test_locked_files_are_the_live_holders_at_every_depth(tmp_path, hold, backend):
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    holder = hold(sub / "held", backend)
    dead = hold(tmp_path / "a" / "dead", backend)
    dead.proc.send_signal(signal.SIGKILL)
    dead.wait()
    assert get_locked_files(tmp_path) == [sub / "held.lock"]
    assert get_locked_files(tmp_path / "a", recursive=False) == []
    assert get_lock_holder_pid(sub / "held") == holder.pid
    assert get_lock_holder_pid(tmp_path / "a" / "dead") is None
