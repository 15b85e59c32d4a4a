package filelock

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// Fencing tokens and lost leases are etcd:// things (etcd_test.go): a file lock cannot
// pass to another holder while held, so it has no token and is never lost.
func TestAFileLockHasNoFencingTokenAndIsNeverLost(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	l := New(path)
	defer l.Close()
	if _, err := l.FencingToken(); !errors.Is(err, ErrNotLocked) {
		t.Fatalf("FencingToken before Lock: %v, want ErrNotLocked", err)
	}
	mustLock(t, l)
	token, err := l.FencingToken()
	var fe *Error
	if !errors.As(err, &fe) || fe.Code != CodeUnsupported || !errors.Is(err, ErrUnsupported) {
		t.Fatalf("FencingToken of a file lock: %d, %v; want CodeUnsupported", token, err)
	}
	if want := "fencing token '" + l.LockPath() + "'"; !strings.Contains(fe.Message, want) {
		t.Fatalf("message %q does not name %q", fe.Message, want)
	}
	if token != 0 {
		t.Fatalf("token %d with the error", token)
	}
	if l.Lost() {
		t.Fatal("a held file lock reports Lost")
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if l.Lost() {
		t.Fatal("an unlocked file lock reports Lost")
	}
}

// A file lock's LostContext ends only with its parent or its cancel; with nothing held
// it is done at once.
func TestLostContextOfAFileLockEndsOnlyWithItsParentOrCancel(t *testing.T) {
	l := New(filepath.Join(t.TempDir(), "data.json"))
	defer l.Close()
	ctx, cancel := l.LostContext(context.Background())
	<-ctx.Done()
	if err := ctx.Err(); !errors.Is(err, ErrNotLocked) || errors.Is(err, ErrLockLost) {
		t.Fatalf("LostContext with nothing held: %v, want ErrNotLocked", err)
	}
	cancel()

	mustLock(t, l)
	parent, cancelParent := context.WithCancel(context.Background())
	ctx, cancel = l.LostContext(parent)
	defer cancel()
	if ctx.Err() != nil || l.Lost() {
		t.Fatalf("a held file lock's LostContext: %v, Lost %v", ctx.Err(), l.Lost())
	}
	cancelParent()
	<-ctx.Done()
	if err := ctx.Err(); err != context.Canceled {
		t.Fatalf("after the parent's cancel: %v, want context.Canceled", err)
	}

	own, cancelOwn := l.LostContext(context.Background())
	cancelOwn()
	<-own.Done()
	if err := own.Err(); err != context.Canceled {
		t.Fatalf("after cancel: %v, want context.Canceled", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
}
