package filelock

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func tryLock(path string, t LockType) *Lock {
	return NewWithOptions(path, Options{Timeout: -1, LockType: t})
}

func mustLock(t *testing.T, l *Lock) {
	t.Helper()
	if err := l.Lock(); err != nil {
		t.Fatal(err)
	}
}

func TestExclusiveExcludesOtherLocksInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	a := New(path)
	defer a.Close()
	mustLock(t, a)
	if !a.Locked() {
		t.Fatal("Locked() is false while held")
	}

	b := tryLock(path, Exclusive)
	defer b.Close()
	err := b.Lock()
	if !errors.Is(err, ErrBusy) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("try-lock of a held lock: got %v, want ErrBusy (also ErrTimeout)", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Fatalf("message %q does not name %s", err, path)
	}
	if err := tryLock(path, Shared).Lock(); !errors.Is(err, ErrBusy) {
		t.Fatalf("shared try-lock against exclusive: got %v, want ErrBusy", err)
	}

	if err := a.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := b.Lock(); err != nil {
		t.Fatalf("lock after release: %v", err)
	}
}

func TestSharedLocksCoexistAndExcludeWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	r1, r2 := tryLock(path, Shared), tryLock(path, Shared)
	defer r1.Close()
	defer r2.Close()
	mustLock(t, r1)
	mustLock(t, r2)
	w := tryLock(path, Exclusive)
	defer w.Close()
	if err := w.Lock(); !errors.Is(err, ErrBusy) {
		t.Fatalf("exclusive against two readers: got %v, want ErrBusy", err)
	}
	r1.Unlock()
	r2.Unlock()
	mustLock(t, w)
}

func TestTimeoutWaitsThenFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	holder := New(path)
	defer holder.Close()
	mustLock(t, holder)

	w := NewWithOptions(path, Options{Timeout: 150 * time.Millisecond})
	defer w.Close()
	start := time.Now()
	err := w.Lock()
	waited := time.Since(start)
	if !errors.Is(err, ErrTimeout) || errors.Is(err, ErrBusy) {
		t.Fatalf("got %v, want ErrTimeout (not ErrBusy)", err)
	}
	if waited < 140*time.Millisecond || waited > 2*time.Second {
		t.Fatalf("timed out after %v, want about 150ms", waited)
	}
}

func TestAlreadyLockedAndNotLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	l := New(path)
	defer l.Close()
	if err := l.Unlock(); err != nil {
		t.Fatalf("unlock before lock: got %v, want nil (as gofrs/flock)", err)
	}
	mustLock(t, l)
	if err := l.Lock(); !errors.Is(err, ErrAlreadyLocked) {
		t.Fatalf("second Lock: got %v, want ErrAlreadyLocked", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatalf("second Unlock: got %v, want nil", err)
	}
}

// Zero timeout waits until the holder releases, and wakes at once when it does: the
// median wake-up over several rounds is far below any polling interval.
func TestZeroTimeoutWaitsAndWakesOnRelease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	holder := New(path)
	defer holder.Close()
	w := NewWithOptions(path, Options{Timeout: 0})
	defer w.Close()
	var wakes []time.Duration
	for round := 0; round < 7; round++ {
		mustLock(t, holder)
		acquired := make(chan time.Time, 1)
		go func() {
			if err := w.Lock(); err != nil {
				t.Error(err)
			}
			acquired <- time.Now()
		}()
		time.Sleep(50 * time.Millisecond)
		select {
		case <-acquired:
			t.Fatal("waiter acquired while the lock was held")
		default:
		}
		released := time.Now()
		holder.Unlock()
		select {
		case at := <-acquired:
			wakes = append(wakes, at.Sub(released))
		case <-time.After(5 * time.Second):
			t.Fatal("waiter never acquired")
		}
		w.Unlock()
	}
	sort.Slice(wakes, func(i, j int) bool { return wakes[i] < wakes[j] })
	median := wakes[len(wakes)/2]
	t.Logf("wake-up after release: median %v, max %v", median, wakes[len(wakes)-1])
	if median > 20*time.Millisecond {
		t.Fatalf("median wake-up %v after release; want a wake-up, not polling", median)
	}
}

