//go:build linux

package filelock

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// osThreads is this process's OS thread count (/proc/self/status Threads), -1 if unknown.
func osThreads(t testing.TB) int {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "Threads:") {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "Threads:")))
			if err == nil {
				return n
			}
		}
	}
	if t != nil {
		t.Skip("no Threads line in /proc/self/status")
	}
	return -1
}

// waitModes runs fn with the calling goroutine blocking in flock itself (Linux's way,
// lock_wait_caller_linux.go) and with a goroutine of its own doing so (elsewhere's).
func waitModes(t *testing.T, fn func(t *testing.T)) {
	for _, inCaller := range []bool{true, false} {
		name := "goroutine"
		if inCaller {
			name = "caller"
		}
		t.Run(name, func(t *testing.T) {
			defer func(was bool) { waitInCallerOn = was }(waitInCallerOn)
			waitInCallerOn = inCaller
			if !inCaller {
				t.Setenv(waitInGoroutineEnv, "1") // for helper processes
			}
			fn(t)
		})
	}
}

// waitInGoroutineEnv set: a helper process waits the goroutine way (waitModes).
const waitInGoroutineEnv = "FILELOCK_GO_WAIT_IN_GOROUTINE"

func init() {
	if os.Getenv(waitInGoroutineEnv) != "" {
		waitInCallerOn = false
	}
}

// waitBlocked waits until n lock requests are blocked on the file at lockPath
// (/proc/locks lists each as "-> ..." with the file's inode).
func waitBlocked(lockPath string, n int) error {
	fi, err := os.Stat(lockPath)
	if err != nil {
		return err
	}
	ino := ":" + strconv.FormatUint(fi.Sys().(*syscall.Stat_t).Ino, 10)
	blocked := 0
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		data, err := os.ReadFile("/proc/locks")
		if err != nil {
			return err
		}
		blocked = 0
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Fields(line)
			if len(f) > 6 && f[1] == "->" && strings.HasSuffix(f[6], ino) {
				blocked++
			}
		}
		if blocked >= n {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("%d lock requests blocked on %s, want %d", blocked, lockPath, n)
}

// N goroutines blocked in Lock, each on its own Lock, take one OS thread each (the
// one blocked in flock), not two, and all get the lock once the holder lets go. Measured
// in a fresh process (helper role "blockedthreads"): the Go runtime keeps idle threads
// for reuse, so earlier tests would hide new ones.
func TestBlockedGoroutinesTakeOneThreadEach(t *testing.T) {
	waitModes(t, testBlockedGoroutinesTakeOneThreadEach)
}

func testBlockedGoroutinesTakeOneThreadEach(t *testing.T) {
	const n = 48
	for _, backend := range []string{"exclusive", "ofd"} {
		t.Run(backend, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data.json")
			h := startHelper(t, "hold", path, backend)
			h.expectLine(t, "locked")
			w := startHelper(t, "blockedthreads", path, backend)
			line, _ := w.out.ReadString('\n')
			var threads int
			if _, err := fmt.Sscanf(line, "threads %d", &threads); err != nil {
				t.Fatalf("helper said %q", line)
			}
			t.Logf("%d blocked goroutines: %d more OS threads", n, threads)
			h.release(t)
			w.expectLine(t, "done")
			if threads > n+16 {
				t.Fatalf("%d goroutines blocked in Lock took %d more OS threads, want at most %d",
					n, threads, n+16)
			}
		})
	}
}

func init() { platformHelpers["blockedthreads"] = blockedThreads }

// blockedThreads is the helper role: 48 goroutines wait in Lock on path (backend
// "exclusive" or "ofd"); prints "threads K" (the growth once all are blocked), then
// "done" once all got the lock after the holder's release.
func blockedThreads(path, backend string) int {
	const n = 48
	opts := Options{Timeout: time.Minute}
	if backend == "ofd" {
		opts.Backend = BackendOFD
	}
	base := osThreads(nil)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := NewWithOptions(path, opts)
			defer l.Close()
			if err := l.Lock(); err != nil {
				errs <- err
				return
			}
			errs <- l.Unlock()
		}()
	}
	if err := waitBlocked(path+".lock", n); err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Println("threads", osThreads(nil)-base)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
	}
	fmt.Println("done")
	return 0
}

// A wait that ctx or the timeout ends returns at once, although a flock call cannot be
// interrupted: the caller's own (Linux) is made to return on a pipe put in the lock
// file's place, a waiting goroutine's (elsewhere) is left behind and lets go of the
// lock as soon as it gets it. Either way the lock is free for others after the holder's
// release, the Lock locks again for real, and retrying leaves neither a thread nor a
// descriptor per attempt.
func TestEndedWaitLeavesNothingBehind(t *testing.T) {
	waitModes(t, testEndedWaitLeavesNothingBehind)
}

