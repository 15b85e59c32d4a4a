package filelock

import (
	"encoding/json"
	"time"

	"filelock.dev/filelock/internal/native"
)

// Durability says what a state commit promises.
type Durability int

const (
	// DurabilityFull fsyncs the file and its directory before a commit returns.
	DurabilityFull Durability = 0
	// DurabilityAtomic renames atomically without fsync: never torn, may be lost on
	// power failure.
	DurabilityAtomic Durability = 1
)

// StateOptions configures OpenState. The zero value means the library defaults.
type StateOptions struct {
	Durability Durability
	// MaxBackups is how many backups are kept: 0 means the default (50), negative none.
	MaxBackups int
	// NoBackupBeforeWrite stops the automatic backup of the outgoing document on commit.
	NoBackupBeforeWrite bool
	// NoAuditLog stops the one-line-per-commit audit log that History reads.
	NoAuditLog bool
	// ValidateOnRead makes reads check Schema too.
	ValidateOnRead bool
	// Schema is a JSON Schema every committed document must satisfy: a string,
	// []byte or json.RawMessage of JSON, or any value that marshals to one. nil: none.
	Schema any
	// LockTimeout is how long to wait for the state's lock: 0 means the default (10s),
	// negative tries once.
	LockTimeout time.Duration
	// MetaDir holds backups, the audit log and the generation; "": ".<name>.filelock/"
	// beside the file.
	MetaDir string
	// Initial is the document created when the file is missing; nil: {}.
	Initial any
	// Lock configures the state's lock (Backend, LockDir, RetryDelay, Owner, and Etcd
	// for the document and its lock on an etcd:// name); its
	// Timeout and LockType are not used.
	Lock Options
	// MaxLogBytes rotates the audit log past this size; 0: the default (8 MiB).
	MaxLogBytes int64
	// JournalMaxBytes > 0: a transaction's commit appends its changes to a journal beside
	// the document (the cost of the change, not of the document), and the commit that
	// would take the journal past this many bytes rewrites the document whole. 0 (the
	// default): every commit rewrites the document. Every handle reads the journal.
	JournalMaxBytes int64
}

// marshalJSON encodes v as json.Marshal does (a json.RawMessage passes through).
func marshalJSON(v any) ([]byte, error) {
	if out, ok := fastMarshal(v); ok {
		return out, nil
	}
	return json.Marshal(v)
}

// schemaJSON takes a schema given as JSON text or bytes as is, and encodes anything else.
func schemaJSON(v any) ([]byte, error) {
	switch t := v.(type) {
	case []byte:
		return t, nil
	case string:
		return []byte(t), nil
	}
	return json.Marshal(v)
}

// applyStateOptions fills n from o; lockOpts must stay alive until fl_state_open.
func applyStateOptions(n native.Fl_state_options, o StateOptions, lockOpts native.Fl_lock_options) error {
	n.SetDurability(int(o.Durability))
	switch {
	case o.MaxBackups > 0:
		n.SetMax_backups(o.MaxBackups)
	case o.MaxBackups < 0:
		n.SetMax_backups(0)
	}
	if o.NoBackupBeforeWrite {
		n.SetBackup_before_write(0)
	}
	if o.NoAuditLog {
		n.SetAudit_log(0)
	}
	if o.ValidateOnRead {
		n.SetValidate_on_read(1)
	}
	if o.Schema != nil {
		schema, err := schemaJSON(o.Schema)
		if err != nil {
			return err
		}
		n.SetSchema_json(string(schema))
	}
	switch {
	case o.LockTimeout > 0:
		n.SetLock_timeout_ms(ceilMillis(o.LockTimeout))
	case o.LockTimeout < 0:
		n.SetLock_timeout_ms(int64(native.FL_NOWAIT))
	}
	if o.MetaDir != "" {
		n.SetMeta_dir(o.MetaDir)
	}
	if o.Initial != nil {
		initial, err := marshalJSON(o.Initial)
		if err != nil {
			return err
		}
		n.SetInitial_json(string(initial))
	}
	n.SetLock(lockOpts)
	if o.MaxLogBytes > 0 {
		n.SetMax_log_bytes(o.MaxLogBytes)
	}
	if o.JournalMaxBytes > 0 {
		n.SetJournal_max_bytes(o.JournalMaxBytes)
	}
	return nil
}
