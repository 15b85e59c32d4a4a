package filelock

import (
	"context"
	"errors"
	"math/rand"
	"path/filepath"
	"testing"
	"time"
)

func TestLockContextCancelEndsWaitPromptly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	holder := New(path)
	defer holder.Close()
	mustLock(t, holder)

	w := NewWithOptions(path, Options{Timeout: 0})
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
		d := time.Since(canceledAt)
		t.Logf("LockContext returned %v after cancel", d)
		if d > 200*time.Millisecond {
			t.Fatalf("returned %v after cancel", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("LockContext did not return after cancel")
	}
	if w.Locked() {
		t.Fatal("canceled waiter holds the lock")
	}

	// The cancel request was consumed: the same Lock waits and acquires normally.
	holder.Unlock()
	if err := w.LockContext(context.Background()); err != nil {
		t.Fatalf("lock after a canceled wait: %v", err)
	}
}

func TestLockContextDeadline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	holder := New(path)
	defer holder.Close()
	mustLock(t, holder)
	w := NewWithOptions(path, Options{Timeout: 0})
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := w.LockContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("returned after %v, want about 100ms", d)
	}
}

func TestLockContextAlreadyCanceledDoesNotLock(t *testing.T) {
	w := New(filepath.Join(t.TempDir(), "data.json"))
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.LockContext(ctx); !errors.Is(err, context.Canceled) || w.Locked() {
		t.Fatalf("got %v (locked %v), want context.Canceled and not locked", err, w.Locked())
	}
	mustLock(t, w)
}

// A timeout that ends the wait just as ctx is canceled must not leave a cancel request
// behind that spoils the next Lock.
func TestLockContextTimeoutRacingCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	holder := New(path)
	defer holder.Close()
	mustLock(t, holder)
	w := NewWithOptions(path, Options{Timeout: 20 * time.Millisecond})
	defer w.Close()
	for i := 0; i < 30; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Duration(15+i%10)*time.Millisecond, cancel)
		err := w.LockContext(ctx)
		if !errors.Is(err, ErrTimeout) && !errors.Is(err, context.Canceled) {
			t.Fatalf("round %d: got %v", i, err)
		}
		cancel()
	}
	holder.Unlock()
	if err := w.Lock(); err != nil {
		t.Fatalf("lock after the races: %v", err)
	}
}

// Cancel at random moments while the holder releases: whatever LockContext returns,
// the Lock's state must agree with it, and it must stay usable.
func TestLockContextAcquireRacingCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	holder := NewWithOptions(path, Options{Timeout: 0})
	defer holder.Close()
	w := NewWithOptions(path, Options{Timeout: 0})
	defer w.Close()
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 40; i++ {
		mustLock(t, holder)
		ctx, cancel := context.WithCancel(context.Background())
		delay := time.Duration(rng.Intn(3000)) * time.Microsecond
		time.AfterFunc(delay, cancel)
		time.AfterFunc(delay, func() { holder.Unlock() })
		err := w.LockContext(ctx)
		switch {
		case err == nil:
			if !w.Locked() {
				t.Fatalf("round %d: nil error but not locked", i)
			}
			w.Unlock()
		case errors.Is(err, context.Canceled):
			if w.Locked() {
				t.Fatalf("round %d: canceled but still locked", i)
			}
		default:
			t.Fatalf("round %d: %v", i, err)
		}
		cancel()
		for holder.Locked() {
			time.Sleep(time.Millisecond)
		}
	}
}