func testEndedWaitLeavesNothingBehind(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	h := startHelper(t, "hold", path, "exclusive")
	h.expectLine(t, "locked")
	w := NewWithOptions(path, Options{Timeout: time.Minute})
	defer w.Close()
	timed := NewWithOptions(path, Options{Timeout: 100 * time.Millisecond})
	defer timed.Close()

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	if err := w.LockContext(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled wait: got %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("canceled wait returned after %v", d)
	}
	start = time.Now()
	if err := timed.Lock(); !errors.Is(err, ErrTimeout) {
		t.Fatalf("timed wait: got %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("100 ms wait returned after %v", d)
	}
	base, fds := osThreads(t), openDescriptors(t)
	for i := 0; i < 20; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		if err := w.LockContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("attempt %d: got %v", i, err)
		}
		cancel()
	}
	if grown := osThreads(t) - base; grown > 8 {
		t.Fatalf("20 ended waits left %d more OS threads", grown)
	}
	// One handle may stay with a parked goroutine (the goroutine way).
	if grown := openDescriptors(t) - fds; grown > 2 {
		t.Fatalf("20 ended waits left %d more descriptors", grown)
	}

	h.release(t)
	// The abandoned goroutine may hold the lock for a moment; never for long.
	other := NewWithOptions(path, Options{Timeout: 5 * time.Second})
	defer other.Close()
	if err := other.Lock(); err != nil {
		t.Fatalf("after the holder's release, with an abandoned wait: %v", err)
	}
	if err := other.Unlock(); err != nil {
		t.Fatal(err)
	}
	// The Lock whose waits ended locks again, for real: another process is kept out.
	if err := w.Lock(); err != nil {
		t.Fatal(err)
	}
	try := startHelper(t, "hold", path, "try")
	if line, _ := try.out.ReadString('\n'); !strings.HasPrefix(line, "error") {
		t.Fatalf("another process beside the Lock whose waits ended: %q", line)
	}
	w.Unlock()
}

// A wait woken by another process's release leaves the holder record naming us, for
// the OFD backend (which takes flock first, then its own lock) as for FLOCK.
func TestWokenWaiterRecordsItselfAsHolder(t *testing.T) {
	waitModes(t, testWokenWaiterRecordsItselfAsHolder)
}

func testWokenWaiterRecordsItselfAsHolder(t *testing.T) {
	for _, backend := range []string{"exclusive", "ofd"} {
		t.Run(backend, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data.json")
			h := startHelper(t, "hold", path, backend)
			h.expectLine(t, "locked")
			opts := Options{Timeout: 10 * time.Second, Owner: "woken"}
			if backend == "ofd" {
				opts.Backend = BackendOFD
			}
			w := NewWithOptions(path, opts)
			defer w.Close()
			done := make(chan error, 1)
			go func() { done <- w.Lock() }()
			time.Sleep(100 * time.Millisecond)
			h.release(t)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			info, err := Query(path, opts)
			if err != nil {
				t.Fatal(err)
			}
			if info.Holder == nil || info.Holder.PID != os.Getpid() || info.Holder.Owner != "woken" {
				t.Fatalf("holder record after a woken wait: %+v", info.Holder)
			}
			// Held for real: another process cannot take it.
			try := NewWithOptions(path, Options{Timeout: -1, Backend: opts.Backend})
			defer try.Close()
			if err := try.Lock(); !errors.Is(err, ErrBusy) {
				t.Fatalf("beside the woken holder: got %v, want ErrBusy", err)
			}
		})
	}
}

var gofrsOnce struct {
	sync.Once
	path string
	err  error
}

// gofrsLocker builds tests/interop/gofrs (a gofrs/flock program) once, from Debian's
// golang-github-gofrs-flock-dev in GOPATH mode; skips where it is not installed.
func gofrsLocker(t testing.TB) string {
	const gopath = "/usr/share/gocode"
	if _, err := os.Stat(gopath + "/src/github.com/gofrs/flock/flock.go"); err != nil {
		t.Skip("gofrs/flock not installed (golang-github-gofrs-flock-dev)")
	}
	gofrsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gofrs-locker-")
		if err != nil {
			gofrsOnce.err = err
			return
		}
		afterTests = append(afterTests, func() { os.RemoveAll(dir) })
		out := filepath.Join(dir, "gofrs-locker")
		src, _ := filepath.Abs("../../tests/interop/gofrs/main.go")
		cmd := exec.Command("go", "build", "-o", out, src)
		cmd.Env = append(os.Environ(), "GO111MODULE=off", "GOPATH="+gopath, "GOFLAGS=")
		if msg, err := cmd.CombinedOutput(); err != nil {
			gofrsOnce.err = errors.New(string(msg))
			return
		}
		gofrsOnce.path = out
	})
	if gofrsOnce.err != nil {
		t.Fatalf("building the gofrs/flock program: %v", gofrsOnce.err)
	}
	return gofrsOnce.path
}

type gofrsProcess struct {
	cmd   *exec.Cmd
	stdin interface{ Close() error }
	lines chan string
}

