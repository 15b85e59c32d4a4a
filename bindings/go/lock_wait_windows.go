package filelock

import "syscall"

// Never called: fl_wait_fd is -1 on Windows (LockFileEx waits in fl_lock).
func flockBlocking(fd int, shared bool) error { return syscall.EWINDOWS }

func flockUnlock(fd int) {}
