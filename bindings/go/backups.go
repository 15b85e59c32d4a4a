package filelock

import (
	"encoding/json"

	"filelock.dev/filelock/internal/native"
)

// Backup describes one backup of a state document.
type Backup struct {
	ID         string          `json:"id"`
	Generation uint64          `json:"generation"`
	CreatedAt  json.RawMessage `json:"created_at"`
	Size       int64           `json:"size"`
}

// HistoryRecord is one audit log record (commit, restore or failure), as the library
// writes it.
type HistoryRecord map[string]any

// VerifyReport is the result of State.Verify.
type VerifyReport struct {
	OK         bool              `json:"ok"`
	Document   json.RawMessage   `json:"document"`
	Generation uint64            `json:"generation"`
	Log        json.RawMessage   `json:"log"`
	Backups    json.RawMessage   `json:"backups"`
	Problems   []json.RawMessage `json:"problems"`
}

// jsonCall runs a native call that hands out JSON and decodes it into v.
func (s *State) jsonCall(op string, call func(h native.Fl_state, out *string) *native.Status, v any) error {
	return s.use(op, func(h native.Fl_state) error {
		var out string
		if err := statusError(call(h, &out), op, s.path); err != nil {
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
	var id string
	err := s.use("state backup", func(h native.Fl_state) error {
		return statusError(native.Fl_state_backup(h, &id), "state backup", s.path)
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
	return s.use("state restore", func(h native.Fl_state) error {
		return statusError(native.Fl_state_restore(h, backupID), "state restore", s.path)
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
// A damaged document is reported (OK false, Problems), not returned as an error.
func (s *State) Verify() (*VerifyReport, error) {
	var report VerifyReport
	if err := s.jsonCall("state verify", native.Fl_state_verify, &report); err != nil {
		return nil, err
	}
	return &report, nil
}
