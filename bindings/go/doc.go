// Package filelock offers cross-process file locks and crash-safe JSON state files,
// shared with programs in other languages that use the filelock C library.
//
// Locks (New, NewWithOptions, WithReadLock, WithWriteLock) are kernel locks on a lock
// file beside the protected path: they exclude other processes and other goroutines that
// use their own Lock, vanish when the holder dies, and wake a waiter the moment the
// holder releases. State (OpenState) is a JSON document replaced atomically under an
// exclusive lock, with backups, an audit log and verification.
//
// Every failure is an *Error whose message names the operation, the path and the
// reason; compare it with errors.Is against the Err* values.
package filelock
