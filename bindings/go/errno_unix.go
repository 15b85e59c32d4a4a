//go:build !windows

package filelock

import "syscall"

// osErrno is the library's errno value as this platform's syscall.Errno.
func osErrno(n int) syscall.Errno { return syscall.Errno(n) }
