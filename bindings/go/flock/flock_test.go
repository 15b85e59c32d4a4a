//go:build !windows

package flock

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// gofrs/flock's exported API, as a program written against it calls it.
var (
	_ func(string, ...Option) *Flock = New
	_ func(string) *Flock            = NewFlock
	_ func(int) Option               = SetFlag
	_ func(os.FileMode) Option       = SetPermissions
	_ interface {
		Close() error
		Lock() error
		Locked() bool
		Path() string
		RLock() error
		RLocked() bool
		String() string
		TryLock() (bool, error)
		TryLockContext(context.Context, time.Duration) (bool, error)
		TryRLock() (bool, error)
		TryRLockContext(context.Context, time.Duration) (bool, error)
		Unlock() error
	} = (*Flock)(nil)
)

// rawFlock takes flock(2) on path through a descriptor of its own, as gofrs/flock,
// flock(1) and py-filelock do.
func rawFlock(t *testing.T, path string, how int) (*os.File, error) {
	t.Helper()
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_RDONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(fh.Fd()), how|syscall.LOCK_NB); err != nil {
		fh.Close()
		return nil, err
	}
	return fh, nil
}

func TestLocksThePathItselfAgainstOtherFlockUsers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "job.pid")
	if err := os.WriteFile(path, []byte("1234\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := New(path)
	if err := f.Lock(); err != nil {
		t.Fatal(err)
	}
	if _, err := rawFlock(t, path, syscall.LOCK_SH); !errors.Is(err, syscall.EWOULDBLOCK) {
		t.Fatalf("raw flock beside Lock: %v, want EWOULDBLOCK", err)
	}
	if _, err := os.Stat(path + ".lock"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a sidecar lock file appeared: %v", err)
	}
	if err := f.Unlock(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "1234\n" {
		t.Fatalf("the locked file's contents changed: %q", data)
	}

	// The other way: a raw holder keeps TryLock out and Lock waiting until it lets go.
	raw, err := rawFlock(t, path, syscall.LOCK_EX)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := f.TryLock(); ok || err != nil {
		t.Fatalf("TryLock beside a raw holder: %v %v, want false, nil", ok, err)
	}
	if ok, err := f.TryRLock(); ok || err != nil {
		t.Fatalf("TryRLock beside a raw holder: %v %v, want false, nil", ok, err)
	}
	got := make(chan error, 1)
	go func() { got <- f.Lock() }()
	select {
	case err := <-got:
		t.Fatalf("Lock returned while the raw holder held: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	raw.Close()
	select {
	case err := <-got:
		if err != nil || !f.Locked() {
			t.Fatalf("Lock after the release: %v (Locked %v)", err, f.Locked())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Lock still waiting 5 s after the raw holder let go")
	}
	f.Close()
}

// As with gofrs/flock: locking again is a no-op, the other mode converts, Close is Unlock
// and the Flock locks again after it.
func TestHoldsAsGofrsDoes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data")
	f := New(path)
	if f.Path() != path || f.String() != path {
		t.Fatalf("Path %q String %q", f.Path(), f.String())
	}
	if err := f.Unlock(); err != nil {
		t.Fatalf("Unlock of a lock never taken: %v", err)
	}
	if err := f.Lock(); err != nil {
		t.Fatal(err)
	}
	if err := f.Lock(); err != nil {
		t.Fatalf("Lock while held: %v, want nil", err)
	}
	if ok, err := f.TryLock(); !ok || err != nil {
		t.Fatalf("TryLock while held: %v %v", ok, err)
	}
	if err := f.RLock(); err != nil || !f.RLocked() || f.Locked() {
		t.Fatalf("RLock while exclusive: %v (RLocked %v Locked %v)", err, f.RLocked(), f.Locked())
	}
	if _, err := rawFlock(t, path, syscall.LOCK_SH); err != nil {
		t.Fatalf("a shared holder beside the converted lock: %v", err)
	}
	if err := f.Close(); err != nil || f.RLocked() {
		t.Fatalf("Close: %v (RLocked %v)", err, f.RLocked())
	}
	if ok, err := f.TryRLock(); !ok || err != nil {
		t.Fatalf("TryRLock after Close: %v %v", ok, err)
	}
	f.Close()
}

func TestOSErrorsAreThoseOfPackageOS(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-dir", "x.lock")
	check := func(what string, err error, path string) {
		t.Helper()
		if !os.IsNotExist(err) || !errors.Is(err, syscall.ENOENT) || !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s: %v (%T), want an error os.IsNotExist accepts", what, err, err)
		}
		var pe *fs.PathError
		if !errors.As(err, &pe) || pe.Path != path {
			t.Fatalf("%s: %#v, want an *fs.PathError naming %s", what, err, path)
		}
	}
	f := New(missing)
	check("Lock", f.Lock(), missing)
	ok, err := f.TryLock()
	if ok {
		t.Fatal("TryLock took a lock in a missing folder")
	}
	check("TryLock", err, missing)
	_, err = f.TryRLockContext(context.Background(), time.Millisecond)
	check("TryRLockContext", err, missing)

	// Without O_CREATE a missing file is an error, and no file appears.
	absent := filepath.Join(dir, "absent")
	g := New(absent, SetFlag(os.O_RDONLY))
	check("SetFlag(O_RDONLY) on a missing file", g.Lock(), absent)
	if _, err := os.Stat(absent); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the refused Lock created the file: %v", err)
	}

	if os.Geteuid() != 0 {
		closed := filepath.Join(dir, "closed")
		if err := os.Mkdir(closed, 0o500); err != nil {
			t.Fatal(err)
		}
		if err := New(filepath.Join(closed, "x")).Lock(); !os.IsPermission(err) {
			t.Fatalf("Lock in a read-only folder: %v, want an error os.IsPermission accepts", err)
		}
	}
}

func TestTryLockContextGivesTheContextsError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data")
	raw, err := rawFlock(t, path, syscall.LOCK_EX)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	f := New(path)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if ok, err := f.TryLockContext(ctx, time.Second); ok || err != context.DeadlineExceeded {
		t.Fatalf("TryLockContext past its deadline: %v %v, want false, context.DeadlineExceeded", ok, err)
	}
	raw.Close()
	done, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	if ok, err := f.TryRLockContext(done, time.Second); ok || err != context.Canceled {
		t.Fatalf("TryRLockContext with a done context: %v %v, want false, context.Canceled", ok, err)
	}
	if ok, err := f.TryLockContext(context.Background(), time.Hour); !ok || err != nil {
		t.Fatalf("TryLockContext on a free file: %v %v", ok, err)
	}
	f.Unlock()
}

func TestSetPermissionsModeOfTheCreatedFile(t *testing.T) {
	old := syscall.Umask(022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	for _, c := range []struct {
		opts []Option
		want fs.FileMode
	}{{nil, 0o600}, {[]Option{SetPermissions(0o640)}, 0o640}} {
		path := filepath.Join(dir, c.want.String())
		f := New(path, c.opts...)
		if err := f.Lock(); err != nil {
			t.Fatal(err)
		}
		f.Unlock()
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != c.want {
			t.Fatalf("created file: %v %v, want mode %v", st.Mode(), err, c.want)
		}
	}
}
