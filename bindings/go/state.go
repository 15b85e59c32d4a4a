package filelock

import (
	"context"
	"runtime"

	"filelock.dev/filelock/internal/native"
)

// State is a JSON document in a file that processes share: every change is a
// transaction under the file's exclusive lock, written by atomic replace, backed up
// and logged.
// A State is safe for concurrent goroutines; each call runs alone on it.
//
// The ...Context methods give up when their context is done: a wait for the file's
// lock, or for another goroutine's call on the same State, ends at once with an error
// that wraps ctx.Err() (errors.Is(err, context.Canceled) or
// context.DeadlineExceeded), and nothing changed. A call that got the lock before the
// cancel took effect completes and reports its own result.
type State struct {
	path string
	opts StateOptions // to open WaitForChange's own handle
	// sem serialises use of the C handle, which allows one thread at a time; a channel
	// rather than a mutex, so a context can stop waiting for it.
	sem    chan struct{}
	handle native.Fl_state // nil after Close
	watch  stateWatch      // WaitForChange's own handle
}

// OpenState opens the state file at path, creating it with opts.Initial (or {}) if
// missing.
func OpenState(path string, opts StateOptions) (*State, error) {
	h, err := openNative(path, opts)
	if err != nil {
		return nil, err
	}
	s := &State{path: path, opts: opts, sem: make(chan struct{}, 1), handle: h}
	// A State dropped without Close still closes its files.
	runtime.SetFinalizer(s, (*State).Close)
	return s, nil
}

func openNative(path string, opts StateOptions) (native.Fl_state, error) {
	if err := checkPaths("open state", path, opts.MetaDir, opts.Lock.LockDir); err != nil {
		return nil, err
	}
	lockOpts := nativeLockOptions(opts.Lock)
	defer native.DeleteFl_lock_options(lockOpts)
	n := native.NewFl_state_options()
	defer native.DeleteFl_state_options(n)
	if err := applyStateOptions(n, opts, lockOpts); err != nil {
		return nil, goError(CodeInvalid, "open state", path, err)
	}
	var h uintptr
	if err := statusError(native.Fl_state_open(&h, path, n), "open state", path); err != nil {
		return nil, err
	}
	return native.SwigcptrFl_state(h), nil
}

// Path is the state file's path.
func (s *State) Path() string { return s.path }

// Close closes the state. Later calls return ErrClosed.
func (s *State) Close() error {
	s.watch.close()
	s.sem <- struct{}{}
	defer s.release()
	if s.handle != nil {
		native.Fl_state_close(s.handle)
		s.handle = nil
	}
	runtime.SetFinalizer(s, nil)
	return nil
}

// acquire takes the handle for one call (or a transaction), or fails with ErrClosed
// or ctx's error.
func (s *State) acquire(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return canceledError(op, s.path, err, "")
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return canceledError(op, s.path, ctx.Err(), "")
	}
	if s.handle == nil {
		s.release()
		return goError(CodeInvalid, op, s.path, ErrClosed)
	}
	return nil
}

func (s *State) release() { <-s.sem }

// use runs fn with the handle held alone.
func (s *State) use(ctx context.Context, op string, fn func() error) error {
	if err := s.acquire(ctx, op); err != nil {
		return err
	}
	defer s.release()
	return fn()
}

// wait runs call, a native call that may wait for the file's lock, on the handle
// (held by the caller), with wait options whose cancel token ctx triggers when done.
func (s *State) wait(ctx context.Context, op string, call func(h native.Fl_state, w native.Fl_wait_opts) *native.Status) error {
	c := startCallWait(ctx, int64(native.FL_TIMEOUT_DEFAULT))
	st := call(s.handle, c.opts)
	if c.end() && st != nil && Code(st.Code) == CodeCanceled {
		return canceledError(op, s.path, ctx.Err(), st.Message)
	}
	return statusError(st, op, s.path)
}

// ReadRaw returns the document as JSON and its generation (which counts commits).
func (s *State) ReadRaw() (doc []byte, generation uint64, err error) {
	return s.ReadRawContext(context.Background())
}