func TestLockDirHoldsTheLockFile(t *testing.T) {
	dir := t.TempDir()
	lockDir := filepath.Join(dir, "locks")
	if err := os.Mkdir(lockDir, 0o755); err != nil {
		t.Fatal(err)
	}
	l := NewWithOptions(filepath.Join(dir, "data.json"), Options{LockDir: lockDir})
	defer l.Close()
	if l.LockPath() != "" {
		t.Fatalf("LockPath before Lock = %q, want empty", l.LockPath())
	}
	mustLock(t, l)
	if got := l.LockPath(); filepath.Dir(got) != lockDir {
		t.Fatalf("lock file %q is not in %s", got, lockDir)
	}
	if _, err := os.Stat(l.LockPath()); err != nil {
		t.Fatal(err)
	}
}

func TestCloseReleasesAndRefusesReuse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	l := New(path)
	mustLock(t, l)
	l.Close()
	if err := l.Lock(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Lock after Close: got %v, want ErrClosed", err)
	}
	other := tryLock(path, Exclusive)
	defer other.Close()
	mustLock(t, other)
}

func TestForgottenLockIsReleasedByFinalizer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	func() { mustLock(t, New(path)) }()
	other := tryLock(path, Exclusive)
	defer other.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		err := other.Lock()
		if err == nil {
			return
		}
		if !errors.Is(err, ErrBusy) || time.Now().After(deadline) {
			t.Fatalf("forgotten lock still held: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWithReadAndWriteLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	sentinel := errors.New("from fn")
	err := WithWriteLock(path, func() error {
		if err := tryLock(path, Shared).Lock(); !errors.Is(err, ErrBusy) {
			t.Errorf("inside WithWriteLock a reader got %v, want ErrBusy", err)
		}
		return sentinel
	})
	if err != sentinel {
		t.Fatalf("WithWriteLock returned %v, want fn's error unchanged", err)
	}
	err = WithReadLock(path, func() error {
		r := tryLock(path, Shared)
		defer r.Close()
		if err := r.Lock(); err != nil {
			t.Errorf("inside WithReadLock another reader got %v", err)
		}
		if err := tryLock(path, Exclusive).Lock(); !errors.Is(err, ErrBusy) {
			t.Errorf("inside WithReadLock a writer got %v, want ErrBusy", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w := tryLock(path, Exclusive)
	defer w.Close()
	mustLock(t, w) // both helpers released
}

// The seed's read-modify-write pattern: goroutines each with their own Lock never lose
// an increment.
func TestGoroutinesWithOwnLocksExcludeEachOther(t *testing.T) {
	path := filepath.Join(t.TempDir(), "counter")
	if err := os.WriteFile(path, []byte("0"), 0o644); err != nil {
		t.Fatal(err)
	}
	const goroutines, rounds = 8, 25
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				err := WithWriteLock(path, func() error {
					data, err := os.ReadFile(path)
					if err != nil {
						return err
					}
					n, _ := strconv.Atoi(string(data))
					runtime.Gosched()
					return os.WriteFile(path, []byte(strconv.Itoa(n+1)), 0o644)
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	data, _ := os.ReadFile(path)
	if string(data) != strconv.Itoa(goroutines*rounds) {
		t.Fatalf("counter = %s, want %d", data, goroutines*rounds)
	}
}

// One *Lock shared by goroutines: calls are serialised, and exactly one holds it.
func TestSharedLockValueIsSafeAcrossGoroutines(t *testing.T) {
	l := NewWithOptions(filepath.Join(t.TempDir(), "data.json"), Options{Timeout: -1})
	defer l.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := l.Lock()
			switch {
			case err == nil:
				mu.Lock()
				won++
				mu.Unlock()
			case !errors.Is(err, ErrAlreadyLocked):
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || !l.Locked() {
		t.Fatalf("%d goroutines acquired one Lock, want 1", won)
	}
}

func TestCloseEndsAWaitInProgress(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	holder := New(path)
	defer holder.Close()
	mustLock(t, holder)
	w := NewWithOptions(path, Options{Timeout: 0})
	done := make(chan error, 1)
	go func() { done <- w.Lock() }()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	w.Close()
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close took %v with a wait in progress", d)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("the waiting Lock returned %v, want ErrClosed", err)
	}
	if !holder.Locked() {
		t.Fatal("the holder lost its lock")
	}
}
