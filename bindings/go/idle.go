package filelock

import (
	"fmt"
	"sync"

	"filelock.dev/filelock/internal/native"
)

// Released lock handles wait here for the next Lock on the same path and options, so
// a Lock keeps no descriptor while idle, yet locking a path again does not re-open its
// lock file. Bounded: past the bounds a released handle is closed.
const (
	maxIdlePerKey = 4
	maxIdle       = 64
)

var idle struct {
	sync.Mutex
	handles map[string][]native.Fl_handle
	n       int
}

// idleKey names what a handle was opened with: the path and every option that reaches
// fl_open (the timeout and mode are per call).
func idleKey(path string, o Options) string {
	o.Timeout, o.LockType = 0, Exclusive
	return fmt.Sprintf("%q %#v", path, o)
}

func takeIdle(key string) native.Fl_handle {
	idle.Lock()
	defer idle.Unlock()
	list := idle.handles[key]
	if len(list) == 0 {
		return nil
	}
	h := list[len(list)-1]
	if len(list) == 1 {
		delete(idle.handles, key)
	} else {
		idle.handles[key] = list[:len(list)-1]
	}
	idle.n--
	return h
}

func putIdle(key string, h native.Fl_handle) {
	idle.Lock()
	if idle.n < maxIdle && len(idle.handles[key]) < maxIdlePerKey {
		if idle.handles == nil {
			idle.handles = map[string][]native.Fl_handle{}
		}
		idle.handles[key] = append(idle.handles[key], h)
		idle.n++
		idle.Unlock()
		return
	}
	idle.Unlock()
	native.Fl_close(h)
}

// dropIdle closes the idle handles of key: Close leaves no descriptor open on the path,
// so its folder can be removed (on Windows an open handle keeps a deleted name listed).
func dropIdle(key string) {
	idle.Lock()
	list := idle.handles[key]
	delete(idle.handles, key)
	idle.n -= len(list)
	idle.Unlock()
	for _, h := range list {
		native.Fl_close(h)
	}
}
