package filelock

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockExcludesOtherProcessAndSurvivesItsCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	h := startHelper(t, "hold", path, "exclusive")
	h.expectLine(t, "locked")

	l := tryLock(path, Exclusive)
	defer l.Close()
	if err := l.Lock(); !errors.Is(err, ErrBusy) {
		t.Fatalf("lock held by another process: got %v, want ErrBusy", err)
	}
	h.kill(t) // SIGKILL: the holder never unlocks; the kernel releases its lock
	if err := l.Lock(); err != nil {
		t.Fatalf("lock after the holder was killed: %v", err)
	}
}

func TestSharedLocksAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	h := startHelper(t, "hold", path, "shared")
	h.expectLine(t, "locked")
	r := tryLock(path, Shared)
	defer r.Close()
	if err := r.Lock(); err != nil {
		t.Fatalf("reader beside another process's reader: %v", err)
	}
	w := tryLock(path, Exclusive)
	defer w.Close()
	r.Unlock()
	if err := w.Lock(); !errors.Is(err, ErrBusy) {
		t.Fatalf("writer beside another process's reader: got %v, want ErrBusy", err)
	}
	h.release(t)
	if err := w.Lock(); err != nil {
		t.Fatal(err)
	}
}

func TestWaiterWakesWhenOtherProcessReleases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	h := startHelper(t, "hold", path, "exclusive")
	h.expectLine(t, "locked")
	w := NewWithOptions(path, Options{Timeout: 10 * time.Second})
	defer w.Close()
	done := make(chan time.Time, 1)
	go func() {
		if err := w.Lock(); err != nil {
			t.Error(err)
		}
		done <- time.Now()
	}()
	time.Sleep(200 * time.Millisecond)
	h.stdin.Close() // the holder unlocks and exits
	released := time.Now()
	select {
	case at := <-done:
		// Includes the helper's exit; a poller would add its interval on top.
		if d := at.Sub(released); d > 500*time.Millisecond {
			t.Fatalf("acquired %v after the release", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiter never acquired")
	}
}

func TestQueryNamesTheHolderProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	info, err := Query(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Locked || info.Holder != nil {
		t.Fatalf("unlocked path reported as %+v", info)
	}
	h := startHelper(t, "hold", path, "exclusive")
	h.expectLine(t, "locked")
	info, err = Query(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !info.Locked || info.Mode != "exclusive" || info.Holder == nil ||
		info.Holder.PID != h.cmd.Process.Pid || info.Holder.Owner != "go-helper" {
		t.Fatalf("held lock reported as %+v, want exclusive by go-helper, pid %d", info, h.cmd.Process.Pid)
	}
	if info.Alive == nil || !*info.Alive || info.LockPath != path+".lock" {
		t.Fatalf("held lock reported as %+v", info)
	}
	h.release(t)
	if info, err = Query(path, Options{}); err != nil || info.Locked {
		t.Fatalf("after release: %+v, %v", info, err)
	}
}

// The lock-file backend has no kernel lock: a waiter re-checks every RetryDelay, and
// a killed holder's lock is broken because its process is gone.
func TestLockFileBackendSurvivesHolderCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	h := startHelper(t, "hold", path, "lockfile")
	h.expectLine(t, "locked")
	opts := Options{Backend: BackendLockFile, Timeout: -1}
	l := NewWithOptions(path, opts)
	defer l.Close()
	if err := l.Lock(); !errors.Is(err, ErrBusy) {
		t.Fatalf("lock-file lock held by another process: got %v, want ErrBusy", err)
	}
	h.kill(t)
	w := NewWithOptions(path, Options{Backend: BackendLockFile, Timeout: 5 * time.Second, RetryDelay: 10 * time.Millisecond})
	defer w.Close()
	start := time.Now()
	if err := w.Lock(); err != nil {
		t.Fatalf("lock after the lock-file holder was killed: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v to break a dead holder's lock", d)
	}
	opts.LockType = Shared
	err := NewWithOptions(filepath.Join(t.TempDir(), "other.json"), opts).Lock()
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "exclusive") {
		t.Fatalf("shared lock on the lock-file backend: got %v, want ErrUnsupported", err)
	}
}
