// Package flock is gofrs/flock's API on the filelock library: a program switches by
// changing its import path from "github.com/gofrs/flock" to "filelock.dev/filelock/flock".
//
// As with gofrs/flock, a Flock locks the file at its path (created if missing, 0600 by
// default, its contents never touched), so it excludes gofrs/flock, flock(1),
// py-filelock and every other flock(2) user of that file, processes and Flocks of this
// process alike. Errors the OS caused are package os's own (*fs.PathError around the
// errno), so os.IsNotExist, os.IsPermission, errors.Is(err, syscall.ENOENT) and
// errors.As(err, **fs.PathError) work as they do with gofrs/flock; other errors are a
// *filelock.Error.
//
// What filelock changes underneath: a waiter is woken by the release instead of
// re-trying every retryDelay (TryLockContext ignores it), and a Lock left unreleased is
// released when the Flock is garbage collected. Converting a lock (RLock while
// exclusive, Lock while shared) leaves exactly one mode held, where gofrs/flock can
// report both.
package flock

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"sync"
	"time"

	"filelock.dev/filelock"
)

// Option configures a Flock.
type Option func(f *Flock)

// SetFlag sets the flags the file is opened with before each lock, as gofrs/flock does:
// without os.O_CREATE a missing file is an error (os.IsNotExist), os.O_TRUNC empties it.
func SetFlag(flag int) Option {
	return func(f *Flock) { f.flag, f.flagSet = flag, true }
}

// SetPermissions sets the permissions of the file if a lock creates it (default 0600).
func SetPermissions(perm fs.FileMode) Option {
	return func(f *Flock) { f.perm = perm }
}

// Flock is a lock on one file. It is safe for use by several goroutines; they share
// its one hold.
type Flock struct {
	path    string
	flag    int
	flagSet bool
	perm    fs.FileMode

	m  sync.Mutex
	lk *filelock.Lock // made at the first lock, once the options are set
}

// New returns a Flock on path. Nothing is opened until a lock is taken.
func New(path string, opts ...Option) *Flock {
	f := &Flock{path: path, flag: os.O_CREATE | os.O_RDONLY, perm: 0o600}
	for _, opt := range opts {
		opt(f)
	}
	return f
}

// NewFlock returns a Flock on path.
//
// Deprecated: Use New instead (as in gofrs/flock).
func NewFlock(path string) *Flock { return New(path) }

// Path returns the path given to New.
func (f *Flock) Path() string { return f.path }

func (f *Flock) String() string { return f.path }

// Lock takes the exclusive lock, waiting as long as it takes; nil at once if it is
// held already. A shared lock held is converted.
func (f *Flock) Lock() error {
	_, err := f.take(filelock.Exclusive, func(l *filelock.Lock) (bool, error) { return waited(l.Lock()) })
	return err
}

// RLock takes a shared lock, waiting as long as it takes; nil at once if one is held.
func (f *Flock) RLock() error {
	_, err := f.take(filelock.Shared, func(l *filelock.Lock) (bool, error) { return waited(l.RLock()) })
	return err
}

// TryLock takes the exclusive lock if it is free now: (false, nil) if it is not.
func (f *Flock) TryLock() (bool, error) {
	return f.take(filelock.Exclusive, (*filelock.Lock).TryLock)
}

// TryRLock takes a shared lock if no exclusive holder has the file now.
func (f *Flock) TryRLock() (bool, error) {
	return f.take(filelock.Shared, (*filelock.Lock).TryRLock)
}

// TryLockContext waits for the exclusive lock until it is taken (true, nil) or ctx is
// done (false, ctx.Err()). The release wakes it: retryDelay is not needed.
func (f *Flock) TryLockContext(ctx context.Context, retryDelay time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return f.take(filelock.Exclusive, func(l *filelock.Lock) (bool, error) { return waited(l.LockContext(ctx)) })
}

// TryRLockContext waits for a shared lock as TryLockContext does.
func (f *Flock) TryRLockContext(ctx context.Context, retryDelay time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return f.take(filelock.Shared, func(l *filelock.Lock) (bool, error) { return waited(l.RLockContext(ctx)) })
}

// Unlock releases the lock; nil if none is held.
func (f *Flock) Unlock() error {
	f.m.Lock()
	defer f.m.Unlock()
	if f.lk == nil {
		return nil
	}
	return osError(f.lk.Unlock())
}

// Close is Unlock, as in gofrs/flock: the Flock can lock again afterwards.
func (f *Flock) Close() error { return f.Unlock() }

// Locked reports whether the exclusive lock is held.
func (f *Flock) Locked() bool {
	f.m.Lock()
	defer f.m.Unlock()
	return f.lk != nil && f.lk.Locked()
}

// RLocked reports whether a shared lock is held.
func (f *Flock) RLocked() bool {
	f.m.Lock()
	defer f.m.Unlock()
	return f.lk != nil && f.lk.RLocked()
}

// take holds mode through call, one of the Lock's calls for that mode, unless mode is
// held already: (true, nil) then, as with gofrs/flock. A done context gives ctx.Err()
// itself, as gofrs/flock does.
func (f *Flock) take(mode filelock.LockType, call func(*filelock.Lock) (bool, error)) (bool, error) {
	f.m.Lock()
	defer f.m.Unlock()
	if f.holdsLocked(mode) {
		return true, nil
	}
	if err := f.prepareLocked(); err != nil {
		return false, err
	}
	ok, err := call(f.lk)
	return ok, osError(err)
}

// waited gives a waiting call's result as a try's.
func waited(err error) (bool, error) { return err == nil, err }

func (f *Flock) holdsLocked(mode filelock.LockType) bool {
	if f.lk == nil {
		return false
	}
	if mode == filelock.Shared {
		return f.lk.RLocked()
	}
	return f.lk.Locked()
}

// prepareLocked opens the file with the flags SetFlag gave, for their effects and
// errors, and makes the lock on first use.
func (f *Flock) prepareLocked() error {
	if f.flagSet {
		fh, err := os.OpenFile(f.path, f.flag, f.perm)
		if err != nil {
			return err
		}
		fh.Close()
	}
	if f.lk == nil {
		f.lk = filelock.NewWithOptions(f.path, filelock.Options{NoSidecar: true, FileMode: f.perm})
	}
	return nil
}

// osError gives a failure the OS caused as package os would: an *fs.PathError around
// the errno, which os.IsNotExist and os.IsPermission understand.
func osError(err error) error {
	var fe *filelock.Error
	if !errors.As(err, &fe) || fe.Errno == 0 {
		return err
	}
	var pe *fs.PathError
	if errors.As(fe, &pe) {
		return pe
	}
	return err
}
