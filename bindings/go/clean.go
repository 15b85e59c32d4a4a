package filelock

import (
	"encoding/json"
	"time"

	"filelock.dev/filelock/internal/native"
)

// CleanReport is what CleanStaleLocksOlderThan did in a directory.
type CleanReport struct {
	Dir     string            `json:"dir"`
	Removed []CleanedLock     `json:"removed"`
	Kept    []json.RawMessage `json:"kept"`
	Errors  []json.RawMessage `json:"errors"`
}

// CleanedLock is one removed lock file and why it was removed.
type CleanedLock struct {
	LockPath string `json:"lock_path"`
	Reason   string `json:"reason"`
}

// CleanStaleLocks removes the lock files in dir (not recursive) that nobody holds,
// including locks of dead processes, and returns how many it removed. It is safe
// while other processes take locks in dir.
func CleanStaleLocks(dir string) (int, error) {
	report, err := CleanStaleLocksOlderThan(dir, 0)
	if err != nil {
		return 0, err
	}
	return len(report.Removed), nil
}

// CleanStaleLocksOlderThan is CleanStaleLocks for lock files unused for at least minAge,
// with the full report.
func CleanStaleLocksOlderThan(dir string, minAge time.Duration) (*CleanReport, error) {
	if err := checkPaths("clean stale locks", dir); err != nil {
		return nil, err
	}
	var out string
	if err := statusError(native.Fl_clean_stale(dir, ceilMillis(minAge), &out), "clean stale locks", dir); err != nil {
		return nil, err
	}
	var report CleanReport
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		return nil, goError(CodeCorrupt, "clean stale locks", dir, err)
	}
	return &report, nil
}
