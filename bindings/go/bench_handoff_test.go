//go:build linux

package filelock

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Handoff from another process's Unlock to a goroutine blocked in Lock, beside
// gofrs/flock's blocking calls (os.OpenFile, then flock(2) in the calling goroutine; the
// module cannot import gofrs itself) waiting for the same holder in alternate rounds.
// The holder is a helper process holding through this binding; it stamps the wall clock
// just before its Unlock and the waiter just after its lock returns.

// gofrsLike is gofrs/flock's Lock and Unlock on a path (flock_unix.go).
type gofrsLike struct {
	path string
	f    *os.File
}

func (g *gofrsLike) Lock() error {
	f, err := os.OpenFile(g.path, os.O_CREATE|os.O_RDONLY, 0o600)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return err
	}
	g.f = f
	return nil
}

func (g *gofrsLike) Unlock() error {
	err := syscall.Flock(int(g.f.Fd()), syscall.LOCK_UN)
	g.f.Close()
	return err
}

// gofrsInGoroutine is gofrsLike with its flock in a goroutine of its own and the caller
// woken through a channel: the floor for any wait that a timeout or a context can end,
// since a goroutine blocked in flock cannot be interrupted.
type gofrsInGoroutine struct{ gofrsLike }

func (g *gofrsInGoroutine) Lock() error {
	f, err := os.OpenFile(g.path, os.O_CREATE|os.O_RDONLY, 0o600)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }()
	if err := <-done; err != nil {
		f.Close()
		return err
	}
	g.f = f
	return nil
}

type locker interface {
	Lock() error
	Unlock() error
}

func init() { platformHelpers["handoffholder"] = handoffHolder }

// handoffHolder is the holder (arg "nosidecar": on the path itself): per "hold" line it locks path and says "held"; per "go"
// line it sleeps 3 ms (the waiter blocks meanwhile), stamps the time, unlocks and prints
// the stamp.
func handoffHolder(path, arg string) int {
	l := NewWithOptions(path, Options{Timeout: time.Minute, NoSidecar: arg == "nosidecar"})
	in := make([]byte, 0, 16)
	buf := make([]byte, 1)
	for {
		in = in[:0]
		for {
			if n, err := os.Stdin.Read(buf); n == 0 || err != nil {
				return 0
			}
			if buf[0] == '\n' {
				break
			}
			in = append(in, buf[0])
		}
		switch string(in) {
		case "hold":
			if err := l.Lock(); err != nil {
				fmt.Println("error", err)
				return 1
			}
			fmt.Println("held")
		case "go":
			time.Sleep(3 * time.Millisecond)
			at := time.Now().UnixNano()
			if err := l.Unlock(); err != nil {
				fmt.Println("error", err)
				return 1
			}
			fmt.Println(at)
		}
	}
}

type holderProcess struct{ *helper }

func (h holderProcess) hold(b *testing.B) {
	fmt.Fprintln(h.stdin, "hold")
	if line, _ := h.out.ReadString('\n'); strings.TrimSpace(line) != "held" {
		b.Fatalf("holder: %q", line)
	}
}

// release tells the holder to unlock 3 ms from now; stamp then reads when it did.
func (h holderProcess) release(b *testing.B) {
	fmt.Fprintln(h.stdin, "go")
}

func (h holderProcess) stamp(b *testing.B) time.Time {
	line, _ := h.out.ReadString('\n')
	ns, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	if err != nil {
		b.Fatalf("holder: %q", line)
	}
	return time.Unix(0, ns)
}

func startHolder(b *testing.B, path, arg string) holderProcess {
	h := startHelper(b, "handoffholder", path, arg)
	return holderProcess{h}
}

func quantile(v []float64, q float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[int(q*float64(len(s)-1)+0.5)]
}

