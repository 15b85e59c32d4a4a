package filelock

import (
	"context"
	"encoding/json"

	"filelock.dev/filelock/internal/native"
)

// Backup describes one backup of a state document.
type Backup struct {
	ID         string `json:"id"`
	Generation uint64 `json:"generation"` // the generation the backup holds
	CreatedAt  string `json:"created_at"` // UTC, ISO 8601
	Size       int64  `json:"size"`
}

// HistoryRecord is one audit log record: a commit, a restore or a failed attempt.
type HistoryRecord struct {
	Time       string   `json:"time"` // UTC, ISO 8601
	Generation uint64   `json:"generation"`
	Op         string   `json:"op"`
	OK         bool     `json:"ok"`
	PID        int      `json:"pid"`
	Host       string   `json:"host"`
	Owner      string   `json:"owner"`
	Changed    []string `json:"changed"` // JSON pointers the commit changed
	Error      string   `json:"error"`   // why it failed, when OK is false
}

// VerifyReport is the result of State.Verify.
type VerifyReport struct {
	OK         bool     `json:"ok"` // nothing is damaged
	Generation uint64   `json:"generation"`
	Problems   []string `json:"problems"`
	Document   struct {
		OK    bool   `json:"ok"`
		Path  string `json:"path"`
		Size  int64  `json:"size"`
		Error string `json:"error"`
	} `json:"document"`
	Log struct {
		OK       bool   `json:"ok"`
		Path     string `json:"path"`
		Records  int    `json:"records"`
		TornTail bool   `json:"torn_tail"` // a crash cut the last line; it is ignored
		Error    string `json:"error"`
	} `json:"log"`
	Backups struct {
		Count   int      `json:"count"`
		Invalid []string `json:"invalid"`
		Newest  string   `json:"newest"`
	} `json:"backups"`
}

// jsonCall runs a native call that hands out JSON and decodes it into v.
func (s *State) jsonCall(op string, call func(h native.Fl_state, out *string) *native.Status, v any) error {
	return s.use(context.Background(), op, func() error {
		var out string
		if err := statusError(call(s.handle, &out), op, s.path); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(out), v); err != nil {
			return goError(CodeCorrupt, op, s.path, err)
		}
		return nil
	})
}

// Backup backs up the current document now and returns the backup's id.
func (s *State) Backup() (string, error) {
	return s.BackupContext(context.Background())
}

// BackupContext is Backup that gives up waiting for the lock when ctx is done.
func (s *State) BackupContext(ctx context.Context) (string, error) {
	var id string
	err := s.use(ctx, "state backup", func() error {
		return s.wait(ctx, "state backup", func(h native.Fl_state, w native.Fl_wait_opts) *native.Status {
			return native.Fl_state_backup_with(h, &id, w)
		})
	})
	return id, err
}

// Backups lists the backups, newest first.
func (s *State) Backups() ([]Backup, error) {
	var list []Backup
	err := s.jsonCall("state backups", native.Fl_state_backups, &list)
	return list, err
}

// Restore makes the backup with this id the document, as a logged commit.
func (s *State) Restore(backupID string) error {
	return s.RestoreContext(context.Background(), backupID)
}

// RestoreContext is Restore that gives up waiting for the lock when ctx is done.
func (s *State) RestoreContext(ctx context.Context, backupID string) error {
	if err := checkPaths("state restore", backupID); err != nil {
		return err // a backup id names a file; a NUL would cut it short
	}
	return s.use(ctx, "state restore", func() error {
		return s.wait(ctx, "state restore", func(h native.Fl_state, w native.Fl_wait_opts) *native.Status {
			return native.Fl_state_restore_with(h, backupID, w)
		})
	})
}

// History returns audit records, newest first; limit <= 0 returns all.
func (s *State) History(limit int) ([]HistoryRecord, error) {
	var records []HistoryRecord
	err := s.jsonCall("state history", func(h native.Fl_state, out *string) *native.Status {
		return native.Fl_state_history(h, limit, out)
	}, &records)
	return records, err
}

// Verify checks the document, the audit log and the backups without changing them.
// When something is damaged it returns the report (OK false, Problems) together with
// an error matching ErrCorrupt.
func (s *State) Verify() (*VerifyReport, error) {
	var report *VerifyReport
	err := s.use(context.Background(), "state verify", func() error {
		var out string
		failed := statusError(native.Fl_state_verify(s.handle, &out), "state verify", s.path)
		if out == "" {
			return failed
		}
		report = new(VerifyReport)
		if err := json.Unmarshal([]byte(out), report); err != nil {
			return goError(CodeCorrupt, "state verify", s.path, err)
		}
		return failed
	})
	return report, err
}
