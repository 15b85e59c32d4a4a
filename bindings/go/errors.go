package filelock

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"filelock.dev/filelock/internal/native"
)

// Code is a filelock status code. Codes are stable: they are never renumbered.
type Code int

// The status codes of the C library (filelock.h).
const (
	CodeInvalid       Code = -1
	CodeNoMemory      Code = -2
	CodeIO            Code = -3
	CodePermission    Code = -4
	CodeNotFound      Code = -5
	CodeBusy          Code = -6
	CodeTimeout       Code = -7
	CodeAlreadyLocked Code = -8
	CodeNotLocked     Code = -9
	CodeDeadlock      Code = -10
	CodeCanceled      Code = -11
	CodeUnsupported   Code = -12
	CodeCorrupt       Code = -13
	CodeValidation    Code = -14
	CodeConflict      Code = -15
	CodeRange         Code = -16
	CodeNoSpace       Code = -17
)

// Sentinels for errors.Is. An *Error matches the one for its Code.
var (
	ErrInvalid       = errors.New("filelock: invalid argument")
	ErrNoMemory      = errors.New("filelock: out of memory")
	ErrIO            = errors.New("filelock: I/O error")
	ErrPermission    = errors.New("filelock: permission denied")
	ErrNotFound      = errors.New("filelock: not found")
	ErrBusy          = errors.New("filelock: lock is held")
	ErrTimeout       = errors.New("filelock: timed out waiting for the lock")
	ErrAlreadyLocked = errors.New("filelock: already locked by this lock")
	ErrNotLocked     = errors.New("filelock: not locked")
	ErrDeadlock      = errors.New("filelock: waiting would deadlock")
	ErrCanceled      = errors.New("filelock: wait canceled")
	ErrUnsupported   = errors.New("filelock: not supported")
	ErrCorrupt       = errors.New("filelock: file is corrupt")
	ErrValidation    = errors.New("filelock: document does not satisfy the schema")
	ErrConflict      = errors.New("filelock: the state changed since it was read")
	ErrRange         = errors.New("filelock: value out of range")
	ErrNoSpace       = errors.New("filelock: no space left")
	ErrClosed        = errors.New("filelock: used after Close")
)

var sentinels = map[Code]error{
	CodeInvalid:       ErrInvalid,
	CodeNoMemory:      ErrNoMemory,
	CodeIO:            ErrIO,
	CodePermission:    ErrPermission,
	CodeNotFound:      ErrNotFound,
	CodeBusy:          ErrBusy,
	CodeTimeout:       ErrTimeout,
	CodeAlreadyLocked: ErrAlreadyLocked,
	CodeNotLocked:     ErrNotLocked,
	CodeDeadlock:      ErrDeadlock,
	CodeCanceled:      ErrCanceled,
	CodeUnsupported:   ErrUnsupported,
	CodeCorrupt:       ErrCorrupt,
	CodeValidation:    ErrValidation,
	CodeConflict:      ErrConflict,
	CodeRange:         ErrRange,
	CodeNoSpace:       ErrNoSpace,
}

// Error is a failed filelock call.
type Error struct {
	Code    Code   // the library's status code
	Op      string // the operation that failed, e.g. "lock", "state update"
	Path    string // the path the call was about, if any
	Message string // the library's message: operation, path and OS reason
	Err     error  // the Go-side cause (JSON encoding, a callback's error), if any
	// The OS error behind the failure (0: none) and the file it was about (the lock
	// file, a backup...; "" if the library named none).
	Errno  syscall.Errno
	OSPath string
}

func (e *Error) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("%s '%s': %s", e.Op, e.Path, native.Fl_strerror(int(e.Code)))
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel for e.Code, and the standard errors that mean the same:
// fs.ErrNotExist, fs.ErrPermission, context.Canceled. A try-lock that found the lock
// held (ErrBusy) also matches ErrTimeout: it is a wait of zero length that timed out.
//
// Where the OS caused the failure, e also matches its syscall.Errno
// (errors.Is(err, syscall.ENOENT)) and errors.As finds an *fs.PathError for it.
func (e *Error) Is(target error) bool {
	if sentinels[e.Code] == target {
		return true
	}
	if e.Errno != 0 {
		if errno, ok := target.(syscall.Errno); ok && errno == e.Errno {
			return true
		}
	}
	switch e.Code {
	case CodeBusy:
		return target == ErrTimeout
	case CodeNotFound:
		return target == fs.ErrNotExist
	case CodePermission:
		return target == fs.ErrPermission
	case CodeCanceled:
		// A context's deadline wraps context.DeadlineExceeded instead (Unwrap).
		return target == context.Canceled && (e.Err == nil || errors.Is(e.Err, context.Canceled))
	}
	return false
}

// As gives the *fs.PathError of a failure the OS caused, as package os would return it.
func (e *Error) As(target any) bool {
	if pe, ok := target.(**fs.PathError); ok && e.Errno != 0 {
		path := e.OSPath
		if path == "" {
			path = e.Path
		}
		*pe = &fs.PathError{Op: e.Op, Path: path, Err: e.Errno}
		return true
	}
	return false
}

// statusError turns a native status into an *Error, or nil for success.
func statusError(st *native.Status, op, path string) error {
	if st == nil {
		return nil
	}
	return &Error{Code: Code(st.Code), Op: op, Path: path, Message: st.Message,
		Errno: osErrno(st.Errno), OSPath: st.Path}
}

// canceledError is a wait ended because ctx was done; it wraps ctx's error. detail is
// the library's message, if the library ended the wait.
func canceledError(op, path string, ctxErr error, detail string) error {
	msg := fmt.Sprintf("%s '%s': %v", op, path, ctxErr)
	if detail != "" {
		msg += " (" + detail + ")"
	}
	return &Error{Code: CodeCanceled, Op: op, Path: path, Err: ctxErr, Message: msg}
}

// goError is a failure found on the Go side (bad argument, JSON encoding).
func goError(code Code, op, path string, err error) error {
	return &Error{Code: code, Op: op, Path: path, Err: err,
		Message: fmt.Sprintf("%s '%s': %v", op, path, err)}
}
