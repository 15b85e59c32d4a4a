package filelock

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Goroutines and processes append to one JSONL file: every line arrives whole.
func TestAppendFromGoroutinesAndProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	const procs, perProc, goroutines, perGoroutine = 2, 40, 4, 40
	var hs []*helper
	for p := 0; p < procs; p++ {
		hs = append(hs, startHelper(t, "append", path, "40"))
	}
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < perGoroutine; i++ {
				rec := map[string]any{"goroutine": g, "i": i, "pad": strings.Repeat("x", 512)}
				if err := AppendWithOptions(path, rec, AppendOptions{Durability: DurabilityAtomic}); err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	for _, h := range hs {
		if err := h.cmd.Wait(); err != nil {
			t.Fatalf("appender: %v", err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %d is not whole JSON: %q", lines+1, sc.Text())
		}
		lines++
	}
	if want := procs*perProc + goroutines*perGoroutine; lines != want {
		t.Fatalf("%d lines, want %d", lines, want)
	}
}

func TestAppendErrorNamesPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "journal.jsonl")
	err := Append(path, map[string]int{"a": 1})
	if err == nil || !containsAll(err.Error(), path) {
		t.Fatalf("got %v, want an error naming %s", err, path)
	}
}
