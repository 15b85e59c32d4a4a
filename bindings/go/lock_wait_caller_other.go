//go:build !linux

package filelock

import (
	"context"
	"time"
)

// Elsewhere a goroutine of its own blocks in flock (lock_wait.go): the descriptor swap
// that ends a caller's own flock wait (lock_wait_caller_linux.go) needs Linux's dup3
// and tgkill.
const callerWaits = false

type callerWait struct{}

func canWaitInCaller() bool { return false }

func (l *Lock) waitInCaller(ctx context.Context, mode LockType, timeout time.Duration, fd int) (flockWaitResult, error) {
	panic("unreachable")
}

func (l *Lock) endCallerWait() {}
