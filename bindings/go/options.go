package filelock

import (
	"time"

	"filelock.dev/filelock/internal/native"
)

// LockType is the kind of lock: Exclusive (one holder) or Shared (many readers).
type LockType int

const (
	Exclusive LockType = iota // write lock: one holder, excludes readers and writers
	Shared                    // read lock: many holders, excludes writers
)

// Backend is the lock mechanism. BackendAuto picks the kernel lock that works on the
// path's filesystem.
type Backend int

const (
	BackendAuto     Backend = 0
	BackendFlock    Backend = 1 // flock(2): interoperates with flock(1) and other flock users
	BackendOFD      Backend = 2 // Linux open-file-description locks
	BackendPOSIX    Backend = 3 // classic fcntl record locks (NFS)
	BackendLockFile Backend = 4 // O_EXCL lock file; exclusive only
	BackendLockDir  Backend = 5 // mkdir lock directory; exclusive only
)

// DefaultTimeout is how long New, WithReadLock and WithWriteLock wait for the lock.
const DefaultTimeout = 30 * time.Second

// Options configures a Lock.
type Options struct {
	// Timeout: positive waits up to that long (ErrTimeout), zero waits until acquired,
	// negative tries once (ErrBusy, which also matches ErrTimeout).
	Timeout time.Duration
	// LockType is Exclusive (the zero value) or Shared.
	LockType LockType
	// LockDir holds the lock file; empty: "<path>.lock" beside the path.
	LockDir string
	// RetryDelay is how often lock-file backends re-check where no wake-up exists (a
	// holder on another host); kernel locks wake waiters at release and ignore it.
	// Zero: the library default (100ms).
	RetryDelay time.Duration
	// Backend is the lock mechanism; the zero value picks one.
	Backend Backend
	// Owner is a label recorded with an exclusive holder, shown by lock queries.
	Owner string
	// NoSidecar locks the path itself instead of "<path>.lock", as flock(1),
	// gofrs/flock, Go's lockedfile and py-filelock lock the path they are given: set it
	// to exclude them on that file. Kernel backends only (LOCKFILE/LOCKDIR delete their
	// lock, so they refuse it); not for OpenState, whose lock must be a sidecar.
	NoSidecar bool
}

// nativeLockOptions builds the C options; the caller frees them with
// native.DeleteFl_lock_options.
func nativeLockOptions(o Options) native.Fl_lock_options {
	n := native.NewFl_lock_options()
	n.SetBackend(int(o.Backend))
	if o.LockDir != "" {
		n.SetLock_dir(o.LockDir)
	}
	if o.Owner != "" {
		n.SetOwner(o.Owner)
	}
	if o.NoSidecar {
		n.SetSidecar(0)
	}
	if o.RetryDelay > 0 {
		n.SetRetry_interval_ms(int(ceilMillis(o.RetryDelay)))
	}
	return n
}

// timeoutMillis maps a non-zero timeout onto fl_lock's timeout_ms: positive waits,
// negative tries once. (Zero, wait forever, is Lock.lockNative's loop.)
func timeoutMillis(d time.Duration) int64 {
	if d > 0 {
		return ceilMillis(d)
	}
	return int64(native.FL_NOWAIT)
}

// ceilMillis rounds up, so a short positive duration never becomes "no wait".
func ceilMillis(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

func (t LockType) mode() int {
	if t == Shared {
		return native.FL_SHARED
	}
	return native.FL_EXCLUSIVE
}
