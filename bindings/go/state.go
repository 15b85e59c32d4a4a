package filelock

import (
	"encoding/json"
	"runtime"
	"sync"

	"filelock.dev/filelock/internal/native"
)

// State is a JSON document in a file that processes share: every change is a
// transaction under the file's exclusive lock, written by atomic replace, backed up
// and logged. A State is safe for concurrent goroutines; each call runs alone on it.
type State struct {
	path string
	// mu serialises use of the C handle, which allows one thread at a time.
	mu     sync.Mutex
	handle native.Fl_state // nil after Close
}

// OpenState opens the state file at path, creating it with opts.Initial (or {}) if
// missing.
func OpenState(path string, opts StateOptions) (*State, error) {
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
	s := &State{path: path, handle: native.SwigcptrFl_state(h)}
	// A State dropped without Close still closes its files.
	runtime.SetFinalizer(s, (*State).Close)
	return s, nil
}

// Path is the state file's path.
func (s *State) Path() string { return s.path }

// Close closes the state. Later calls return ErrClosed.
func (s *State) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handle != nil {
		native.Fl_state_close(s.handle)
		s.handle = nil
	}
	runtime.SetFinalizer(s, nil)
	return nil
}

// use runs fn with the handle held alone, or fails with ErrClosed.
func (s *State) use(op string, fn func(h native.Fl_state) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handle == nil {
		return goError(CodeInvalid, op, s.path, ErrClosed)
	}
	return fn(s.handle)
}

// ReadRaw returns the document as JSON and its generation (which counts commits).
func (s *State) ReadRaw() (doc []byte, generation uint64, err error) {
	err = s.use("state read", func(h native.Fl_state) error {
		var out string
		if err := statusError(native.Fl_state_read(h, &out, &generation), "state read", s.path); err != nil {
			return err
		}
		doc = []byte(out)
		return nil
	})
	return doc, generation, err
}

// Read decodes the document into v, as json.Unmarshal does.
func (s *State) Read(v any) error {
	doc, _, err := s.ReadRaw()
	if err != nil {
		return err
	}
	if err := json.Unmarshal(doc, v); err != nil {
		return goError(CodeInvalid, "state read", s.path, err)
	}
	return nil
}

// Write replaces the whole document with v (encoded as json.Marshal does; JSON given
// as json.RawMessage passes through) in one commit.
func (s *State) Write(v any) error {
	doc, err := marshalJSON(v)
	if err != nil {
		return goError(CodeInvalid, "state write", s.path, err)
	}
	return s.use("state write", func(h native.Fl_state) error {
		return statusError(native.Fl_state_write(h, string(doc)), "state write", s.path)
	})
}

// WriteIf is Write only if the document is still at generation (from ReadRaw);
// otherwise ErrConflict and nothing changes.
func (s *State) WriteIf(v any, generation uint64) error {
	doc, err := marshalJSON(v)
	if err != nil {
		return goError(CodeInvalid, "state write", s.path, err)
	}
	return s.use("state write", func(h native.Fl_state) error {
		return statusError(native.Fl_state_write_if(h, string(doc), generation), "state write", s.path)
	})
}
