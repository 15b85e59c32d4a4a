package filelock

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"filelock.dev/filelock/internal/native"
)

// Every waiting State call, given a context that is canceled while another process
// holds the state's lock, returns within ~100 ms with an error matching
// context.Canceled, changes nothing, and leaves the State usable.
func TestStateContextCancelEndsLockWaitPromptly(t *testing.T) {
	calls := map[string]func(ctx context.Context, st *State) error{
		"ReadContext": func(ctx context.Context, st *State) error {
			var doc map[string]any
			return st.ReadContext(ctx, &doc)
		},
		"WriteContext": func(ctx context.Context, st *State) error {
			return st.WriteContext(ctx, map[string]any{"n": "lost"})
		},
		"WriteIfContext": func(ctx context.Context, st *State) error {
			return st.WriteIfContext(ctx, map[string]any{"n": "lost"}, 1)
		},
		"UpdateContext": func(ctx context.Context, st *State) error {
			return st.UpdateContext(ctx, func(doc map[string]any) error {
				doc["n"] = "lost"
				return nil
			})
		},
		"BeginContext": func(ctx context.Context, st *State) error {
			txn, err := st.BeginContext(ctx)
			if err == nil {
				txn.Rollback()
			}
			return err
		},
		"BackupContext": func(ctx context.Context, st *State) error {
			_, err := st.BackupContext(ctx)
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "pipeline.json")
			st, err := OpenState(path, StateOptions{Initial: map[string]any{"n": 1}, LockTimeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			h := startHelper(t, "hold", path, "exclusive") // holds <path>.lock, the state's lock
			h.expectLine(t, "locked")

			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- call(ctx, st) }()
			time.Sleep(150 * time.Millisecond) // now blocked in the native wait
			canceledAt := time.Now()
			cancel()
			select {
			case err := <-done:
				d := time.Since(canceledAt)
				t.Logf("%s returned %v after cancel", name, d)
				if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrCanceled) {
					t.Fatalf("got %v, want an error matching context.Canceled", err)
				}
				if !strings.Contains(err.Error(), path) {
					t.Errorf("error %q does not name the path", err)
				}
				if d > 100*time.Millisecond+schedulingAllowance {
					t.Fatalf("returned %v after cancel", d)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("did not return after cancel")
			}
			if raw, _ := os.ReadFile(path); strings.Contains(string(raw), "lost") {
				t.Fatalf("a canceled call changed the file: %s", raw)
			}

			h.release(t)
			if err := st.Update(incrementCount); err != nil {
				t.Fatalf("state after a canceled wait: %v", err)
			}
			var doc map[string]any
			if err := st.Read(&doc); err != nil || doc["count"] != float64(1) {
				t.Fatalf("read after a canceled wait: %v %v", doc, err)
			}
		})
	}
}

// A scheduling allowance for a loaded 2-core machine.
const schedulingAllowance = 150 * time.Millisecond

func TestStateContextDeadlineWrapsDeadlineExceeded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipeline.json")
	st, err := OpenState(path, StateOptions{LockTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := startHelper(t, "hold", path, "exclusive")
	h.expectLine(t, "locked")
	defer h.release(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err = st.ReadRawContext(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.DeadlineExceeded only", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("returned after %v, want about 100ms", d)
	}
}

// A context already done fails at once, even when the lock is free.
func TestStateContextAlreadyCanceled(t *testing.T) {
	st := openTestState(t, StateOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := st.WriteContext(ctx, map[string]any{"a": 1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if err := st.Write(map[string]any{"a": 1}); err != nil {
		t.Fatal(err)
	}
}

// A goroutine waiting for another goroutine's transaction on the same State also
// gives up when its context is done.
func TestStateContextCancelWhileAnotherGoroutineHoldsTheState(t *testing.T) {
	st := openTestState(t, StateOptions{})
	txn, err := st.Begin()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := st.ReadRawContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	txn.Rollback()
	if _, _, err := st.ReadRaw(); err != nil {
		t.Fatal(err)
	}
}

// A cancel that lands after the native call took the lock reaches nothing: it
// triggers that call's own token, so the same handle's next calls go on (no handle is
// rebuilt).
func TestStateCancelRacingTheCallLeavesNoRequestBehind(t *testing.T) {
	st := openTestState(t, StateOptions{})
	handle := st.handle
	ctx, cancel := context.WithCancel(context.Background())
	if err := st.use(ctx, "test", func() error {
		return st.wait(ctx, "test", func(h native.Fl_state, w native.Fl_wait_opts) *native.Status {
			var out string
			var gen uint64
			status := native.Fl_state_read_with(h, &out, &gen, w) // takes and releases the lock
			cancel()
			time.Sleep(50 * time.Millisecond) // the cancel lands now, after the wait
			return status
		})
	}); err != nil {
		t.Fatalf("a call that completed reports %v", err)
	}
	if st.handle != handle {
		t.Fatal("the handle was replaced after a late cancel")
	}
	for i := 0; i < 2; i++ {
		if _, _, err := st.ReadRaw(); err != nil {
			t.Fatalf("read %d after the late cancel: %v", i, err)
		}
	}
	// A wait of the same handle runs its course: it times out, it is not canceled.
	holder, err := OpenState(st.Path(), StateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	txn, err := holder.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Rollback()
	shortly, stop := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer stop()
	_, _, err = st.ReadRawContext(shortly)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read while held: %v, want context.DeadlineExceeded", err)
	}
	if st.handle != handle {
		t.Fatal("the handle was replaced after a canceled wait")
	}
}

// Numbers stored by another language that a float64 cannot hold arrive in maps as
// json.Number and are written back byte for byte.
func TestReadAndWriteBackKeepsExactNumbers(t *testing.T) {
	const stored = `{"huge":1e400,"big":12345678901234567890123,"tiny":-2.5E-400,"close":0.30000000000000001,"plain":0.5}`
	st := openTestState(t, StateOptions{})
	if err := st.Write(json.RawMessage(stored)); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := st.Read(&doc); err != nil {
		t.Fatal(err)
	}
	if n, ok := doc["huge"].(json.Number); !ok || n.String() != "1e400" {
		t.Fatalf("huge arrived as %T %v", doc["huge"], doc["huge"])
	}
	if n, ok := doc["big"].(json.Number); !ok || n.String() != "12345678901234567890123" {
		t.Fatalf("big arrived as %T %v", doc["big"], doc["big"])
	}
	if doc["plain"] != 0.5 {
		t.Fatalf("plain arrived as %T %v", doc["plain"], doc["plain"])
	}
	if err := st.Write(doc); err != nil {
		t.Fatal(err)
	}
	var anyDoc any
	if err := st.Read(&anyDoc); err != nil {
		t.Fatal(err)
	}
	if err := st.Write(anyDoc); err != nil {
		t.Fatal(err)
	}
	raw, _, err := st.ReadRaw()
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"huge": "1e400", "big": "12345678901234567890123",
		"tiny": "-2.5E-400", "close": "0.30000000000000001"} {
		member := regexp.MustCompile(`"` + key + `":\s*` + regexp.QuoteMeta(want) + `[,\s}]`)
		if !member.Match(raw) {
			t.Errorf("written back as %s: lost %s", raw, want)
		}
	}
	txn, err := st.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Rollback()
	var huge any
	if err := txn.Get("/huge", &huge); err != nil || huge != json.Number("1e400") {
		t.Fatalf("Txn.Get: %T %v %v", huge, huge, err)
	}
}
