//go:build !windows

package filelock

import "syscall"

func limitDescriptors(n uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	lim.Cur = n
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}

// The errno the library reports for a missing file, as this platform's syscall.Errno.
const notFoundErrno = syscall.ENOENT
