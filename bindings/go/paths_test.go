package filelock

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A path with a NUL byte would reach the C library cut at the NUL: every call that
// takes a path refuses it as os.OpenFile does, before anything is created.
func TestPathsWithANulAreRefused(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "report.csv")
	bad := good + "\x00-other"
	badDir := dir + "\x00-other"
	calls := map[string]func() error{
		"New":                    func() error { return New(bad).Lock() },
		"NewWithOptions.LockDir": func() error { return NewWithOptions(good, Options{LockDir: badDir}).Lock() },
		"WithWriteLock":          func() error { return WithWriteLock(bad, func() error { return nil }) },
		"WithReadLock":           func() error { return WithReadLock(bad, func() error { return nil }) },
		"Append":                 func() error { return Append(bad, 1) },
		"AppendWithOptions.LockDir": func() error {
			return AppendWithOptions(good, 1, AppendOptions{Lock: Options{LockDir: badDir}})
		},
		"Query":         func() error { _, err := Query(bad, Options{}); return err },
		"Query.LockDir": func() error { _, err := Query(good, Options{LockDir: badDir}); return err },
		"OpenState":     func() error { _, err := OpenState(bad, StateOptions{}); return err },
		"OpenState.MetaDir": func() error {
			_, err := OpenState(good, StateOptions{MetaDir: badDir})
			return err
		},
		"OpenState.Lock.LockDir": func() error {
			_, err := OpenState(good, StateOptions{Lock: Options{LockDir: badDir}})
			return err
		},
		"CleanStaleLocks":          func() error { _, err := CleanStaleLocks(badDir); return err },
		"CleanStaleLocksOlderThan": func() error { _, err := CleanStaleLocksOlderThan(badDir, 0); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			var pe *fs.PathError
			if !errors.As(err, &pe) || !errors.Is(err, syscall.EINVAL) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want an *fs.PathError wrapping EINVAL that matches ErrInvalid", err)
			}
			if pe.Path != bad && pe.Path != badDir {
				t.Fatalf("the error names %q, not the path given", pe.Path)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 0 {
				t.Fatalf("created %v under the cut name", entries[0].Name())
			}
		})
	}
}

func TestRestoreRefusesABackupIDWithANul(t *testing.T) {
	st, err := OpenState(filepath.Join(t.TempDir(), "s.json"), StateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Write(map[string]any{"n": 1}); err != nil {
		t.Fatal(err)
	}
	id, err := st.Backup()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Restore(id + "\x00-other"); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Restore: got %v, want EINVAL", err)
	}
}
