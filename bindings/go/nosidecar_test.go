//go:build linux

package filelock

import (
	"bufio"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// flock(1) locks the path it is given; Options.NoSidecar locks that same file, so the
// two exclude each other both ways.
func TestNoSidecarExcludesFlock1BothWays(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("util-linux flock(1) not installed")
	}
	path := filepath.Join(t.TempDir(), "job.lock")
	tryFlock := func() int {
		err := exec.Command("flock", "-n", path, "true").Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	}

	// filelock holds, flock(1) asks.
	h := startHelper(t, "hold", path, "nosidecar")
	h.expectLine(t, "locked")
	if rc := tryFlock(); rc != 1 {
		t.Fatalf("flock -n while filelock holds: exit %d, want 1", rc)
	}
	waiter := exec.Command("flock", path, "-c", "echo locked")
	out, err := waiter.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := waiter.Start(); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() { line, _ := bufio.NewReader(out).ReadString('\n'); got <- line }()
	select {
	case line := <-got:
		t.Fatalf("flock(1) waiter got the lock while filelock held it: %q", line)
	case <-time.After(300 * time.Millisecond):
	}
	h.release(t)
	select {
	case line := <-got:
		if strings.TrimSpace(line) != "locked" {
			t.Fatalf("flock(1) waiter said %q", line)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("flock(1) waiter not woken by the release")
	}
	waiter.Wait()

	// flock(1) holds, filelock asks.
	holder := exec.Command("flock", path, "-c", "echo locked; cat >/dev/null")
	stdin, _ := holder.StdinPipe()
	hout, _ := holder.StdoutPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	if line, _ := bufio.NewReader(hout).ReadString('\n'); strings.TrimSpace(line) != "locked" {
		t.Fatalf("flock(1) holder said %q", line)
	}
	try := NewWithOptions(path, Options{NoSidecar: true, Timeout: -1})
	defer try.Close()
	if err := try.Lock(); !errors.Is(err, ErrBusy) {
		t.Fatalf("try while flock(1) holds: %v, want ErrBusy", err)
	}
	if try.LockPath() != path {
		t.Fatalf("LockPath %q, want the path itself %q", try.LockPath(), path)
	}
	wait := NewWithOptions(path, Options{NoSidecar: true, Timeout: 30 * time.Second})
	defer wait.Close()
	done := make(chan error, 1)
	go func() { done <- wait.Lock() }()
	select {
	case err := <-done:
		t.Fatalf("filelock waiter returned while flock(1) held the lock: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	stdin.Close()
	if err := <-done; err != nil {
		t.Fatalf("filelock waiter after flock(1) released: %v", err)
	}
	wait.Unlock()
}
