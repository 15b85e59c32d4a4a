//go:build !windows

package filelock

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func init() {
	// etcd:// url: lock, print "locked TOKEN", and after a line on stdin say what the
	// Lock knows of its lease: its LostContext's end, Lost and Unlock's error.
	// ttl: "-", or the lease TTL as an option ("2s").
	platformHelpers["etcdhold"] = func(url, ttl string) int {
		opts := Options{Timeout: 10 * time.Second}
		if ttl != "-" {
			d, err := time.ParseDuration(ttl)
			if err != nil {
				fmt.Println("error", err)
				return 1
			}
			opts.Etcd.TTL = d
		}
		l := NewWithOptions(url, opts)
		if err := l.Lock(); err != nil {
			fmt.Println("error", err)
			return 1
		}
		token, err := l.FencingToken()
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		ctx, cancel := l.LostContext(context.Background())
		defer cancel()
		fmt.Println("locked", token)
		bufio.NewReader(os.Stdin).ReadString('\n')
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
		}
		fmt.Println("context", errors.Is(ctx.Err(), ErrLockLost), errors.Is(ctx.Err(), context.Canceled))
		fmt.Println("lost", l.Lost())
		err = l.Unlock()
		var fe *Error
		if errors.As(err, &fe) {
			fmt.Println("unlock", fe.Code)
		} else {
			fmt.Println("unlock", err)
		}
		return 0
	}
}

// A holder paused past its lease (SIGSTOP) learns when it resumes that its lock is lost:
// Lost, its LostContext ends with ErrLockLost, and Unlock reports the I/O error.
func TestEtcdAHolderPausedPastItsLeaseIsLostOnceAnotherTakesTheLock(t *testing.T) {
	url := etcdURL(t, "paused") // ttl=2
	h := startHelper(t, "etcdhold", url, "-")
	line, _ := h.out.ReadString('\n')
	fields := strings.Fields(line)
	if len(fields) != 2 || fields[0] != "locked" {
		t.Fatalf("helper said %q", line)
	}
	paused, _ := strconv.ParseInt(fields[1], 10, 64)
	pid := h.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			syscall.Kill(pid, syscall.SIGCONT)
		}
	}()
	// Its keep-alive stopped with it: the lease expires and the lock passes on.
	taker := NewWithOptions(url, Options{Timeout: 15 * time.Second})
	defer taker.Close()
	start := time.Now()
	if err := taker.Lock(); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > 12*time.Second {
		t.Fatalf("the lock passed on after %v", elapsed)
	}
	token, err := taker.FencingToken()
	if err != nil || token <= paused {
		t.Fatalf("the taker's token %d (%v), the paused holder's %d", token, err, paused)
	}
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed = true
	fmt.Fprintln(h.stdin, "go")
	h.expectLine(t, "context true true")
	h.expectLine(t, "lost true")
	h.expectLine(t, fmt.Sprint("unlock ", CodeIO))
	if err := h.cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if taker.Lost() {
		t.Fatal("the taker's lock reports Lost")
	}
	if err := taker.Unlock(); err != nil {
		t.Fatal(err)
	}
}

// The lease TTL given as an option (the name has none, so 5 s by default) takes effect:
// a killed holder's lock passes on within it; one also in the name must agree.
func TestEtcdTheLeaseTTLAsAnOptionTakesEffect(t *testing.T) {
	url := strings.TrimSuffix(etcdURL(t, "ttl"), "?ttl=2")
	h := startHelper(t, "etcdhold", url, "2s")
	if line, _ := h.out.ReadString('\n'); !strings.HasPrefix(line, "locked ") {
		t.Fatalf("helper said %q", line)
	}
	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	h.cmd.Wait()
	killed := time.Now()
	taker := NewWithOptions(url, Options{Timeout: 15 * time.Second})
	defer taker.Close()
	if err := taker.Lock(); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(killed); elapsed > 5*time.Second { // the TTL, and etcd's expiry check
		t.Fatalf("the killed holder's lock passed on after %v", elapsed)
	}
	if err := taker.Unlock(); err != nil {
		t.Fatal(err)
	}
	same := NewWithOptions(url+"?ttl=2s", Options{Etcd: EtcdOptions{TTL: 2 * time.Second}})
	defer same.Close()
	if err := same.Lock(); err != nil {
		t.Fatal(err)
	}
	same.Unlock()
	other := NewWithOptions(url+"?ttl=5s", Options{Etcd: EtcdOptions{TTL: 2 * time.Second}})
	defer other.Close()
	err := other.Lock()
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "etcd_ttl_ms") ||
		!strings.Contains(err.Error(), "ttl=5s") {
		t.Fatalf("a TTL in the name and another in the options: %v", err)
	}
	// A state takes them through its lock options.
	s, err := OpenState(url+"-state", StateOptions{Lock: Options{Etcd: EtcdOptions{TTL: 2 * time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}
