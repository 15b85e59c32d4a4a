package filelock

import (
	"context"
	"runtime"
	"sync"
	"time"

	"filelock.dev/filelock/internal/native"
)

// Lock is a lock on one path. Goroutines that each use their own Lock on a path
// exclude one another as processes do. One Lock is safe to share between goroutines,
// but it is one holder: a second Lock on it while held returns ErrAlreadyLocked, and
// its calls run one at a time (Unlock waits for a Lock call that is still waiting).
type Lock struct {
	path string
	opts Options

	// mu serialises use of the C handle, which allows one thread at a time.
	mu     sync.Mutex
	handle native.Fl_handle // opened at the first Lock; nil before
	closed bool

	// waitMu guards what Close needs to end a wait in progress without mu.
	waitMu  sync.Mutex
	waiting native.Fl_handle // the handle while in fl_lock, else nil
	closing bool             // Close has begun
}

// New returns an exclusive lock on path that waits up to DefaultTimeout.
// Nothing is opened until Lock.
func New(path string) *Lock {
	return NewWithOptions(path, Options{Timeout: DefaultTimeout})
}

// NewWithOptions returns a lock on path configured by opts. Nothing is opened until Lock.
func NewWithOptions(path string, opts Options) *Lock {
	l := &Lock{path: path, opts: opts}
	// A Lock dropped without Close still releases its lock and file.
	runtime.SetFinalizer(l, (*Lock).Close)
	return l
}

// Path is the path the lock protects.
func (l *Lock) Path() string { return l.path }

// Lock acquires the lock, waiting as Options.Timeout says.
func (l *Lock) Lock() error {
	return l.LockContext(context.Background())
}

// LockContext acquires the lock like Lock, and also gives up when ctx is done, returning
// ctx.Err(). The wait ends at once on cancellation: it is woken, not polled.
func (l *Lock) LockContext(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := l.openLocked(); err != nil {
		return err
	}
	if l.setWaiting(true) {
		return goError(CodeInvalid, "lock", l.path, ErrClosed)
	}
	st, canceled := l.waitLocked(ctx)
	if l.setWaiting(false) {
		// Close canceled the wait, or will close the handle right after this.
		if st == nil {
			native.Fl_unlock(l.handle)
		}
		return goError(CodeInvalid, "lock", l.path, ErrClosed)
	}
	if canceled || (st == nil && ctx.Err() != nil) {
		l.forgetCancelLocked(st)
		return ctx.Err()
	}
	return statusError(st, "lock", l.path)
}

// setWaiting publishes (or withdraws) the handle for Close to cancel, and reports
// whether Close has begun.
func (l *Lock) setWaiting(on bool) (closing bool) {
	l.waitMu.Lock()
	defer l.waitMu.Unlock()
	l.waiting = nil
	if on && !l.closing {
		l.waiting = l.handle
	}
	return l.closing
}

// waitLocked runs fl_lock while a goroutine watching ctx cancels it via fl_cancel.
// canceled reports whether fl_cancel was called.
func (l *Lock) waitLocked(ctx context.Context) (st *native.Status, canceled bool) {
	if ctx.Done() == nil {
		return l.lockNative(), false
	}
	stop, watcherDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watcherDone)
		select {
		case <-ctx.Done():
			native.Fl_cancel(l.handle)
			canceled = true
		case <-stop:
		}
	}()
	st = l.lockNative()
	close(stop)
	// After this no fl_cancel can arrive, so the handle is ours alone again.
	<-watcherDone
	return st, canceled
}

// foreverSlice is how long each fl_lock call of a wait without timeout lasts.
const foreverSlice = int64(time.Hour / time.Millisecond)

// lockNative waits as Options.Timeout says. A wait without timeout is a loop of long
// timed waits, not FL_FOREVER: the library refuses FL_FOREVER when the calling OS
// thread holds the lock through another handle, and a goroutine may run on the thread
// that another goroutine (the holder, free to release) locked from.
func (l *Lock) lockNative() *native.Status {
	mode := l.opts.LockType.mode()
	if l.opts.Timeout != 0 {
		return native.Fl_lock(l.handle, mode, timeoutMillis(l.opts.Timeout))
	}
	for {
		st := native.Fl_lock(l.handle, mode, foreverSlice)
		if st == nil || st.Code != native.FL_ETIMEOUT {
			return st
		}
	}
}

// forgetCancelLocked leaves the handle unlocked and without a pending cancel request
// after a wait that ctx ended. fl_cancel's request is sticky until fl_unlock or an
// FL_ECANCELED return consumes it.
func (l *Lock) forgetCancelLocked(st *native.Status) {
	switch {
	case st == nil:
		native.Fl_unlock(l.handle) // acquired as ctx ended: release; clears the request
	case st.Code != native.FL_ECANCELED:
		// The wait ended another way (timeout) before the cancel landed: consume the
		// request with a try-lock that returns FL_ECANCELED at once.
		if native.Fl_lock(l.handle, l.opts.LockType.mode(), int64(native.FL_NOWAIT)) == nil {
			native.Fl_unlock(l.handle)
		}
	}
}

func (l *Lock) openLocked() error {
	if l.closed {
		return goError(CodeInvalid, "lock", l.path, ErrClosed)
	}
	if l.handle != nil {
		return nil
	}
	if err := checkPaths("lock", l.path, l.opts.LockDir); err != nil {
		return err
	}
	opts := nativeLockOptions(l.opts)
	defer native.DeleteFl_lock_options(opts)
	var h uintptr
	if err := statusError(native.Fl_open(&h, l.path, opts), "lock", l.path); err != nil {
		return err
	}
	l.handle = native.SwigcptrFl_handle(h)
	return nil
}

// Unlock releases the lock. ErrNotLocked if it is not held.
func (l *Lock) Unlock() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.handle == nil {
		return goError(CodeNotLocked, "unlock", l.path, errNeverLocked)
	}
	return statusError(native.Fl_unlock(l.handle), "unlock", l.path)
}

// Locked reports whether this Lock holds its lock.
func (l *Lock) Locked() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.handle != nil && native.Fl_is_locked(l.handle) == 1
}

// LockPath is the lock file's path, or "" before the first Lock.
func (l *Lock) LockPath() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.handle == nil {
		return ""
	}
	return native.Fl_lock_path(l.handle)
}

// Close releases the lock if held and closes the lock file. The Lock cannot be used
// again: a Lock call waiting on it returns at once with an error matching ErrClosed.
func (l *Lock) Close() error {
	l.waitMu.Lock()
	l.closing = true
	if l.waiting != nil {
		native.Fl_cancel(l.waiting)
	}
	l.waitMu.Unlock()

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.handle != nil {
		native.Fl_close(l.handle)
		l.handle = nil
	}
	l.closed = true
	runtime.SetFinalizer(l, nil)
	return nil
}
