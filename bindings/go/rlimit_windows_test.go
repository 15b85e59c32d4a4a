package filelock

// Windows has no descriptor limit to lower; the loop still shows no failure.
func limitDescriptors(n uint64) error { return nil }
