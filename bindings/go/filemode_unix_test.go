//go:build !windows

package filelock

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Options.FileMode sets the permissions of the lock file a Lock creates; an existing
// lock file keeps its own, and a mode with bits beyond the permissions is refused.
func TestFileModeOfCreatedLockFile(t *testing.T) {
	old := syscall.Umask(022)
	defer syscall.Umask(old)
	dir := t.TempDir()

	perm := func(p string) fs.FileMode {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return st.Mode()
	}
	for _, c := range []struct {
		mode, want fs.FileMode
	}{{0, 0o644}, {0o600, 0o600}, {0o666, 0o644}, {0o640 | fs.ModeSetgid, 0o640 | fs.ModeSetgid}} {
		path := filepath.Join(dir, "m"+c.mode.String()+".json")
		l := NewWithOptions(path, Options{Timeout: -1, FileMode: c.mode})
		if err := l.Lock(); err != nil {
			t.Fatalf("mode %v: %v", c.mode, err)
		}
		if got := perm(l.LockPath()); got != c.want {
			t.Errorf("FileMode %v: lock file mode %v, want %v", c.mode, got, c.want)
		}
		l.Close()
	}

	// An existing lock file is not chmodded.
	path := filepath.Join(dir, "existing")
	if err := os.WriteFile(path, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	l := NewWithOptions(path, Options{Timeout: -1, NoSidecar: true, FileMode: 0o600})
	if err := l.Lock(); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if got := perm(path); got != 0o640 {
		t.Errorf("existing file's mode changed to %v", got)
	}

	bad := NewWithOptions(filepath.Join(dir, "bad"), Options{Timeout: -1, FileMode: fs.ModeDir | 0o600})
	defer bad.Close()
	if err := bad.Lock(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("FileMode with ModeDir: %v, want ErrInvalid", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.lock")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a refused Lock created its lock file: %v", err)
	}
}
