package filelock

import (
	"encoding/json"
	"time"

	"filelock.dev/filelock/internal/native"
)

// LockInfo describes the lock for a path without disturbing its holders.
type LockInfo struct {
	Path     string `json:"path"`
	LockPath string `json:"lock_path"`
	Exists   bool   `json:"exists"` // the lock file exists
	Backend  string `json:"backend"`
	Locked   bool   `json:"locked"`
	Mode     string `json:"mode"` // "exclusive", "shared", or "" when not locked
	Holders  []struct {
		PID  int    `json:"pid"` // 0 where the kernel does not say
		Kind string `json:"kind"`
		Mode string `json:"mode"`
	} `json:"holders"`
	// Holder is the record an exclusive holder left, if it is the current one.
	Holder *LockHolder `json:"holder"`
	Alive  *bool       `json:"alive"` // whether Holder's process lives; nil: unknown
	Stale  bool        `json:"stale"` // a lock-file lock whose holder is gone
	AgeMS  *float64    `json:"age_ms"`
}

// LockHolder is what an exclusive holder records about itself.
type LockHolder struct {
	PID        int     `json:"pid"`
	Host       string  `json:"host"`
	StartTime  float64 `json:"start_time"`
	BootID     string  `json:"boot_id"`
	AcquiredAt float64 `json:"acquired_at"` // Unix milliseconds
	Mode       string  `json:"mode"`
	Owner      string  `json:"owner"`
}

// Age is how long the lock has been held (or the lock file unused); 0 if unknown.
func (i *LockInfo) Age() time.Duration {
	if i.AgeMS == nil {
		return 0
	}
	return time.Duration(*i.AgeMS * float64(time.Millisecond))
}

// Query reports the state of the lock for path, as opts locate it (LockDir, Backend).
func Query(path string, opts Options) (*LockInfo, error) {
	if err := checkPaths("query", path, opts.LockDir); err != nil {
		return nil, err
	}
	lockOpts := nativeLockOptions(opts)
	defer native.DeleteFl_lock_options(lockOpts)
	var out string
	if err := statusError(native.Fl_query(path, lockOpts, &out), "query", path); err != nil {
		return nil, err
	}
	var info LockInfo
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		return nil, goError(CodeCorrupt, "query", path, err)
	}
	return &info, nil
}
