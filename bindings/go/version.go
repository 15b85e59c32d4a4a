package filelock

import "filelock.dev/filelock/internal/native"

// Version is the loaded C library's version, e.g. "1.4.0".
func Version() string { return native.Fl_version() }
