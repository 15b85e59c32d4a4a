package filelock

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"filelock.dev/filelock/internal/native"
)

// Lock is a lock on one path, shaped like gofrs/flock's Flock: Lock/RLock wait,
// TryLock/TryRLock try once, the Context forms wait until ctx is done, Unlock releases
// (nil if nothing is held), and locking in the other mode converts the lock (by
// releasing and re-acquiring, as flock(2) itself does). Goroutines that each use their
// own Lock on a path exclude one another as processes do. One Lock is safe to share
// between goroutines, but it is one holder: locking it again in the mode it holds
// returns ErrAlreadyLocked (gofrs returns nil there), and its calls run one at a time.
//
// The lock file is open only while the Lock holds or waits: an idle Lock keeps no
// descriptor, so the pattern `l := New(p); l.Lock(); defer l.Unlock()` without Close
// costs nothing per call. Released handles are kept in a small per-process pool, so
// locking the same path again does not re-open its file.
type Lock struct {
	path string
	opts Options
	key  string // idleKey(path, opts): where its released handles wait

	// mu serialises use of the C handle, which allows one thread at a time.
	mu       sync.Mutex
	handle   native.Fl_handle // while held or waiting; nil otherwise
	held     bool
	mode     LockType // the mode held, if held
	lockPath string   // the lock file, known from the first open on
	closed   bool
	watch    *lostWatch // the held etcd:// lock's LostContext poll, if one was asked for

	// waitMu guards what Close needs to end a wait in progress without mu.
	waitMu  sync.Mutex
	waiting native.Fl_handle // the handle while in fl_lock, else nil
	closing bool             // Close has begun
	quit    chan struct{}    // closed when Close begins: ends a goroutine's flock wait
	inFlock *callerWait      // the caller's own flock wait in progress (Linux), else nil

	parked [2]*flockWait // by LockType: an abandoned flock wait (lock_wait.go)
}

// New returns an exclusive lock on path that waits up to DefaultTimeout.
// Nothing is opened until Lock.
func New(path string) *Lock {
	return NewWithOptions(path, Options{Timeout: DefaultTimeout})
}

// NewWithOptions returns a lock on path configured by opts. Nothing is opened until Lock.
func NewWithOptions(path string, opts Options) *Lock {
	l := &Lock{path: path, opts: opts, key: idleKey(path, opts), quit: make(chan struct{})}
	// A Lock dropped while it holds still releases its lock and file.
	runtime.SetFinalizer(l, (*Lock).Close)
	return l
}

// Path is the path the lock protects.
func (l *Lock) Path() string { return l.path }

// Lock acquires the lock in the Lock's mode (Options.LockType, exclusive by default),
// waiting as Options.Timeout says.
func (l *Lock) Lock() error {
	return l.acquire(context.Background(), l.opts.LockType, l.opts.Timeout, "lock")
}

// RLock acquires a shared lock, waiting as Options.Timeout says.
func (l *Lock) RLock() error {
	return l.acquire(context.Background(), Shared, l.opts.Timeout, "lock")
}

// LockContext acquires the lock like Lock, and also gives up when ctx is done, returning
// ctx.Err(). The wait ends at once on cancellation: it is woken, not polled.
func (l *Lock) LockContext(ctx context.Context) error {
	return l.acquire(ctx, l.opts.LockType, l.opts.Timeout, "lock")
}

// RLockContext acquires a shared lock like RLock, giving up when ctx is done.
func (l *Lock) RLockContext(ctx context.Context) error {
	return l.acquire(ctx, Shared, l.opts.Timeout, "lock")
}

// TryLock takes the lock in the Lock's mode if it is free now: (true, nil) if taken,
// (false, nil) if another holder has it, (false, err) on any other failure.
func (l *Lock) TryLock() (bool, error) {
	return tried(l.acquire(context.Background(), l.opts.LockType, tryOnce, "lock"))
}

// TryRLock takes a shared lock if no exclusive holder has it now, as TryLock.
func (l *Lock) TryRLock() (bool, error) {
	return tried(l.acquire(context.Background(), Shared, tryOnce, "lock"))
}

// TryLockContext waits for the lock until it is taken (true, nil) or ctx is done
// (false, ctx.Err()). retryDelay is gofrs/flock's polling interval: kernel locks wake
// the waiter at release instead, so it only sets Options.RetryDelay's role for the
// lock-file backends when positive and no RetryDelay was given.
func (l *Lock) TryLockContext(ctx context.Context, retryDelay time.Duration) (bool, error) {
	return l.tryContext(ctx, l.opts.LockType, retryDelay)
}

