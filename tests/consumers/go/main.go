// A Go program outside the source tree that uses filelock.dev/filelock as installed by
// golang-filelock-dev: checks the library version, takes a lock another handle cannot
// get, takes one through the gofrs/flock-shaped package filelock.dev/filelock/flock,
// commits a state transaction and reads it back, then prints where
// libfilelock.so.1 was loaded from and "ok VERSION".
//
//	consumer VERSION DIR
package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"filelock.dev/filelock"
	"filelock.dev/filelock/flock"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: consumer VERSION DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL", err)
		os.Exit(1)
	}
}

func run(version, dir string) error {
	if got := filelock.Version(); got != version {
		return fmt.Errorf("library version %s, want %s", got, version)
	}
	lockPath := filepath.Join(dir, "worker.lock")
	holder := filelock.New(lockPath)
	defer holder.Close()
	if err := holder.Lock(); err != nil {
		return err
	}
	other := filelock.NewWithOptions(lockPath, filelock.Options{Timeout: -1})
	defer other.Close()
	if err := other.Lock(); !errors.Is(err, filelock.ErrTimeout) {
		return fmt.Errorf("second exclusive lock: got %v, want ErrTimeout", err)
	}
	if err := holder.Unlock(); err != nil {
		return err
	}

	job := flock.New(filepath.Join(dir, "job.pid"))
	if ok, err := job.TryLock(); !ok || err != nil {
		return fmt.Errorf("flock TryLock: %v %v", ok, err)
	}
	if err := job.Close(); err != nil {
		return err
	}
	if err := flock.New(filepath.Join(dir, "missing", "job.pid")).Lock(); !os.IsNotExist(err) {
		return fmt.Errorf("flock Lock in a missing folder: %v, want an error os.IsNotExist accepts", err)
	}

	path := filepath.Join(dir, "pipeline.json")
	state, err := filelock.OpenState(path, filelock.StateOptions{})
	if err != nil {
		return err
	}
	defer state.Close()
	txn, err := state.Begin()
	if err != nil {
		return err
	}
	if err := txn.Set("/phase1", map[string]any{"status": "success"}); err != nil {
		txn.Rollback()
		return err
	}
	if err := txn.Commit(); err != nil {
		return err
	}
	var doc struct {
		Phase1 struct{ Status string } `json:"phase1"`
	}
	if err := state.Read(&doc); err != nil {
		return err
	}
	if doc.Phase1.Status != "success" {
		return fmt.Errorf("committed transaction lost: read %+v", doc)
	}

	loaded, err := mappedLibrary("libfilelock.so.1")
	if err != nil {
		return err
	}
	fmt.Println("loaded", loaded)
	fmt.Println("ok", filelock.Version())
	return nil
}

// mappedLibrary reports the file this process mapped for the named shared library
// (maps name the file itself: libfilelock.so.1.4.0 for libfilelock.so.1).
func mappedLibrary(name string) (string, error) {
	maps, err := os.Open("/proc/self/maps")
	if err != nil {
		return "", err
	}
	defer maps.Close()
	lines := bufio.NewScanner(maps)
	for lines.Scan() {
		fields := strings.Fields(lines.Text())
		if len(fields) != 6 {
			continue
		}
		if base := filepath.Base(fields[5]); base == name || strings.HasPrefix(base, name+".") {
			return fields[5], nil
		}
	}
	if err := lines.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s is not mapped", name)
}
