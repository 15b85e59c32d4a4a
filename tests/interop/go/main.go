// Interop worker in Go: the same protocol as worker.c (see there).
package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"filelock.dev/filelock"
)

// addOne adds one to the integer at pointer, which may not exist yet.
func addOne(txn *filelock.Txn, pointer string) error {
	var v int64
	if err := txn.Get(pointer, &v); err != nil && !errors.Is(err, filelock.ErrNotFound) {
		return err
	}
	return txn.Set(pointer, v+1)
}

func run() error {
	path, role := os.Args[1], os.Args[2]
	var err error
	var opts filelock.StateOptions
	if journal := os.Getenv("FILELOCK_WORKER_JOURNAL"); journal != "" {
		if opts.JournalMaxBytes, err = strconv.ParseInt(journal, 10, 64); err != nil {
			return err
		}
	}
	state, err := filelock.OpenState(path, opts)
	if err != nil {
		return err
	}
	defer state.Close()
	if role == "read" {
		var doc struct{ Count int64 }
		if err := state.Read(&doc); err != nil {
			return err
		}
		fmt.Println(doc.Count)
		return nil
	}
	n, err := strconv.Atoi(os.Args[3])
	if err != nil {
		return err
	}
	for i := 1; i <= n; i++ {
		txn, err := state.Begin()
		if err != nil {
			return err
		}
		if err := addOne(txn, "/count"); err != nil {
			txn.Rollback()
			return err
		}
		if err := addOne(txn, "/workers/"+role); err != nil {
			txn.Rollback()
			return err
		}
		if err := txn.Commit(); err != nil {
			return err
		}
		fmt.Printf("ack %d\n", i)
	}
	return nil
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: worker PATH ID N | worker PATH read")
		os.Exit(2)
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "worker-go:", err)
		os.Exit(1)
	}
}
