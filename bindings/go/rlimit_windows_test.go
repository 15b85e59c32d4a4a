package filelock

import "syscall"

// Windows has no descriptor limit to lower; the loop still shows no failure.
func limitDescriptors(n uint64) error { return nil }

// The errno the library reports for a missing file, as this platform's syscall.Errno.
const notFoundErrno = syscall.ERROR_FILE_NOT_FOUND
