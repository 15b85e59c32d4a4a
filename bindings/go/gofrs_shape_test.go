package filelock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// gofrs/flock's calls on one object: try, shared, conversion, the Context forms.
func TestGofrsShape(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	a := NewWithOptions(path, Options{Timeout: -1})
	b := NewWithOptions(path, Options{Timeout: -1})
	defer a.Close()
	defer b.Close()

	if ok, err := a.TryRLock(); !ok || err != nil || !a.RLocked() || a.Locked() {
		t.Fatalf("TryRLock: %v %v (RLocked %v Locked %v)", ok, err, a.RLocked(), a.Locked())
	}
	if ok, err := b.TryRLock(); !ok || err != nil {
		t.Fatalf("a second shared holder: %v %v", ok, err)
	}
	if ok, err := b.TryLock(); ok || err != nil {
		t.Fatalf("TryLock beside a shared holder: %v %v, want false, nil", ok, err)
	}
	if b.Locked() || b.RLocked() {
		t.Fatal("a failed conversion leaves b holding nothing")
	}
	// Shared -> exclusive once the other shared holder is gone.
	if ok, err := a.TryLock(); !ok || err != nil || !a.Locked() || a.RLocked() {
		t.Fatalf("convert to exclusive: %v %v", ok, err)
	}
	if ok, err := b.TryRLock(); ok || err != nil {
		t.Fatalf("TryRLock beside an exclusive holder: %v %v", ok, err)
	}
	// Exclusive -> shared.
	if err := a.RLock(); err != nil || !a.RLocked() {
		t.Fatalf("convert to shared: %v", err)
	}
	if ok, err := b.TryRLock(); !ok || err != nil {
		t.Fatalf("shared beside converted shared: %v %v", ok, err)
	}
	if err := b.Unlock(); err != nil {
		t.Fatal(err)
	}

	// TryLockContext waits for the release (woken, not polled) or for ctx.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if ok, err := b.TryLockContext(ctx, time.Second); ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("TryLockContext while held: %v %v", ok, err)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		a.Unlock()
	}()
	start := time.Now()
	if ok, err := b.TryLockContext(context.Background(), time.Hour); !ok || err != nil {
		t.Fatalf("TryLockContext after release: %v %v", ok, err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("woke %v after the release", waited)
	}
	b.Unlock()
	if ok, err := b.TryRLockContext(context.Background(), 0); !ok || err != nil {
		t.Fatalf("TryRLockContext when free: %v %v", ok, err)
	}
}

func openDescriptors(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(entries)
}

// Seed 003's pattern, New + Lock + defer Unlock and never Close: no descriptor per call.
func TestLockWithoutCloseKeepsNoDescriptor(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts /proc/self/fd")
	}
	path := filepath.Join(t.TempDir(), "data.json")
	once := func() {
		l := New(path)
		if err := l.Lock(); err != nil {
			t.Fatal(err)
		}
		defer l.Unlock()
	}
	once()
	before := openDescriptors(t)
	for i := 0; i < 2000; i++ {
		once()
	}
	if after := openDescriptors(t); after > before+2 {
		t.Fatalf("%d descriptors open after 2000 calls, %d before", after, before)
	}
	// Many paths: the pool of released handles stays bounded.
	dir := t.TempDir()
	for i := 0; i < 500; i++ {
		l := New(filepath.Join(dir, strings.Repeat("p", 1+i%7)+string(rune('a'+i%26))+".json"))
		if err := l.Lock(); err != nil {
			t.Fatal(err)
		}
		l.Unlock()
	}
	if after := openDescriptors(t); after > before+maxIdle+2 {
		t.Fatalf("%d descriptors open after 500 paths, %d before", after, before)
	}
}

// Close leaves no descriptor on the lock file, pooled ones included: on Windows an open
// handle keeps a deleted file listed, and the folder could not be removed.
func TestCloseLeavesNoDescriptorOnTheLockFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/fd")
	}
	path := filepath.Join(t.TempDir(), "data.json")
	a, b := New(path), New(path)
	for _, l := range []*Lock{a, b} {
		if err := l.Lock(); err != nil {
			t.Fatal(err)
		}
		l.Unlock()
	}
	a.Close()
	b.Close()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	for _, e := range entries {
		if target, _ := os.Readlink("/proc/self/fd/" + e.Name()); target == path+".lock" {
			t.Fatalf("descriptor %s still open on %s", e.Name(), target)
		}
	}
}

// Under a descriptor limit of 128 the seed's pattern runs on for 3000 calls (before,
// every call kept one descriptor until the garbage collector ran Close).
func TestLockWithoutCloseUnderDescriptorLimit(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no descriptor limit to lower on Windows")
	}
	h := startHelper(t, "lockloop", filepath.Join(t.TempDir(), "x.json"), "3000")
	h.stdin.Close()
	h.expectLine(t, "done")
}