// One waiter blocked in Lock per round; rounds rotate between the binding, gofrs's
// calls, and gofrs's calls with the flock in a goroutine of its own (gofrsInGoroutine).
// Reports the medians, the binding's and gofrs's p99 and the ratio of their medians.
// "record": the binding's defaults (a sidecar lock file, the holder record written on
// each acquisition); "nosidecar": the path itself and no record, which is what gofrs
// does.
func BenchmarkHandoffVsGofrs(b *testing.B) {
	for _, arg := range []string{"record", "nosidecar"} {
		b.Run(arg, func(b *testing.B) { benchHandoff(b, arg == "nosidecar") })
	}
}

func benchHandoff(b *testing.B, noSidecar bool) {
	dir := benchDir(b)
	path := filepath.Join(dir, "data.json")
	lockFile, arg := path+".lock", "sidecar"
	if noSidecar {
		lockFile, arg = path, "nosidecar"
	}
	h := startHolder(b, path, arg)
	ours := NewWithOptions(path, Options{Timeout: time.Minute, NoSidecar: noSidecar})
	defer ours.Close()
	waiters := []locker{ours, &gofrsLike{path: lockFile}, &gofrsInGoroutine{gofrsLike{path: lockFile}}}
	rounds := b.N
	if rounds < 30 {
		rounds = 30
	}
	us := make([][]float64, len(waiters))
	b.ResetTimer()
	for r := 0; r < len(waiters)*rounds; r++ {
		k := r % len(waiters)
		h.hold(b)
		h.release(b)
		if err := waiters[k].Lock(); err != nil {
			b.Fatal(err)
		}
		got := time.Now()
		us[k] = append(us[k], float64(got.Sub(h.stamp(b)).Nanoseconds())/1e3)
		if err := waiters[k].Unlock(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(median(us[0]), "filelock-us")
	b.ReportMetric(median(us[1]), "gofrs-us")
	b.ReportMetric(median(us[2]), "gofrs-goroutine-us")
	b.ReportMetric(median(us[0])/median(us[1]), "ratio")
	b.ReportMetric(quantile(us[0], 0.99), "filelock-p99-us")
	b.ReportMetric(quantile(us[1], 0.99), "gofrs-p99-us")
}

// 200 goroutines blocked in Lock, each on its own lock object, all get through
// (Lock then Unlock) after the holder's release: the time from its Unlock to the last
// one's, for the binding and for gofrs's calls, in alternate rounds.
func BenchmarkBlockedGoroutinesVsGofrs(b *testing.B) {
	const n = 200
	if err := raiseDescriptorLimit(4 * n); err != nil {
		b.Skip(err)
	}
	dir := benchDir(b)
	path := filepath.Join(dir, "data.json")
	h := startHolder(b, path, "sidecar")
	rounds := b.N
	if rounds < 5 {
		rounds = 5
	}
	var a, g []float64
	b.ResetTimer()
	for r := 0; r < 2*rounds; r++ {
		h.hold(b)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			var w locker = NewWithOptions(path, Options{Timeout: time.Minute})
			if r%2 == 1 {
				w = &gofrsLike{path: path + ".lock"}
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := w.Lock(); err != nil {
					errs <- err
					return
				}
				errs <- w.Unlock()
			}()
		}
		if err := waitBlocked(path+".lock", n); err != nil {
			b.Fatal(err)
		}
		h.release(b)
		wg.Wait()
		ms := float64(time.Since(h.stamp(b)).Nanoseconds()) / 1e6
		close(errs)
		for err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		if r%2 == 0 {
			a = append(a, ms)
		} else {
			g = append(g, ms)
		}
	}
	b.StopTimer()
	b.ReportMetric(median(a), "filelock-ms")
	b.ReportMetric(median(g), "gofrs-ms")
}

func raiseDescriptorLimit(n uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= n {
		return nil
	}
	if lim.Max < n {
		return fmt.Errorf("descriptor limit %d, want %d", lim.Max, n)
	}
	lim.Cur = n
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}
