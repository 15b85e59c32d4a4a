package filelock

import (
	"fmt"
	"io/fs"
	"strings"
	"syscall"
)

// checkPaths refuses a path with an embedded NUL byte as os.OpenFile does (an
// *fs.PathError wrapping syscall.EINVAL, inside an *Error matching ErrInvalid): the C
// library takes C strings and would act on the path cut at the NUL, a different file.
// Empty paths are skipped, as options use "" for "not set".
func checkPaths(op string, paths ...string) error {
	for _, p := range paths {
		if strings.IndexByte(p, 0) < 0 {
			continue
		}
		return &Error{Code: CodeInvalid, Op: op, Path: p,
			Err:     &fs.PathError{Op: op, Path: p, Err: syscall.EINVAL},
			Message: fmt.Sprintf("%s %q: the path contains a NUL byte", op, p)}
	}
	return nil
}