// ReadRawContext is ReadRaw that gives up when ctx is done (see State).
func (s *State) ReadRawContext(ctx context.Context) (doc []byte, generation uint64, err error) {
	var out string
	err = s.use(ctx, "state read", func() error {
		return s.wait(ctx, "state read", func(h native.Fl_state, w native.Fl_wait_opts) *native.Status {
			return native.Fl_state_read_with(h, &out, &generation, w)
		})
	})
	if err != nil {
		return nil, 0, err
	}
	return []byte(out), generation, nil
}

// Read decodes the document into v, as json.Unmarshal does, except that a number a
// float64 cannot hold exactly (1e400, 12345678901234567890123) arrives in a
// map[string]any, []any or any as json.Number instead of failing or being rounded.
func (s *State) Read(v any) error {
	return s.ReadContext(context.Background(), v)
}

// ReadContext is Read that gives up when ctx is done (see State).
func (s *State) ReadContext(ctx context.Context, v any) error {
	doc, _, err := s.ReadRawContext(ctx)
	if err != nil {
		return err
	}
	if err := decodeJSON(doc, v); err != nil {
		return goError(CodeInvalid, "state read", s.path, err)
	}
	return nil
}

// GetRaw returns the value at an RFC 6901 JSON pointer ("" = the whole document,
// "/jobs/0/status") as JSON, and the document's generation; a pointer that names
// nothing is a CodeNotFound error. With a journal (StateOptions.JournalMaxBytes) a
// long-lived State answers from its parsed copy, so after another handle's small
// commit the call costs the change and the value, not the document.
func (s *State) GetRaw(pointer string) (value []byte, generation uint64, err error) {
	return s.GetRawContext(context.Background(), pointer)
}

// GetRawContext is GetRaw that gives up when ctx is done (see State).
func (s *State) GetRawContext(ctx context.Context, pointer string) (value []byte, generation uint64, err error) {
	var out string
	err = s.use(ctx, "state get", func() error {
		return s.wait(ctx, "state get", func(h native.Fl_state, w native.Fl_wait_opts) *native.Status {
			return native.Fl_state_get_with(h, pointer, &out, &generation, w)
		})
	})
	if err != nil {
		return nil, 0, err
	}
	return []byte(out), generation, nil
}

// Get decodes the value at pointer into v, as Read does the whole document.
func (s *State) Get(pointer string, v any) error {
	value, _, err := s.GetRawContext(context.Background(), pointer)
	if err != nil {
		return err
	}
	if err := decodeJSON(value, v); err != nil {
		return goError(CodeInvalid, "state get", s.path, err)
	}
	return nil
}

// Write replaces the whole document with v (encoded as json.Marshal does; JSON given
// as json.RawMessage passes through) in one commit.
func (s *State) Write(v any) error {
	return s.WriteContext(context.Background(), v)
}

// WriteContext is Write that gives up when ctx is done (see State).
func (s *State) WriteContext(ctx context.Context, v any) error {
	doc, err := marshalJSON(v)
	if err != nil {
		return goError(CodeInvalid, "state write", s.path, err)
	}
	return s.use(ctx, "state write", func() error {
		return s.wait(ctx, "state write", func(h native.Fl_state, w native.Fl_wait_opts) *native.Status {
			return native.Fl_state_write_with(h, string(doc), w)
		})
	})
}

// WriteIf is Write only if the document is still at generation (from ReadRaw);
// otherwise ErrConflict and nothing changes.
func (s *State) WriteIf(v any, generation uint64) error {
	return s.WriteIfContext(context.Background(), v, generation)
}

// WriteIfContext is WriteIf that gives up when ctx is done (see State).
func (s *State) WriteIfContext(ctx context.Context, v any, generation uint64) error {
	doc, err := marshalJSON(v)
	if err != nil {
		return goError(CodeInvalid, "state write", s.path, err)
	}
	return s.use(ctx, "state write", func() error {
		return s.wait(ctx, "state write", func(h native.Fl_state, w native.Fl_wait_opts) *native.Status {
			return native.Fl_state_write_if_with(h, string(doc), generation, w)
		})
	})
}
