package filelock_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"filelock.dev/filelock"
)

func tempDir() string {
	dir, err := os.MkdirTemp("", "filelock-example")
	if err != nil {
		log.Fatal(err)
	}
	return dir
}

func ExampleWithWriteLock() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "config.json")

	err := filelock.WithWriteLock(path, func() error {
		return os.WriteFile(path, []byte(`{"ready":true}`), 0o644)
	})
	fmt.Println(err)
	// Output: <nil>
}

func ExampleNewWithOptions() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "data.json")

	writer := filelock.New(path)
	defer writer.Close()
	if err := writer.Lock(); err != nil {
		log.Fatal(err)
	}

	reader := filelock.NewWithOptions(path, filelock.Options{
		Timeout:  -1, // try once
		LockType: filelock.Shared,
	})
	defer reader.Close()
	err := reader.Lock()
	fmt.Println(errors.Is(err, filelock.ErrTimeout))
	// Output: true
}

func ExampleLock_LockContext() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "data.json")

	holder := filelock.New(path)
	defer holder.Close()
	if err := holder.Lock(); err != nil {
		log.Fatal(err)
	}

	waiter := filelock.NewWithOptions(path, filelock.Options{Timeout: 0}) // no timeout
	defer waiter.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	fmt.Println(waiter.LockContext(ctx))
	// Output: context deadline exceeded
}

func ExampleState_Update() {
	dir := tempDir()
	defer os.RemoveAll(dir)

	state, err := filelock.OpenState(filepath.Join(dir, "pipeline.json"), filelock.StateOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer state.Close()

	err = state.Update(func(doc map[string]any) error {
		doc["phase1"] = map[string]any{"status": "success", "metrics": map[string]any{"duration": 42.0}}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	var doc struct {
		Phase1 struct{ Status string } `json:"phase1"`
	}
	if err := state.Read(&doc); err != nil {
		log.Fatal(err)
	}
	fmt.Println(doc.Phase1.Status)
	// Output: success
}

type Registry struct {
	Workers []string `json:"workers"`
}

func ExampleUpdateAs() {
	dir := tempDir()
	defer os.RemoveAll(dir)

	state, err := filelock.OpenState(filepath.Join(dir, "registry.json"), filelock.StateOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer state.Close()

	for _, name := range []string{"ingest", "encode"} {
		err := filelock.UpdateAs(state, func(reg *Registry) error {
			reg.Workers = append(reg.Workers, name)
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	history, err := state.History(0)
	if err != nil {
		log.Fatal(err)
	}
	var reg Registry
	if err := state.Read(&reg); err != nil {
		log.Fatal(err)
	}
	fmt.Println(reg.Workers, len(history) >= 2)
	// Output: [ingest encode] true
}

func ExampleAppend() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "journal.jsonl")

	for i := 1; i <= 2; i++ {
		if err := filelock.Append(path, map[string]int{"event": i}); err != nil {
			log.Fatal(err)
		}
	}
	data, _ := os.ReadFile(path)
	fmt.Print(string(data))
	// Output:
	// {"event":1}
	// {"event":2}
}
