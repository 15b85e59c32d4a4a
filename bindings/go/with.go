package filelock

// WithReadLock runs fn holding a shared lock on path (waiting up to DefaultTimeout)
// and releases it however fn returns. fn's error is returned as is.
func WithReadLock(path string, fn func() error) error {
	return withLock(path, Shared, fn)
}

// WithWriteLock runs fn holding an exclusive lock on path (waiting up to
// DefaultTimeout) and releases it however fn returns. fn's error is returned as is.
func WithWriteLock(path string, fn func() error) error {
	return withLock(path, Exclusive, fn)
}

func withLock(path string, t LockType, fn func() error) error {
	l := NewWithOptions(path, Options{Timeout: DefaultTimeout, LockType: t})
	defer l.Close()
	if err := l.Lock(); err != nil {
		return err
	}
	return fn()
}
