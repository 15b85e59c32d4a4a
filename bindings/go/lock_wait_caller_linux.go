package filelock

import (
	"context"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"filelock.dev/filelock/internal/native"
)

// On Linux the calling goroutine blocks in flock(2) itself, exactly as gofrs/flock's
// Lock does, so a release wakes the very goroutine that returns from Lock: no second
// goroutine to wake, no thread left behind.
//
// A flock(2) wait cannot be cut short, but it can be made to succeed at once on
// another file: a wait that must end (the timeout, ctx, Close) puts a private pipe in
// place of the handle's file in the descriptor the goroutine waits on (dup3), then sends
// its thread SIGURG, which the Go runtime itself uses to preempt goroutines and handles
// (with SA_RESTART) on every thread: the signal interrupts the flock, the kernel
// restarts the call, which looks the descriptor up again and so locks the pipe at once.
// The goroutine then puts the handle's file back and lets go of the lock it may have
// got meanwhile. No signal
// handler of ours, no polling. A program that ignores SIGURG (signal.Ignore) would not
// see its flock interrupted: there a goroutine of its own waits (lock_wait.go).

const callerWaits = true

// canWaitInCaller: SIGURG reaches a thread blocked in flock (it is not ignored).
func canWaitInCaller() bool { return !signal.Ignored(syscall.SIGURG) }

// waitReason says what ended a callerWait early.
type waitReason int

const (
	waitTimedOut waitReason = iota + 1
	waitCanceled
	waitClosed
)

type callerWait struct {
	fd, tid int

	mu       sync.Mutex
	finished bool       // the flock call returned
	backup   int        // the handle's file while the pipe stands in for it; -1 if not
	why      waitReason // set with backup
}

// end makes the blocked flock return (see above); a no-op once it has, or if already ended.
func (w *callerWait) end(why waitReason) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.finished || w.backup >= 0 {
		return
	}
	backup, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(w.fd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return // out of descriptors: the wait goes on until the release
	}
	var p [2]int
	if syscall.Pipe2(p[:], syscall.O_CLOEXEC) != nil {
		syscall.Close(int(backup))
		return
	}
	syscall.Dup3(p[0], w.fd, syscall.O_CLOEXEC)
	syscall.Close(p[0])
	syscall.Close(p[1])
	w.backup, w.why = int(backup), why
	syscall.Tgkill(syscall.Getpid(), w.tid, syscall.SIGURG)
}

// waitInCaller blocks the calling goroutine in flock on fd, the handle's descriptor,
// after a try found the lock busy. Called with l.mu held.
func (l *Lock) waitInCaller(ctx context.Context, mode LockType, timeout time.Duration, fd int) (flockWaitResult, error) {
	runtime.LockOSThread() // the thread end() signals
	w := &callerWait{fd: fd, tid: syscall.Gettid(), backup: -1}
	l.waitMu.Lock()
	if l.closing {
		l.waitMu.Unlock()
		runtime.UnlockOSThread()
		return flockFailed, goError(CodeInvalid, "lock", l.path, ErrClosed)
	}
	l.inFlock = w
	l.waitMu.Unlock()
	var timer *time.Timer
	if timeout > 0 {
		timer = time.AfterFunc(timeout, func() { w.end(waitTimedOut) })
	}
	var stop chan struct{}
	if ctx.Done() != nil {
		stop = make(chan struct{})
		go func() {
			select {
			case <-ctx.Done():
				w.end(waitCanceled)
			case <-stop:
			}
		}()
	}

	err := flockBlocking(fd, mode == Shared)

	runtime.UnlockOSThread()
	w.mu.Lock()
	w.finished = true
	backup, why := w.backup, w.why
	w.mu.Unlock()
	if timer != nil {
		timer.Stop()
	}
	l.waitMu.Lock()
	l.inFlock = nil
	l.waitMu.Unlock()
	if stop != nil {
		close(stop)
	}
	if backup >= 0 {
		// Ended early: the handle's file goes back, and whatever the flock got is let go
		// (the pipe's lock closes with it; the lock file's, if granted just before).
		syscall.Dup3(backup, fd, syscall.O_CLOEXEC)
		syscall.Close(backup)
		flockUnlock(fd)
		switch why {
		case waitTimedOut:
			st := native.Fl_lock_waited(l.handle, mode.mode(), timeoutMillis(timeout), int(native.FL_ETIMEOUT))
			return flockFailed, statusError(st, "lock", l.path)
		case waitCanceled:
			return flockFailed, ctx.Err()
		default:
			return flockFailed, goError(CodeInvalid, "lock", l.path, ErrClosed)
		}
	}
	errno := 0
	if err != nil {
		errno = int(err.(syscall.Errno))
	}
	if st := native.Fl_lock_waited(l.handle, mode.mode(), 0, errno); st != nil {
		if st.Code == native.FL_EBUSY {
			return flockFallBack, nil
		}
		return flockFailed, statusError(st, "lock", l.path)
	}
	return flockGot, nil
}

// endCallerWait ends the flock wait in progress, if any; called with l.waitMu held.
func (l *Lock) endCallerWait() {
	if l.inFlock != nil {
		l.inFlock.end(waitClosed)
	}
}
