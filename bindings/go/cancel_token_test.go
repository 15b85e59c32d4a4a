package filelock

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"filelock.dev/filelock/internal/native"
)

// The library's own wait (the LOCKFILE backend never waits in the goroutine's flock):
// ctx ends it through the call's cancel token, promptly, and the Lock goes on.
func TestLockContextCancelEndsNativeWaitPromptly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	opts := Options{Backend: BackendLockFile}
	holder := NewWithOptions(path, opts)
	defer holder.Close()
	mustLock(t, holder)
	w := NewWithOptions(path, opts)
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.LockContext(ctx) }()
	time.Sleep(100 * time.Millisecond)
	canceledAt := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		if d := time.Since(canceledAt); d > time.Second {
			t.Fatalf("returned %v after cancel", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("LockContext did not return after cancel")
	}
	if w.Locked() {
		t.Fatal("canceled waiter holds the lock")
	}
	// Still held: the next wait runs its course (a timeout, not a cancel).
	shortly, stop := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer stop()
	if err := w.LockContext(shortly); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait while held: %v, want context.DeadlineExceeded", err)
	}
	holder.Unlock()
	if err := w.LockContext(context.Background()); err != nil {
		t.Fatalf("lock after a canceled wait: %v", err)
	}
}

// A ctx done after the native call returned triggers only that call's token: the same
// handle's next call is not canceled (with fl_cancel it would be, until a call took
// the request).
func TestLockLateCancelDoesNotReachTheNextCall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	l := NewWithOptions(path, Options{Backend: BackendLockFile})
	defer l.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.openLocked(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := startCallWait(ctx, int64(native.FL_FOREVER))
	if st := native.Fl_lock_with(l.handle, Exclusive.mode(), c.opts); st != nil {
		t.Fatal(st.Message)
	}
	cancel()
	time.Sleep(50 * time.Millisecond) // the token is triggered now, after the call
	if !c.end() {
		t.Fatal("the token was not triggered")
	}
	if st := native.Fl_unlock(l.handle); st != nil {
		t.Fatal(st.Message)
	}
	for i := 0; i < 2; i++ {
		if st := native.Fl_lock(l.handle, Exclusive.mode(), int64(native.FL_NOWAIT)); st != nil {
			t.Fatalf("lock %d after the late cancel: %s", i, st.Message)
		}
		native.Fl_unlock(l.handle)
	}
	l.idleLocked()
}