// TryRLockContext waits for a shared lock as TryLockContext does.
func (l *Lock) TryRLockContext(ctx context.Context, retryDelay time.Duration) (bool, error) {
	return l.tryContext(ctx, Shared, retryDelay)
}

func (l *Lock) tryContext(ctx context.Context, mode LockType, retryDelay time.Duration) (bool, error) {
	if retryDelay > 0 && l.opts.RetryDelay == 0 {
		l.mu.Lock()
		if l.handle == nil && !l.held {
			l.opts.RetryDelay = retryDelay
			l.key = idleKey(l.path, l.opts)
		}
		l.mu.Unlock()
	}
	err := l.acquire(ctx, mode, waitForever, "lock")
	if err != nil {
		return false, err
	}
	return true, nil
}

// tried maps a try-once result onto gofrs's (bool, error): busy is (false, nil).
func tried(err error) (bool, error) {
	if err == nil {
		return true, nil
	}
	var fe *Error
	if errors.As(err, &fe) && fe.Code == CodeBusy {
		return false, nil
	}
	return false, err
}

// tryOnce and waitForever are Options.Timeout values: negative tries once, zero waits
// until acquired.
const (
	tryOnce     time.Duration = -1
	waitForever time.Duration = 0
)

// acquire takes the lock in mode, waiting as timeout says (Options.Timeout's meaning)
// or until ctx is done.
func (l *Lock) acquire(ctx context.Context, mode LockType, timeout time.Duration, op string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return err
	}
	if l.held {
		if l.mode == mode {
			return goError(CodeAlreadyLocked, op, l.path, ErrAlreadyLocked)
		}
		// A conversion: release, then wait for the other mode like any acquirer.
		if err := l.releaseLocked(); err != nil {
			return err
		}
	}
	if err := l.openLocked(); err != nil {
		return err
	}
	if timeout != tryOnce {
		done, err := l.acquireFlock(ctx, mode, timeout)
		if done {
			return err
		}
		if timeout > 0 {
			// What is left of it, for the library's wait below (at least a moment).
			timeout -= time.Since(start)
			if timeout < time.Millisecond {
				timeout = time.Millisecond
			}
		}
	}
	return l.acquireNative(ctx, mode, timeout, op)
}

// acquireFlock takes the lock the way lock_wait.go says where the handle's backend
// allows: done reports that err is the outcome; otherwise the handle is open, holds
// nothing, and the library's own wait is to follow.
func (l *Lock) acquireFlock(ctx context.Context, mode LockType, timeout time.Duration) (done bool, err error) {
	st := native.Fl_lock(l.handle, mode.mode(), int64(native.FL_NOWAIT))
	if st == nil {
		l.held, l.mode = true, mode
		return true, nil
	}
	fd := native.Fl_wait_fd(l.handle)
	if st.Code != native.FL_EBUSY || fd < 0 {
		if st.Code == native.FL_EBUSY {
			return false, nil
		}
		l.dropLocked()
		return true, statusError(st, "lock", l.path)
	}
	res, err := l.waitFlock(ctx, mode, timeout, fd)
	switch res {
	case flockFallBack:
		return false, nil
	case flockFailed:
		if l.handle != nil {
			l.dropLocked()
		}
		return true, err
	}
	// Got it; but a wait ended by ctx or Close keeps nothing, as acquireNative's does.
	l.waitMu.Lock()
	closing := l.closing
	l.waitMu.Unlock()
	if closing || ctx.Err() != nil {
		native.Fl_unlock(l.handle)
		l.idleLocked()
		if closing {
			return true, goError(CodeInvalid, "lock", l.path, ErrClosed)
		}
		return true, ctx.Err()
	}
	l.held, l.mode = true, mode
	return true, nil
}

