package filelock

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

type waitResult struct {
	generation uint64
	err        error
}

func waitInBackground(ctx context.Context, st *State, after uint64) <-chan waitResult {
	out := make(chan waitResult, 1)
	go func() {
		g, err := st.WaitForChange(ctx, after)
		out <- waitResult{g, err}
	}()
	return out
}

func TestWaitForChangeWokenByAnotherProcessCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "watched.json")
	st, err := OpenState(path, StateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, before, err := st.ReadRaw()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	waited := waitInBackground(ctx, st, before)
	h := startHelper(t, "increment", path, "1")
	h.expectLine(t, "ok")
	r := <-waited
	if r.err != nil || r.generation != before+1 {
		t.Fatalf("WaitForChange = %d, %v; want %d, nil", r.generation, r.err, before+1)
	}
	// Already past: at once.
	if g, err := st.WaitForChange(context.Background(), before); err != nil || g != before+1 {
		t.Fatalf("WaitForChange past = %d, %v", g, err)
	}
}

func TestWaitForChangeContextCancelLeavesOtherWaitsAndTheStateUsable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "watched.json")
	st, err := OpenState(path, StateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, g, _ := st.ReadRaw()
	other := waitInBackground(context.Background(), st, g)
	ctx, cancel := context.WithCancel(context.Background())
	canceled := waitInBackground(ctx, st, g)
	cancel()
	r := <-canceled
	if !errors.Is(r.err, context.Canceled) || !errors.Is(r.err, ErrCanceled) {
		t.Fatalf("canceled wait: %v, want context.Canceled", r.err)
	}
	// The cancel ended only the canceled context's wait: the other one is still there
	// and a commit on the same State wakes it.
	if err := st.Write(map[string]any{"n": 1}); err != nil {
		t.Fatal(err)
	}
	if r := <-other; r.err != nil || r.generation != g+1 {
		t.Fatalf("other wait = %d, %v", r.generation, r.err)
	}
	// A deadline ends a wait too.
	short, stop := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer stop()
	if _, err := st.WaitForChange(short, g+1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: %v", err)
	}
}

func TestCloseEndsWaitForChange(t *testing.T) {
	st, err := OpenState(filepath.Join(t.TempDir(), "watched.json"), StateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, g, _ := st.ReadRaw()
	waited := waitInBackground(context.Background(), st, g)
	// Close either ends the wait in progress or comes before it begins: ErrClosed both ways.
	st.Close()
	if r := <-waited; !errors.Is(r.err, ErrClosed) {
		t.Fatalf("wait after Close: %v, want ErrClosed", r.err)
	}
}
