package filelock

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"

	"filelock.dev/filelock/internal/native"
)

// Txn is a transaction on a State: it holds the state's exclusive lock, and the State
// itself, until Commit or Rollback. Finish every Txn (defer txn.Rollback() is safe
// after Commit); other calls on the State wait for it. A Txn is for one goroutine.
type Txn struct {
	// Methods keep t alive across their native calls (runtime.KeepAlive): its
	// finalizer would otherwise roll the transaction back mid-call.
	state  *State // kept alive, and kept to this transaction, until the end
	handle native.Fl_txn
	done   bool
}

// Begin starts a transaction: it waits for the exclusive lock (StateOptions.LockTimeout)
// and reads the current document.
func (s *State) Begin() (*Txn, error) {
	return s.BeginContext(context.Background())
}

// BeginContext is Begin that gives up when ctx is done (see State). ctx governs only
// the start: the transaction, once begun, runs until Commit or Rollback.
func (s *State) BeginContext(ctx context.Context) (*Txn, error) {
	if err := s.acquire(ctx, "state begin"); err != nil {
		return nil, err
	}
	var h uintptr
	err := s.wait(ctx, "state begin", func(sh native.Fl_state, w native.Fl_wait_opts) *native.Status {
		return native.Fl_txn_begin_with(sh, &h, w)
	})
	if err != nil {
		s.release()
		return nil, err
	}
	t := &Txn{state: s, handle: native.SwigcptrFl_txn(h)}
	// A forgotten transaction rolls back, releasing the lock and the State.
	runtime.SetFinalizer(t, (*Txn).Rollback)
	return t, nil
}

// Generation is the generation the transaction started from.
func (t *Txn) Generation() uint64 {
	defer runtime.KeepAlive(t)
	if t.done {
		return 0
	}
	return native.Fl_txn_generation(t.handle)
}

// Get decodes the value at the JSON pointer (RFC 6901; "" is the whole document) into v.
// ErrNotFound if nothing is there.
// Into a map[string]any, []any or any, numbers a float64 cannot hold exactly arrive as
// json.Number (see State.Read).
func (t *Txn) Get(pointer string, v any) error {
	defer runtime.KeepAlive(t)
	if err := t.live("state get"); err != nil {
		return err
	}
	out, err := t.getRaw(pointer)
	if err != nil {
		return err
	}
	if err := decodeJSON(out, v); err != nil {
		return goError(CodeInvalid, "state get", t.state.path, err)
	}
	return nil
}

// getRaw is the JSON text at the pointer, as the library prints it (valid JSON: no
// need to check it again as decoding into a json.RawMessage would).
func (t *Txn) getRaw(pointer string) ([]byte, error) {
	defer runtime.KeepAlive(t)
	if err := t.live("state get"); err != nil {
		return nil, err
	}
	var out string
	if err := statusError(native.Fl_txn_get(t.handle, pointer, &out), "state get", t.state.path); err != nil {
		return nil, err
	}
	return []byte(out), nil
}

// Set puts v at the JSON pointer, creating missing parents; "" replaces the document.
func (t *Txn) Set(pointer string, v any) error {
	defer runtime.KeepAlive(t)
	if err := t.live("state set"); err != nil {
		return err
	}
	doc, err := marshalJSON(v)
	if err != nil {
		return goError(CodeInvalid, "state set", t.state.path, err)
	}
	return statusError(native.Fl_txn_set(t.handle, pointer, string(doc)), "state set", t.state.path)
}

// Remove deletes the value at the JSON pointer.
func (t *Txn) Remove(pointer string) error {
	defer runtime.KeepAlive(t)
	if err := t.live("state remove"); err != nil {
		return err
	}
	return statusError(native.Fl_txn_remove(t.handle, pointer), "state remove", t.state.path)
}

// Merge applies a JSON merge patch (RFC 7386): null members delete.
func (t *Txn) Merge(patch any) error {
	defer runtime.KeepAlive(t)
	if err := t.live("state merge"); err != nil {
		return err
	}
	doc, err := marshalJSON(patch)
	if err != nil {
		return goError(CodeInvalid, "state merge", t.state.path, err)
	}
	return statusError(native.Fl_txn_merge(t.handle, string(doc)), "state merge", t.state.path)
}

