package filelock

import "syscall"

// The library reports errno values on every platform; Go's syscall.Errno on Windows is a
// Win32 error, so the common ones are mapped back (others keep their errno value, which
// then matches no Win32 constant).
var win32FromErrno = map[int]syscall.Errno{
	2:  syscall.ERROR_FILE_NOT_FOUND, // ENOENT
	13: syscall.ERROR_ACCESS_DENIED,  // EACCES
	1:  syscall.ERROR_ACCESS_DENIED,  // EPERM
	17: syscall.ERROR_FILE_EXISTS,    // EEXIST
}

// osErrno is the library's errno value as this platform's syscall.Errno.
func osErrno(n int) syscall.Errno {
	if e, ok := win32FromErrno[n]; ok {
		return e
	}
	return syscall.Errno(n)
}
