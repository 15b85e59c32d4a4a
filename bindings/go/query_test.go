package filelock

import (
	"path/filepath"
	"testing"
)

// Query with default options reports a LOCKFILE or LOCKDIR holder in another process
// without being told the backend: alive while it runs, stale once it is killed.
func TestQueryFindsANameLockHolderWithDefaultOptions(t *testing.T) {
	for _, backend := range []string{"lockfile", "lockdir"} {
		t.Run(backend, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data.json")
			h := startHelper(t, "hold", path, backend)
			h.expectLine(t, "locked")
			pid := h.cmd.Process.Pid
			info, err := Query(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if info.Backend != backend || !info.Locked || info.Mode != "exclusive" {
				t.Fatalf("held %s lock reported as %+v", backend, info)
			}
			if info.Holder == nil || info.Holder.PID != pid || info.Holder.Owner != "go-helper" {
				t.Fatalf("holder reported as %+v, want pid %d owner go-helper", info.Holder, pid)
			}
			if info.Alive == nil || !*info.Alive || info.Stale {
				t.Fatalf("live holder reported alive=%v stale=%v", info.Alive, info.Stale)
			}
			h.kill(t)
			info, err = Query(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if info.Backend != backend || info.Holder == nil || info.Holder.PID != pid {
				t.Fatalf("dead holder's lock reported as %+v", info)
			}
			if info.Alive == nil || *info.Alive || !info.Stale {
				t.Fatalf("dead holder reported alive=%v stale=%v", info.Alive, info.Stale)
			}
		})
	}
}
