package filelock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestErrorMissingDirectoryNamesPathAndMatchesSentinels(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-dir", "data.json")
	err := NewWithOptions(path, Options{Timeout: -1}).Lock()

	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("got %v (%T), want *Error", err, err)
	}
	if fe.Code != CodeNotFound || !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got code %d (%v), want CodeNotFound matching ErrNotFound and fs.ErrNotExist", fe.Code, err)
	}
	if errors.Is(err, ErrTimeout) || errors.Is(err, ErrBusy) {
		t.Fatalf("%v matches an unrelated sentinel", err)
	}
	if !strings.Contains(err.Error(), path) || fe.Op != "lock" || fe.Path != path {
		t.Fatalf("error %q (op %q, path %q) does not name the operation and %s", err, fe.Op, fe.Path, path)
	}
}

// Each goroutine fails on its own path many times over while the others do too; Go
// moves goroutines between OS threads, so a message read in a second cgo call would
// sometimes be another goroutine's. Every message must name this call's path.
func TestErrorMessageIsThisCallsUnderConcurrency(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	failures := make(chan string, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			path := filepath.Join(dir, fmt.Sprintf("missing-%d", g), "x")
			for i := 0; i < 200; i++ {
				err := NewWithOptions(path, Options{Timeout: -1}).Lock()
				if err == nil || !strings.Contains(err.Error(), path) {
					failures <- fmt.Sprintf("goroutine %d: %v", g, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
}

func TestErrorCanceledMatchesContextCanceled(t *testing.T) {
	err := &Error{Code: CodeCanceled, Op: "lock", Path: "p"}
	if !errors.Is(err, ErrCanceled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("%v should match ErrCanceled and context.Canceled", err)
	}
	if err.Error() == "" || !strings.Contains(err.Error(), "'p'") {
		t.Fatalf("message %q without the library's text should still name the path", err.Error())
	}
}

func TestErrorGoSideCauseUnwraps(t *testing.T) {
	st := openTestState(t, StateOptions{})
	err := st.Write(func() {}) // functions cannot be encoded as JSON
	var jerr *json.UnsupportedTypeError
	if !errors.Is(err, ErrInvalid) || !errors.As(err, &jerr) {
		t.Fatalf("got %v, want ErrInvalid wrapping *json.UnsupportedTypeError", err)
	}
	if !strings.Contains(err.Error(), st.Path()) {
		t.Fatalf("%v should name the path", err)
	}
}

// A failure the OS caused carries its errno: the standard ways of asking work.
func TestErrorCarriesTheOSError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-dir", "data.json")
	err := NewWithOptions(path, Options{Timeout: -1}).Lock()
	if !errors.Is(err, notFoundErrno) {
		t.Fatalf("errors.Is(%v, %v) = false", err, notFoundErrno)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Err != notFoundErrno || pe.Path != path+".lock" || pe.Op != "lock" {
		t.Fatalf("errors.As *fs.PathError: %#v", pe)
	}
	var fe *Error
	if !errors.As(err, &fe) || fe.Errno != notFoundErrno {
		t.Fatalf("*Error without the errno: %#v", fe)
	}

	// A busy lock is not an OS failure: no errno, no PathError.
	held := filepath.Join(t.TempDir(), "held")
	a := New(held)
	defer a.Close()
	if err := a.Lock(); err != nil {
		t.Fatal(err)
	}
	b := NewWithOptions(held, Options{Timeout: -1})
	defer b.Close()
	err = b.Lock()
	if !errors.Is(err, ErrBusy) || errors.As(err, &pe) {
		t.Fatalf("busy lock: %v (PathError %v)", err, pe)
	}
}
