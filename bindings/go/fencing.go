package filelock

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"filelock.dev/filelock/internal/native"
)

// ErrLockLost matches the error of a LostContext ended because the lease of the etcd://
// lock it watched expired while held.
var ErrLockLost = errors.New("filelock: the lock's lease expired while held")

// FencingToken is the fencing token of the etcd:// lock this Lock holds: the create
// revision of the holder's key in etcd, which grows with every acquisition in the
// cluster. A store that remembers the largest token it has seen can refuse a write
// carrying a smaller one, from a holder whose lease expired meanwhile. The error
// matches ErrNotLocked when nothing is held, and ErrUnsupported for a file lock (the
// kernel keeps it until it is released: it cannot pass to another holder while held).
func (l *Lock) FencingToken() (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.held {
		return 0, goError(CodeNotLocked, "fencing token", l.path, ErrNotLocked)
	}
	var token int64
	if err := statusError(native.Fl_fencing_token(l.handle, &token), "fencing token", l.path); err != nil {
		return 0, err
	}
	return token, nil
}

// Lost reports whether the etcd:// lock this Lock holds is known lost: its lease expired
// (the holder was paused, or cut off from etcd, for its TTL), so another process may hold
// it now and Unlock will fail. It asks what the library's keep-alive last learned, with
// no request to etcd. Always false for file locks and when nothing is held.
func (l *Lock) Lost() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held && native.Fl_lock_lost(l.handle) == 1
}

// lostPollInterval is how often a LostContext's watch asks the library whether the
// lease is lost. The question reads two atomics and the clock in this process (no
// request to etcd), so a tight cadence costs nothing measurable; it bounds how late
// the context hears what the library knows.
const lostPollInterval = 100 * time.Millisecond

// LostContext returns a context derived from parent that is also done once the lease of
// the etcd:// lock this Lock holds now is known lost; its Err then matches ErrLockLost
// and context.Canceled (errors.Is). Work done under the lock can stop there, as with
// DistributedLock's HandleLostToken. Unlock (and Close) stop the watch: a context from
// an earlier acquisition never reports a later one's loss. For a file lock, which
// cannot be lost while held, the context ends only with parent or cancel; when nothing
// is held it is done at once with an error matching ErrNotLocked.
//
// etcd tells the library about the lease only through the keep-alive's answers, so the
// watch is a poll of Lost (every 100 ms, in one goroutine per acquisition, started on
// the first call and stopped by Unlock): cheap, and no request of its own. While it
// runs it keeps the Lock reachable, so a watched Lock is released by Unlock or Close,
// never by the garbage collector. As for any context, call cancel when done with it.
func (l *Lock) LostContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx := newLostContext(parent)
	l.mu.Lock()
	var w *lostWatch
	switch {
	case !l.held:
		ctx.finish(goError(CodeNotLocked, "lost context", l.path, ErrNotLocked))
	case native.Fl_lock_lost(l.handle) == 1:
		ctx.finish(l.lostError())
	default:
		var token int64
		if native.Fl_fencing_token(l.handle, &token) == nil {
			w = l.watchLocked()
		}
	}
	l.mu.Unlock()
	go ctx.run(w)
	return ctx, ctx.cancel
}

// lostWatch is the poll of one acquisition, shared by its LostContexts.
type lostWatch struct {
	lost    chan struct{} // closed when the lease is known lost
	stopped chan struct{} // closed when the acquisition ends (Unlock, Close)
	err     error         // set before lost is closed
}

// watchLocked returns the held lock's watch, starting it on first use. Needs l.mu.
func (l *Lock) watchLocked() *lostWatch {
	if l.watch != nil {
		return l.watch
	}
	w := &lostWatch{lost: make(chan struct{}), stopped: make(chan struct{})}
	l.watch = w
	go l.poll(w)
	return w
}

// stopWatchLocked ends the current acquisition's watch, before the handle is unlocked
// (fl_lock_lost must not run on a handle being unlocked). Needs l.mu.
func (l *Lock) stopWatchLocked() {
	if l.watch != nil {
		close(l.watch.stopped)
		l.watch = nil
	}
}

func (l *Lock) poll(w *lostWatch) {
	ticker := time.NewTicker(lostPollInterval)
	defer ticker.Stop()
	for {
		select {
		case <-w.stopped:
			return
		case <-ticker.C:
		}
		l.mu.Lock()
		// Asked under l.mu, and only while this acquisition is the current one.
		lost := l.watch == w && native.Fl_lock_lost(l.handle) == 1
		if lost {
			w.err = l.lostError()
		}
		l.mu.Unlock()
		if lost {
			close(w.lost)
			return
		}
	}
}

func (l *Lock) lostError() error {
	return &Error{Code: CodeIO, Op: "lock", Path: l.path, Err: lockLost{},
		Message: fmt.Sprintf("lock '%s': the lease expired while the lock was held (another process may hold it now)", l.path)}
}

// lockLost is the cause inside a lost lock's *Error: it matches ErrLockLost, and also
// context.Canceled, since it ends a context.
type lockLost struct{}

func (lockLost) Error() string { return ErrLockLost.Error() }
func (lockLost) Is(target error) bool {
	return target == ErrLockLost || target == context.Canceled
}

// lostContext is a context that a lost lease, its parent or its cancel ends.
// (context.WithCancelCause would do, from Go 1.20 on; go.mod says 1.19.)
type lostContext struct {
	context.Context // the parent: Deadline and Value
	done            chan struct{}
	quit            chan struct{} // closed by cancel
	once, quitOnce  sync.Once
	mu              sync.Mutex
	err             error
}

func newLostContext(parent context.Context) *lostContext {
	return &lostContext{Context: parent, done: make(chan struct{}), quit: make(chan struct{})}
}

func (c *lostContext) Done() <-chan struct{} { return c.done }

func (c *lostContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *lostContext) String() string { return "filelock.LostContext" }

func (c *lostContext) finish(err error) {
	c.once.Do(func() {
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(c.done)
	})
}

func (c *lostContext) cancel() {
	c.quitOnce.Do(func() { close(c.quit) })
	c.finish(context.Canceled)
}

// run ends c with whichever comes first; w is nil when no lease is watched.
func (c *lostContext) run(w *lostWatch) {
	var lost <-chan struct{}
	if w != nil {
		lost = w.lost
	}
	select {
	case <-c.done:
	case <-c.quit:
	case <-c.Context.Done():
		c.finish(c.Context.Err())
	case <-lost:
		c.finish(w.err)
	}
}