// Commit validates, backs up, writes and logs the new document atomically, and ends
// the transaction either way. On failure the file is as it was.
func (t *Txn) Commit() error {
	defer runtime.KeepAlive(t)
	if err := t.live("state commit"); err != nil {
		return err
	}
	st := native.Fl_txn_commit(t.handle)
	t.finish()
	return statusError(st, "state commit", t.state.path)
}

// Rollback ends the transaction without changing the file. It does nothing after
// Commit or Rollback, so it can always be deferred.
func (t *Txn) Rollback() error {
	if t.done {
		return nil
	}
	native.Fl_txn_rollback(t.handle)
	t.finish()
	return nil
}

func (t *Txn) finish() {
	t.done = true
	t.handle = nil
	runtime.SetFinalizer(t, nil)
	t.state.release()
}

func (t *Txn) live(op string) error {
	if t.done {
		return goError(CodeInvalid, op, t.state.path, errTxnDone)
	}
	return nil
}

var errTxnDone = errors.New("the transaction has ended")

// transact runs fn in a transaction and commits if fn returns nil. An error or panic
// from fn rolls back and is passed on unchanged.
func (s *State) transact(ctx context.Context, fn func(t *Txn) error) error {
	t, err := s.BeginContext(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if err := fn(t); err != nil {
		return err
	}
	return t.Commit()
}

// Update runs fn on the document, decoded into a map, and commits what fn leaves
// there, all under the exclusive lock. Numbers arrive as float64, as encoding/json
// decodes them, except those a float64 cannot hold exactly (2^53+1, 30 digits), which
// arrive as json.Number so they are written back unchanged.
// If fn returns an error nothing changes and Update returns that error. fn must not
// call methods of s.
func (s *State) Update(fn func(doc map[string]any) error) error {
	return s.UpdateContext(context.Background(), fn)
}

// UpdateContext is Update that gives up waiting for the lock when ctx is done (see
// State); once fn runs, the update completes or fails on its own terms.
func (s *State) UpdateContext(ctx context.Context, fn func(doc map[string]any) error) error {
	return s.transact(ctx, func(t *Txn) error {
		raw, err := t.getRaw("")
		if err != nil {
			return err
		}
		doc, err := decodeObject(raw)
		if err != nil {
			return goError(CodeInvalid, "state update", t.state.path, err)
		}
		if doc == nil {
			doc = map[string]any{}
		}
		if err := fn(doc); err != nil {
			return err
		}
		return t.Set("", doc)
	})
}

// UpdateAs is Update with the document decoded into a T, usually a struct. Top-level
// members T does not know are kept as they were, so a program that knows part of a
// shared document does not erase the rest; unknown members of nested objects are not.
//
//	err := filelock.UpdateAs(st, func(reg *Registry) error {
//		reg.Workers = append(reg.Workers, name)
//		return nil
//	})
func UpdateAs[T any](s *State, fn func(v *T) error) error {
	return UpdateAsContext(context.Background(), s, fn)
}

// UpdateAsContext is UpdateAs that gives up waiting for the lock when ctx is done.
func UpdateAsContext[T any](ctx context.Context, s *State, fn func(v *T) error) error {
	return s.transact(ctx, func(t *Txn) error {
		raw, err := t.getRaw("")
		if err != nil {
			return err
		}
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return goError(CodeInvalid, "state update", t.state.path, err)
		}
		before, err := json.Marshal(&v)
		if err != nil {
			return goError(CodeInvalid, "state update", t.state.path, err)
		}
		if err := fn(&v); err != nil {
			return err
		}
		after, err := json.Marshal(&v)
		if err != nil {
			return goError(CodeInvalid, "state update", t.state.path, err)
		}
		return t.Set("", json.RawMessage(keepUnknownMembers(raw, before, after)))
	})
}

// keepUnknownMembers adds to the object after the members of the object orig that T
// did not produce when decoded from orig (before), unless after has them. Anything
// that is not an object is returned as after.
func keepUnknownMembers(orig, before, after []byte) []byte {
	var o, b, a map[string]json.RawMessage
	if json.Unmarshal(orig, &o) != nil || json.Unmarshal(before, &b) != nil ||
		json.Unmarshal(after, &a) != nil || o == nil || a == nil {
		return after
	}
	kept := false
	for k, val := range o {
		_, known := b[k]
		if _, set := a[k]; !known && !set {
			a[k] = val
			kept = true
		}
	}
	if !kept {
		return after
	}
	merged, err := json.Marshal(a)
	if err != nil {
		return after
	}
	return merged
}
