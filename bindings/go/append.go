package filelock

import "filelock.dev/filelock/internal/native"

// AppendOptions configures AppendWithOptions.
type AppendOptions struct {
	Durability Durability // DurabilityFull (default): fsync before returning
	Lock       Options    // the file's lock: Backend, LockDir, RetryDelay, Owner
}

// Append adds v, encoded as one line of JSON, to the JSONL file at path under its
// lock, durably: the line is written whole or not at all, and concurrent appenders
// (in any process or language) never interleave.
func Append(path string, v any) error {
	return AppendWithOptions(path, v, AppendOptions{})
}

// AppendWithOptions is Append with options.
func AppendWithOptions(path string, v any, opts AppendOptions) error {
	if err := checkPaths("append", path, opts.Lock.LockDir); err != nil {
		return err
	}
	line, err := marshalJSON(v)
	if err != nil {
		return goError(CodeInvalid, "append", path, err)
	}
	lockOpts := nativeLockOptions(opts.Lock)
	defer native.DeleteFl_lock_options(lockOpts)
	st := native.Fl_append_ex(path, string(line), lockOpts, int(opts.Durability))
	return statusError(st, "append", path)
}