// acquireNative waits in fl_lock_with: ctx ends the wait through the call's cancel
// token, Close through fl_cancel.
func (l *Lock) acquireNative(ctx context.Context, mode LockType, timeout time.Duration, op string) error {
	if l.setWaiting(true) {
		return goError(CodeInvalid, op, l.path, ErrClosed)
	}
	st, canceled := l.waitLocked(ctx, mode, timeout)
	if l.setWaiting(false) {
		// Close canceled the wait, or will close the handle right after this.
		if st == nil {
			native.Fl_unlock(l.handle)
		}
		return goError(CodeInvalid, op, l.path, ErrClosed)
	}
	if canceled || (st == nil && ctx.Err() != nil) {
		// The token was the call's alone: the handle keeps no request, and goes back
		// to the pool like any unlocked one.
		if st == nil {
			native.Fl_unlock(l.handle)
		}
		l.idleLocked()
		return ctx.Err()
	}
	if st != nil {
		l.dropLocked()
		return statusError(st, op, l.path)
	}
	l.held, l.mode = true, mode
	return nil
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

// waitLocked runs fl_lock_with with a cancel token that ctx triggers when done.
// canceled reports whether it was triggered.
func (l *Lock) waitLocked(ctx context.Context, mode LockType, timeout time.Duration) (st *native.Status, canceled bool) {
	c := startCallWait(ctx, int64(native.FL_TIMEOUT_DEFAULT))
	st = l.lockNative(mode, timeout, c.opts)
	return st, c.end()
}

// foreverSlice is how long each fl_lock call of a wait without timeout lasts.
const foreverSlice = int64(time.Hour / time.Millisecond)

// lockNative waits as timeout says (Options.Timeout's meaning), with w's cancel token
// if w is not nil. A wait without timeout is a loop of long timed waits, not
// FL_FOREVER: the library refuses FL_FOREVER when the calling OS thread holds the lock
// through another handle, and a goroutine may run on the thread that another goroutine
// (the holder, free to release) locked from.
func (l *Lock) lockNative(t LockType, timeout time.Duration, w native.Fl_wait_opts) *native.Status {
	mode := t.mode()
	lock := func(ms int64) *native.Status {
		if w == nil {
			return native.Fl_lock(l.handle, mode, ms)
		}
		w.SetTimeout_ms(ms)
		return native.Fl_lock_with(l.handle, mode, w)
	}
	if timeout != 0 {
		return lock(timeoutMillis(timeout))
	}
	for {
		st := lock(foreverSlice)
		if st == nil || st.Code != native.FL_ETIMEOUT {
			return st
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
	if h := takeIdle(l.key); h != nil {
		l.handle = h
		return nil
	}
	opts := nativeLockOptions(l.opts)
	defer native.DeleteFl_lock_options(opts)
	var h uintptr
	if err := statusError(native.Fl_open(&h, l.path, opts), "lock", l.path); err != nil {
		return err
	}
	l.handle = native.SwigcptrFl_handle(h)
	if l.lockPath == "" {
		l.lockPath = native.Fl_lock_path(l.handle)
	}
	return nil
}

// idleLocked gives the handle, unlocked and without a pending cancel, back to the pool.
func (l *Lock) idleLocked() {
	if l.lockPath == "" {
		l.lockPath = native.Fl_lock_path(l.handle)
	}
	putIdle(l.key, l.handle)
	l.handle = nil
}

// dropLocked closes the handle after a wait that failed or was canceled: only a handle
// that was cleanly unlocked goes back to the pool, never one a wait may still be using.
func (l *Lock) dropLocked() {
	if l.lockPath == "" {
		l.lockPath = native.Fl_lock_path(l.handle)
	}
	native.Fl_close(l.handle)
	l.handle = nil
}

// releaseLocked unlocks the held lock and lets go of its handle.
func (l *Lock) releaseLocked() error {
	l.stopWatchLocked()
	st := native.Fl_unlock(l.handle)
	l.held = false
	if st != nil {
		// Broken by another process (lock-file backends): this handle is done with.
		native.Fl_close(l.handle)
		l.handle = nil
		return statusError(st, "unlock", l.path)
	}
	l.idleLocked()
	return nil
}

// Unlock releases the lock; nil if nothing is held (as gofrs/flock). An error means
// the lock was broken by another process while held (lock-file backends only).
func (l *Lock) Unlock() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.held {
		return nil
	}
	return l.releaseLocked()
}

// Locked reports whether this Lock holds an exclusive lock (gofrs/flock's meaning).
func (l *Lock) Locked() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held && l.mode == Exclusive
}

// RLocked reports whether this Lock holds a shared lock.
func (l *Lock) RLocked() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held && l.mode == Shared
}

// LockPath is the lock file's path, or "" before the first Lock.
func (l *Lock) LockPath() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lockPath
}

// Close releases the lock if held and closes the lock file, with the released handles
// of this path and options kept for reuse (so the folder can be removed, on Windows
// too). The Lock cannot be used again: a Lock call waiting on it returns at once with an error matching ErrClosed.
func (l *Lock) Close() error {
	l.waitMu.Lock()
	if !l.closing {
		close(l.quit)
		l.endCallerWait()
	}
	l.closing = true
	if l.waiting != nil {
		native.Fl_cancel(l.waiting)
	}
	l.waitMu.Unlock()

	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopWatchLocked()
	if l.handle != nil {
		native.Fl_close(l.handle)
		l.handle = nil
	}
	dropIdle(l.key)
	l.held = false
	l.closed = true
	runtime.SetFinalizer(l, nil)
	return nil
}