func startGofrs(t *testing.T, role, path string) *gofrsProcess {
	t.Helper()
	cmd := exec.Command(gofrsLocker(t), role, path)
	stdin, stdout := startPiped(t, cmd)
	p := &gofrsProcess{cmd: cmd, stdin: stdin, lines: make(chan string, 4)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	return p
}

func (p *gofrsProcess) line(t *testing.T, within time.Duration) string {
	t.Helper()
	select {
	case l := <-p.lines:
		return l
	case <-time.After(within):
		return ""
	}
}

// A gofrs/flock process and our goroutine waits exclude each other both ways, and each
// one's release wakes the other's waiter.
func TestGofrsProcessAndGoroutineWaitsExcludeEachOther(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	opts := Options{NoSidecar: true, Timeout: 10 * time.Second} // gofrs locks the path itself
	gofrsLocker(t)

	// gofrs holds; ours waits, blocked, and is woken by its release.
	g := startGofrs(t, "hold", path)
	if l := g.line(t, 5*time.Second); l != "locked" {
		t.Fatalf("gofrs hold: %q", l)
	}
	l := NewWithOptions(path, opts)
	defer l.Close()
	got := make(chan error, 1)
	go func() { got <- l.Lock() }()
	select {
	case err := <-got:
		t.Fatalf("locked beside a gofrs holder: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	released := time.Now()
	g.stdin.Close()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if d := time.Since(released); d > 2*time.Second {
		t.Fatalf("woke %v after the gofrs release", d)
	}

	// Ours holds; gofrs waits, blocked, and is woken by our release.
	w := startGofrs(t, "wait", path)
	if l := w.line(t, 300*time.Millisecond); l != "" {
		t.Fatalf("gofrs said %q while we hold", l)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if l := w.line(t, 5*time.Second); l != "locked" {
		t.Fatalf("gofrs wait after our release: %q", l)
	}
	w.cmd.Wait()
}

// Readers blocked behind another process's writer are all woken by its release and
// hold together; a Lock closed while its goroutine is blocked in flock leaves nothing
// held once that goroutine gets the lock.
func TestBlockedReadersAndClosedWaiter(t *testing.T) {
	waitModes(t, testBlockedReadersAndClosedWaiter)
}

func testBlockedReadersAndClosedWaiter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	h := startHelper(t, "hold", path, "exclusive")
	h.expectLine(t, "locked")

	closed := NewWithOptions(path, Options{Timeout: time.Minute})
	closedDone := make(chan error, 1)
	go func() { closedDone <- closed.Lock() }()
	readers := []*Lock{
		NewWithOptions(path, Options{Timeout: 10 * time.Second, LockType: Shared}),
		NewWithOptions(path, Options{Timeout: 10 * time.Second, LockType: Shared}),
	}
	done := make(chan error, len(readers))
	for _, r := range readers {
		r := r
		defer r.Close()
		go func() { done <- r.Lock() }()
	}
	if err := waitBlocked(path+".lock", 3); err != nil {
		t.Fatal(err)
	}
	closed.Close()
	if err := <-closedDone; !errors.Is(err, ErrClosed) {
		t.Fatalf("the closed Lock's wait returned %v, want ErrClosed", err)
	}
	h.release(t)
	for range readers {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range readers {
		if !r.RLocked() {
			t.Fatal("a woken reader does not hold")
		}
		r.Unlock()
	}
	// Whatever the closed Lock's goroutine got, it let go of.
	w := NewWithOptions(path, Options{Timeout: 5 * time.Second})
	defer w.Close()
	if err := w.Lock(); err != nil {
		t.Fatalf("after the readers, with a closed Lock's abandoned wait: %v", err)
	}
	w.Unlock()
}

// A holder killed while goroutines wait (SIGKILL: it never unlocks) wakes them: the
// kernel drops its lock.
func TestHolderCrashWakesBlockedGoroutine(t *testing.T) {
	waitModes(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "data.json")
		h := startHelper(t, "hold", path, "exclusive")
		h.expectLine(t, "locked")
		w := NewWithOptions(path, Options{Timeout: 10 * time.Second})
		defer w.Close()
		done := make(chan error, 1)
		go func() { done <- w.Lock() }()
		if err := waitBlocked(path+".lock", 1); err != nil {
			t.Fatal(err)
		}
		h.kill(t)
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the waiter was not woken by the holder's death")
		}
		w.Unlock()
	})
}

// A program that ignores SIGURG cannot have a flock it blocks in interrupted by it; its
// waits still end on time (a goroutine of their own waits there).
func TestTimeoutWithSIGURGIgnored(t *testing.T) {
	signal.Ignore(syscall.SIGURG)
	defer signal.Reset(syscall.SIGURG)
	path := filepath.Join(t.TempDir(), "data.json")
	h := startHelper(t, "hold", path, "exclusive")
	h.expectLine(t, "locked")
	w := NewWithOptions(path, Options{Timeout: 100 * time.Millisecond})
	defer w.Close()
	done := make(chan error, 1)
	go func() { done <- w.Lock() }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("got %v, want ErrTimeout", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a 100 ms wait did not end with SIGURG ignored")
	}
}
