package filelock

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Helper processes are this test binary run again with FILELOCK_GO_HELPER set: real
// processes with their own lock tables, killable at will.
const helperEnv = "FILELOCK_GO_HELPER"

// afterTests run once every test has ended (os.Exit skips deferred calls): cleanups of
// what tests share, such as a program built once for all of them.
var afterTests []func()

func TestMain(m *testing.M) {
	if role := os.Getenv(helperEnv); role != "" {
		os.Exit(runHelper(role, os.Args[len(os.Args)-2:]))
	}
	code := m.Run()
	for _, f := range afterTests {
		f()
	}
	os.Exit(code)
}

// platformHelpers are the roles that test files for one system add.
var platformHelpers = map[string]func(path, arg string) int{}

// runHelper plays one role; args are the last two command-line arguments.
func runHelper(role string, args []string) int {
	path, arg := args[0], args[1]
	if fn := platformHelpers[role]; fn != nil {
		return fn(path, arg)
	}
	switch role {
	case "hold": // lock path (arg: exclusive|shared|lockfile|lockdir|nosidecar|ofd|try), report, hold until stdin closes
		opts := Options{Owner: "go-helper"}
		switch arg {
		case "shared":
			opts.LockType = Shared
		case "lockfile":
			opts.Backend = BackendLockFile
		case "lockdir":
			opts.Backend = BackendLockDir
		case "nosidecar":
			opts.NoSidecar = true
		case "ofd":
			opts.Backend = BackendOFD
		case "try": // exclusive, without waiting: "error ..." when busy
			opts.Timeout = -1
		}
		l := NewWithOptions(path, opts)
		if err := l.Lock(); err != nil {
			fmt.Println("error", err)
			return 1
		}
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin)
		l.Unlock()
		return 0
	case "increment": // arg increments of "count" in the state at path, one line per commit
		n, _ := strconv.Atoi(arg)
		st, err := OpenState(path, StateOptions{LockTimeout: time.Minute})
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		for i := 0; i < n; i++ {
			if err := st.Update(incrementCount); err != nil {
				fmt.Println("error", err)
				return 1
			}
			fmt.Println("ok")
		}
		return 0
	case "lockloop": // arg rounds of New, Lock, Unlock and no Close, under 128 descriptors
		n, _ := strconv.Atoi(arg)
		if err := limitDescriptors(128); err != nil {
			fmt.Println("error", err)
			return 1
		}
		for i := 0; i < n; i++ {
			l := New(path)
			if err := l.Lock(); err != nil {
				fmt.Println("error at call", i, err)
				return 1
			}
			l.Unlock()
		}
		fmt.Println("done")
		return 0
	case "append": // arg JSON lines appended to the JSONL file at path
		n, _ := strconv.Atoi(arg)
		for i := 0; i < n; i++ {
			if err := Append(path, map[string]any{"pid": os.Getpid(), "i": i}); err != nil {
				fmt.Println("error", err)
				return 1
			}
		}
		return 0
	}
	fmt.Println("unknown helper role", role)
	return 2
}

func incrementCount(doc map[string]any) error {
	n, _ := doc["count"].(float64)
	doc["count"] = n + 1
	return nil
}

// helper is a running helper process.
type helper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

func startHelper(t testing.TB, role, path, arg string) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", path, arg)
	cmd.Env = append(os.Environ(), helperEnv+"="+role)
	stdin, stdout := startPiped(t, cmd)
	return &helper{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
}

// startPiped starts cmd with pipes to its stdin and from its stdout (its stderr is the
// test's); the process is killed when the test ends.
func startPiped(t testing.TB, cmd *exec.Cmd) (io.WriteCloser, io.Reader) {
	t.Helper()
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return stdin, stdout
}

// expectLine reads the helper's next line and fails unless it is want.
func (h *helper) expectLine(t *testing.T, want string) {
	t.Helper()
	line, err := h.out.ReadString('\n')
	if strings.TrimSpace(line) != want {
		t.Fatalf("helper said %q (%v), want %q", line, err, want)
	}
}

// kill ends the helper with SIGKILL: no deferred code, no unlock, like a crash.
func (h *helper) kill(t *testing.T) {
	t.Helper()
	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	h.cmd.Wait()
}

// release closes the helper's stdin (a holder unlocks and exits) and waits for it.
func (h *helper) release(t *testing.T) {
	t.Helper()
	h.stdin.Close()
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
}
