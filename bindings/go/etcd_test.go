package filelock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// etcd:// names through the Go binding, on the cluster tests/etcd/run.sh starts
// (FILELOCK_TEST_ETCD); skipped without one.
func etcdURL(t *testing.T, name string) string {
	endpoints := os.Getenv("FILELOCK_TEST_ETCD")
	if endpoints == "" {
		t.Skip("FILELOCK_TEST_ETCD is not set (tests/etcd/run.sh starts a cluster)")
	}
	return fmt.Sprintf("etcd://%s/fltest/go-%d-%d/%s?ttl=2", endpoints, os.Getpid(), time.Now().UnixNano(), name)
}

func TestEtcdLockExcludesAndAContextEndsTheWait(t *testing.T) {
	url := etcdURL(t, "job")
	holder := New(url)
	defer holder.Close()
	if err := holder.Lock(); err != nil {
		t.Fatal(err)
	}
	waiter := New(url)
	defer waiter.Close()
	if ok, err := waiter.TryLock(); ok || err != nil {
		t.Fatalf("TryLock on a held etcd lock: %v, %v", ok, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := waiter.LockContext(ctx)
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrCanceled) {
		t.Fatalf("LockContext past its deadline: %v", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Fatalf("the wait lasted %v", elapsed)
	}
	if err := holder.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := waiter.Lock(); err != nil {
		t.Fatal(err)
	}
	if err := waiter.Unlock(); err != nil {
		t.Fatal(err)
	}
}

func TestEtcdStateUpdatesFromGoroutinesLoseNothing(t *testing.T) {
	url := etcdURL(t, "pipeline")
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := OpenState(url, StateOptions{})
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			for j := 0; j < 5; j++ {
				if err := s.Update(func(doc map[string]any) error {
					n, _ := doc["n"].(float64)
					doc["n"] = n + 1
					return nil
				}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s, err := OpenState(url, StateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var doc struct{ N int }
	if err := s.Read(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.N != 15 {
		t.Fatalf("n = %d after 15 updates", doc.N)
	}
	_, generation, _ := s.ReadRaw()
	if err := s.WriteIf(map[string]int{"n": 0}, generation-1); !errors.Is(err, ErrConflict) {
		t.Fatalf("WriteIf on a stale generation: %v", err)
	}
}

func TestEtcdTheFencingTokenGrowsWithEveryAcquisition(t *testing.T) {
	url := etcdURL(t, "fenced")
	first := New(url)
	defer first.Close()
	if _, err := first.FencingToken(); !errors.Is(err, ErrNotLocked) {
		t.Fatalf("FencingToken before Lock: %v", err)
	}
	var tokens []int64
	for i := 0; i < 2; i++ {
		if err := first.Lock(); err != nil {
			t.Fatal(err)
		}
		token, err := first.FencingToken()
		if err != nil || first.Lost() {
			t.Fatalf("FencingToken of a held etcd lock: %d, %v (Lost %v)", token, err, first.Lost())
		}
		tokens = append(tokens, token)
		if err := first.Unlock(); err != nil {
			t.Fatal(err)
		}
	}
	second := New(url)
	defer second.Close()
	if err := second.Lock(); err != nil {
		t.Fatal(err)
	}
	token, err := second.FencingToken()
	if err != nil {
		t.Fatal(err)
	}
	tokens = append(tokens, token)
	// A held lock's LostContext stays open while the lease is kept alive.
	ctx, cancel := second.LostContext(context.Background())
	defer cancel()
	if err := second.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := ctx.Err(); err != nil {
		t.Fatalf("LostContext after a clean Unlock: %v", err)
	}
	if !(0 < tokens[0] && tokens[0] < tokens[1] && tokens[1] < tokens[2]) {
		t.Fatalf("tokens of three acquisitions: %v, want growing", tokens)
	}
}

// An etcd:// name's settings on a file path are refused, naming the field, rather than
// silently dropped (a mistyped name would otherwise lose its TLS or password settings).
func TestEtcdSettingsOnAFilePathAreRefused(t *testing.T) {
	l := NewWithOptions(t.TempDir()+"/x", Options{Etcd: EtcdOptions{TLSCA: "ca.pem"}})
	defer l.Close()
	err := l.Lock()
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "etcd_tls_ca") {
		t.Fatalf("etcd settings on a file path: %v", err)
	}
}
