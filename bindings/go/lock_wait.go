package filelock

import (
	"context"
	"sync/atomic"
	"syscall"
	"time"

	"filelock.dev/filelock/internal/native"
)

// A goroutine waits for a FLOCK or OFD lock in a blocking flock(2) on the handle's
// descriptor (fl_wait_fd), as gofrs/flock's Lock does, instead of in fl_lock, which
// would start a C waiter thread for each wait and wake the caller through it: each
// blocked goroutine then costs one OS thread, not two, and a release wakes it directly.
// The library then finishes the acquisition (fl_lock_waited: the OFD lock on top, a
// replaced lock file, the holder record) and words its errors, so the wait rules stay
// in one place.
//
// On Linux the caller's goroutine blocks itself (lock_wait_caller_linux.go says how a
// timeout, ctx or Close still end it). Elsewhere a goroutine of its own blocks, since a
// goroutine blocked in flock cannot be interrupted: a wait that ends first (ctx, the
// timeout, Close) abandons it with its handle, and when it gets the lock it lets go at
// once and closes the handle. Until then it is parked on the Lock, and the Lock's next
// wait in the same mode takes it over instead of starting another, so a caller retrying
// with short timeouts keeps one blocked goroutine per Lock and mode, not one per attempt
// (the C library's ParkedWait does the same for its waiter threads).

// The states of a flockWait; each change is one compare-and-swap, so the waiting goroutine
// and the Lock agree on who owns the result and the handle.
const (
	flockWaiting   int32 = iota // a Lock waits for the result
	flockDone                   // the goroutine finishes the lock and sends the result
	flockAbandoned              // nobody waits: the goroutine lets go and closes h
	flockEnded                  // it did
)

type flockWait struct {
	h     native.Fl_handle
	fd    int
	mode  LockType
	state int32
	done  chan *native.Status // fl_lock_waited's result, once, after waiting -> done
}

func startFlockWait(h native.Fl_handle, fd int, mode LockType) *flockWait {
	w := &flockWait{h: h, fd: fd, mode: mode, done: make(chan *native.Status, 1)}
	go w.run()
	return w
}

// run blocks in flock and, when it returns, finishes the lock itself before waking the
// Lock: on the thread the kernel just woke, with nothing to wait for in between.
func (w *flockWait) run() {
	err := flockBlocking(w.fd, w.mode == Shared)
	for {
		switch atomic.LoadInt32(&w.state) {
		case flockWaiting:
			if atomic.CompareAndSwapInt32(&w.state, flockWaiting, flockDone) {
				errno := 0
				if err != nil {
					errno = int(err.(syscall.Errno))
				}
				w.done <- native.Fl_lock_waited(w.h, w.mode.mode(), 0, errno)
				return
			}
		case flockAbandoned:
			if atomic.CompareAndSwapInt32(&w.state, flockAbandoned, flockEnded) {
				if err == nil {
					flockUnlock(w.fd)
				}
				native.Fl_close(w.h)
				return
			}
		}
	}
}

// abandon gives the goroutine its handle to release and close; false if it claimed its
// result for done (then the result is the caller's, handle and all).
func (w *flockWait) abandon() bool {
	return atomic.CompareAndSwapInt32(&w.state, flockWaiting, flockAbandoned)
}

// resume takes an abandoned wait back; false if it ended.
func (w *flockWait) resume() bool {
	return atomic.CompareAndSwapInt32(&w.state, flockAbandoned, flockWaiting)
}

// waitInCallerOn: the caller's goroutine blocks in flock itself where the system allows
// (lock_wait_caller_linux.go); tests turn it off to exercise the goroutine way too.
var waitInCallerOn = callerWaits

// flockWaitResult is how waitFlock ended.
type flockWaitResult int

const (
	flockGot      flockWaitResult = iota // held: on_acquired ran in the library
	flockFallBack                        // nothing held; wait the library's way
	flockFailed                          // err says why; nothing held
)

// waitFlock waits for l.handle's lock in a goroutine of its own, after a try found it
// busy. fd is fl_wait_fd's descriptor. Called with l.mu held; l.handle may be swapped for
// a parked wait's handle, or be nil afterwards (abandoned with its wait).
func (l *Lock) waitFlock(ctx context.Context, mode LockType, timeout time.Duration, fd int) (flockWaitResult, error) {
	if waitInCallerOn && canWaitInCaller() {
		return l.waitInCaller(ctx, mode, timeout, fd)
	}
	w := l.parked[mode]
	l.parked[mode] = nil
	if w != nil && w.resume() {
		putIdle(l.key, l.handle) // tried once, clean: the parked wait's handle takes over
		l.handle = w.h
	} else {
		w = startFlockWait(l.handle, fd, mode)
	}

	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	var st *native.Status
	select {
	case st = <-w.done:
	case <-ctx.Done():
		if w.abandon() {
			l.park(w)
			return flockFailed, ctx.Err()
		}
		st = <-w.done
	case <-expired:
		// Worded before the handle goes: the abandoned goroutine closes it.
		timedOut := native.Fl_lock_waited(w.h, mode.mode(), timeoutMillis(timeout), int(native.FL_ETIMEOUT))
		if w.abandon() {
			l.park(w)
			return flockFailed, statusError(timedOut, "lock", l.path)
		}
		st = <-w.done
	case <-l.quit:
		if w.abandon() {
			l.handle = nil // closed by the goroutine
			return flockFailed, goError(CodeInvalid, "lock", l.path, ErrClosed)
		}
		st = <-w.done
	}

	if st == nil {
		return flockGot, nil
	}
	if st.Code == native.FL_EBUSY {
		return flockFallBack, nil
	}
	return flockFailed, statusError(st, "lock", l.path)
}

// park keeps an abandoned wait for the Lock's next wait in its mode; one left there
// from before (its Lock took another path meanwhile) just ends by itself.
func (l *Lock) park(w *flockWait) {
	l.handle = nil // the goroutine's now
	l.parked[w.mode] = w
}
