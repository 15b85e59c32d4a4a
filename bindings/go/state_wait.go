package filelock

import (
	"context"
	"sync"
	"sync/atomic"

	"filelock.dev/filelock/internal/native"
)

// stateWatch is the native handle WaitForChange calls share: a wait may last for hours,
// so it does not take the State's own handle away from the other calls. fl_state_wait
// lets several threads wait on one handle; a cancel ends all of them, and each one
// whose own context is not done waits again.
type stateWatch struct {
	mu     sync.RWMutex // read: a wait in progress; write: opening or closing the handle
	handle native.Fl_state
	closed atomic.Bool
}

// enter returns the handle (opened by the first wait) with a read hold on it.
func (w *stateWatch) enter(s *State, op string) (native.Fl_state, error) {
	w.mu.RLock()
	if w.handle == nil {
		w.mu.RUnlock()
		w.mu.Lock()
		if w.handle == nil && !w.closed.Load() {
			h, err := openNative(s.path, s.opts)
			if err != nil {
				w.mu.Unlock()
				return nil, err
			}
			w.handle = h
		}
		w.mu.Unlock()
		w.mu.RLock()
	}
	if w.closed.Load() || w.handle == nil {
		w.mu.RUnlock()
		return nil, goError(CodeInvalid, op, s.path, ErrClosed)
	}
	return w.handle, nil
}

// close ends the waits in progress and closes the handle once they have returned. A
// wait entering meanwhile finds closed set, or the cancel request kept for it.
func (w *stateWatch) close() {
	w.closed.Store(true)
	w.mu.RLock()
	if w.handle != nil {
		native.Fl_state_cancel(w.handle)
	}
	w.mu.RUnlock()
	w.mu.Lock()
	if w.handle != nil {
		native.Fl_state_close(w.handle)
		w.handle = nil
	}
	w.mu.Unlock()
}

// WaitForChange waits until a commit from any process or goroutine (a write, a
// transaction, a restore) moves the generation of the state file past after, and
// returns the new generation; at once if it already is past. It is woken by the commit
// itself (a watch on the file's directory), not by polling; a commit that leaves the
// document as it was wakes no one. It gives up when ctx is done, with an error that
// wraps ctx.Err(), and does not hold up other calls on s meanwhile. Close ends it with
// ErrClosed.
func (s *State) WaitForChange(ctx context.Context, after uint64) (uint64, error) {
	const op = "state wait"
	for {
		if err := ctx.Err(); err != nil {
			return 0, canceledError(op, s.path, err, "")
		}
		h, err := s.watch.enter(s, op)
		if err != nil {
			return 0, err
		}
		var generation uint64
		c := startCallWait(ctx, int64(native.FL_TIMEOUT_DEFAULT)) // forever
		st := native.Fl_state_wait_with(h, after, &generation, c.opts)
		c.end()
		s.watch.mu.RUnlock()
		if st == nil {
			return generation, nil
		}
		if Code(st.Code) != CodeCanceled {
			return 0, statusError(st, op, s.path)
		}
		if err := ctx.Err(); err != nil {
			return 0, canceledError(op, s.path, err, st.Message)
		}
		if s.watch.closed.Load() {
			return 0, goError(CodeInvalid, op, s.path, ErrClosed)
		}
		// Close's cancel, kept by a handle it found with no wait in progress, met a
		// wait that began before closed was set: the loop head tells.
	}
}
