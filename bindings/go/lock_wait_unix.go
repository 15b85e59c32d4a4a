//go:build !windows

package filelock

import "syscall"

// flockBlocking is gofrs/flock's blocking call: flock(2), again after a signal.
func flockBlocking(fd int, shared bool) error {
	how := syscall.LOCK_EX
	if shared {
		how = syscall.LOCK_SH
	}
	for {
		err := syscall.Flock(fd, how)
		if err != syscall.EINTR {
			return err
		}
	}
}

func flockUnlock(fd int) { syscall.Flock(fd, syscall.LOCK_UN) }
