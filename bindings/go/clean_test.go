package filelock

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func TestCleanStaleLocksRemovesUnheldKeepsHeld(t *testing.T) {
	dir := t.TempDir()
	lockDir := filepath.Join(dir, "locks")
	if err := os.Mkdir(lockDir, 0o755); err != nil {
		t.Fatal(err)
	}
	held := NewWithOptions(filepath.Join(dir, "held.json"), Options{LockDir: lockDir})
	defer held.Close()
	mustLock(t, held)

	// A process that held a lock and was killed leaves its lock file ("<path>.lock").
	h := startHelper(t, "hold", filepath.Join(dir, "crashed.json"), "exclusive")
	h.expectLine(t, "locked")
	h.kill(t)
	n, err := CleanStaleLocks(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("removed %d lock files, want the dead process's", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "crashed.json.lock")); !os.IsNotExist(err) {
		t.Fatalf("the dead process's lock file is still there: %v", err)
	}
	if n, err = CleanStaleLocks(lockDir); err != nil || n != 0 {
		t.Fatalf("cleaning the held lock's directory removed %d (%v), want 0", n, err)
	}
	if _, err := os.Stat(held.LockPath()); err != nil {
		t.Fatalf("held lock file removed: %v", err)
	}
	if _, err := CleanStaleLocks(filepath.Join(dir, "missing")); err == nil || !containsAll(err.Error(), "missing") {
		t.Fatalf("clean of a missing directory: %v", err)
	}
}

func TestCleanStaleLocksOlderThanKeepsRecentLocks(t *testing.T) {
	dir := t.TempDir()
	l := New(filepath.Join(dir, "recent.json"))
	mustLock(t, l)
	lockPath := l.LockPath()
	l.Close() // unheld, but just used

	report, err := CleanStaleLocksOlderThan(dir, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if report.Dir != dir || len(report.Removed) != 0 || len(report.Kept) != 1 {
		t.Fatalf("report %+v, want the recent lock kept", report)
	}
	report, err = CleanStaleLocksOlderThan(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Removed) != 1 || report.Removed[0].LockPath != lockPath || report.Removed[0].Reason == "" {
		t.Fatalf("report %+v, want %s removed with a reason", report, lockPath)
	}
}

func TestVersion(t *testing.T) {
	if v := Version(); !strings.HasPrefix(v, "1.") {
		t.Fatalf("Version() = %q, want 1.x", v)
	}
}
