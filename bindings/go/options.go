package filelock

import (
	"io/fs"
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
	// FileMode is the permission bits of a lock file this Lock creates (the umask
	// applies; an existing file keeps its own); zero: 0644. Anything beyond the
	// permission bits (fs.ModePerm, setuid, setgid, sticky) is ErrInvalid at Lock.
	FileMode fs.FileMode
	// Etcd holds an etcd:// name's connection settings, as an alternative to the name's
	// query; a file path refuses any of them (ErrInvalid).
	Etcd EtcdOptions
}

// EtcdOptions are the connection settings of an etcd:// name ("etcd://host:port/prefix/name")
// given as options instead of in the name's query (ttl=, dial_timeout=, ...). The zero
// value of each leaves it unset: the name's setting or the library default applies. A
// setting given both here and in the name must agree (ErrInvalid naming both).
type EtcdOptions struct {
	TTL            time.Duration // lease TTL: whole seconds, >= 1s (default 5s)
	DialTimeout    time.Duration // one TCP connect (default 2s)
	RequestTimeout time.Duration // one request, failovers included (default 5s)
	TLSCA          string        // CA file; turns TLS on
	TLSCert        string        // client certificate file, with TLSKey
	TLSKey         string        // its key file
	User           string        // password authentication, with PasswordFile
	PasswordFile   string        // file whose first line is the password
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
	if o.FileMode != 0 {
		n.SetFile_mode(unixMode(o.FileMode))
	}
	if o.RetryDelay > 0 {
		n.SetRetry_interval_ms(int(ceilMillis(o.RetryDelay)))
	}
	applyEtcdOptions(n, o.Etcd)
	return n
}

// applyEtcdOptions sets the fields of the settings given; a negative duration reaches
// the library, which refuses it naming the field.
func applyEtcdOptions(n native.Fl_lock_options, e EtcdOptions) {
	if e.TTL != 0 {
		n.SetEtcd_ttl_ms(int64(e.TTL / time.Millisecond))
	}
	if e.DialTimeout != 0 {
		n.SetEtcd_dial_timeout_ms(ceilMillis(e.DialTimeout))
	}
	if e.RequestTimeout != 0 {
		n.SetEtcd_request_timeout_ms(ceilMillis(e.RequestTimeout))
	}
	for _, s := range []struct {
		value string
		set   func(string)
	}{
		{e.TLSCA, n.SetEtcd_tls_ca}, {e.TLSCert, n.SetEtcd_tls_cert}, {e.TLSKey, n.SetEtcd_tls_key},
		{e.User, n.SetEtcd_user}, {e.PasswordFile, n.SetEtcd_password_file},
	} {
		if s.value != "" {
			s.set(s.value)
		}
	}
}

// unixMode is m as a mode_t: Go keeps setuid, setgid and sticky outside the low bits.
func unixMode(m fs.FileMode) uint {
	u := uint(m.Perm())
	if m&fs.ModeSetuid != 0 {
		u |= 04000
	}
	if m&fs.ModeSetgid != 0 {
		u |= 02000
	}
	if m&fs.ModeSticky != 0 {
		u |= 01000
	}
	if m&^(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
		u |= 1 << 16 // beyond 07777: the library refuses it
	}
	return u
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
