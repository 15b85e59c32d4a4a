package filelock

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func openTestState(t *testing.T, opts StateOptions) *State {
	t.Helper()
	st, err := OpenState(filepath.Join(t.TempDir(), "pipeline.json"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func readMap(t *testing.T, st *State) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := st.Read(&doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestOpenStateCreatesInitialDocument(t *testing.T) {
	st := openTestState(t, StateOptions{Initial: map[string]any{"phase1": map[string]any{"status": "pending"}}})
	doc := readMap(t, st)
	if doc["phase1"].(map[string]any)["status"] != "pending" {
		t.Fatalf("document %v, want the initial one", doc)
	}
	data, err := os.ReadFile(st.Path())
	if err != nil || !strings.Contains(string(data), "pending") {
		t.Fatalf("file on disk: %q, %v", data, err)
	}
}

func TestWriteReadRawAndGenerations(t *testing.T) {
	st := openTestState(t, StateOptions{})
	_, gen0, err := st.ReadRaw()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write(map[string]any{"a": 1}); err != nil {
		t.Fatal(err)
	}
	raw, gen1, err := st.ReadRaw()
	if err != nil {
		t.Fatal(err)
	}
	if gen1 != gen0+1 || !strings.Contains(string(raw), `"a"`) {
		t.Fatalf("after Write: %s at generation %d (was %d)", raw, gen1, gen0)
	}

	if err := st.WriteIf(map[string]any{"a": 2}, gen0); !errors.Is(err, ErrConflict) {
		t.Fatalf("WriteIf with a stale generation: got %v, want ErrConflict", err)
	}
	if doc := readMap(t, st); doc["a"] != 1.0 {
		t.Fatalf("a conflicting WriteIf changed the document: %v", doc)
	}
	if err := st.WriteIf(map[string]any{"a": 2}, gen1); err != nil {
		t.Fatal(err)
	}
	if doc := readMap(t, st); doc["a"] != 2.0 {
		t.Fatalf("document %v after WriteIf, want a=2", doc)
	}
}

func TestUpdateCommitsAndRollsBack(t *testing.T) {
	st := openTestState(t, StateOptions{})
	err := st.Update(func(doc map[string]any) error {
		doc["phase1"] = map[string]any{"status": "success", "metrics": map[string]any{"duration": 42.0}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := readMap(t, st)

	failure := errors.New("tts failed")
	err = st.Update(func(doc map[string]any) error {
		doc["phase1"] = "broken"
		return failure
	})
	if err != failure {
		t.Fatalf("Update returned %v, want fn's error unchanged", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not propagate")
			}
		}()
		st.Update(func(doc map[string]any) error {
			doc["phase1"] = "broken"
			panic("boom")
		})
	}()
	if got := readMap(t, st); !reflect.DeepEqual(got, want) {
		t.Fatalf("after failed updates the document is %v, want %v", got, want)
	}
	// The State is usable again: the lock and the handle were released.
	if err := st.Update(incrementCount); err != nil {
		t.Fatal(err)
	}
}

type registry struct {
	Workers []string       `json:"workers"`
	Count   int64          `json:"count"`
	Meta    map[string]int `json:"meta,omitempty"`
}

func TestUpdateAsStruct(t *testing.T) {
	st := openTestState(t, StateOptions{})
	for _, name := range []string{"a", "b"} {
		err := UpdateAs(st, func(r *registry) error {
			r.Workers = append(r.Workers, name)
			r.Count = 1 << 60 // exact in a struct, beyond float64's integers
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var got registry
	if err := st.Read(&got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, registry{Workers: []string{"a", "b"}, Count: 1 << 60}) {
		t.Fatalf("read back %+v", got)
	}
}

func TestTxnPointerOperations(t *testing.T) {
	st := openTestState(t, StateOptions{Initial: map[string]any{"keep": true, "drop": 1}})
	txn, err := st.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Rollback()
	start := txn.Generation()
	if err := txn.Set("/phase2/files/book.pdf", map[string]string{"hash": "abc"}); err != nil {
		t.Fatal(err)
	}
	if err := txn.Remove("/drop"); err != nil {
		t.Fatal(err)
	}
	if err := txn.Merge(map[string]any{"keep": nil, "added": "x"}); err != nil {
		t.Fatal(err)
	}
	var hash string
	if err := txn.Get("/phase2/files/book.pdf/hash", &hash); err != nil || hash != "abc" {
		t.Fatalf("Get = %q, %v", hash, err)
	}
	var missing any
	if err := txn.Get("/nope", &missing); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing member: got %v, want ErrNotFound", err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := txn.Set("/late", 1); err == nil {
		t.Fatal("Set after Commit succeeded")
	}
	want := map[string]any{"added": "x", "phase2": map[string]any{"files": map[string]any{"book.pdf": map[string]any{"hash": "abc"}}}}
	if got := readMap(t, st); !reflect.DeepEqual(got, want) {
		t.Fatalf("document %v, want %v", got, want)
	}
	if _, gen, _ := st.ReadRaw(); gen != start+1 {
		t.Fatalf("generation %d after one commit from %d", gen, start)
	}
}

func TestSchemaValidationRefusesAndKeepsDocument(t *testing.T) {
	schema := `{"type":"object","properties":{"count":{"type":"integer"}}}`
	st := openTestState(t, StateOptions{Schema: schema, Initial: map[string]any{"count": 1}})
	err := st.Write(map[string]any{"count": "many"})
	if !errors.Is(err, ErrValidation) || !strings.Contains(err.Error(), st.Path()) {
		t.Fatalf("invalid write: got %v, want ErrValidation naming the path", err)
	}
	if doc := readMap(t, st); doc["count"] != 1.0 {
		t.Fatalf("document changed to %v", doc)
	}
	err = st.Update(func(doc map[string]any) error { doc["count"] = "many"; return nil })
	if !errors.Is(err, ErrValidation) {
		t.Fatalf("invalid update: got %v, want ErrValidation", err)
	}
}

func TestBackupsRestoreHistoryVerify(t *testing.T) {
	st := openTestState(t, StateOptions{})
	gens := map[int]uint64{}
	for i := 1; i <= 3; i++ {
		if err := st.Write(map[string]any{"v": i}); err != nil {
			t.Fatal(err)
		}
		_, gens[i], _ = st.ReadRaw()
	}
	id, err := st.Backup()
	if err != nil || id == "" {
		t.Fatalf("Backup = %q, %v", id, err)
	}
	backups, err := st.Backups()
	if err != nil {
		t.Fatal(err)
	}
	if len(backups) < 4 || backups[0].ID != id || backups[0].CreatedAt == "" {
		t.Fatalf("backups %+v, want the automatic ones and %s first", backups, id)
	}
	var v1 *Backup // the automatic backup of {"v":1}, taken when v=2 was written
	for i := range backups {
		if i > 0 && backups[i].Generation > backups[i-1].Generation {
			t.Fatalf("backups not newest first: %+v", backups)
		}
		if backups[i].Generation == gens[1] {
			v1 = &backups[i]
		}
	}
	if v1 == nil {
		t.Fatalf("no backup of generation %d in %+v", gens[1], backups)
	}
	if err := st.Restore(v1.ID); err != nil {
		t.Fatal(err)
	}
	if doc := readMap(t, st); doc["v"] != 1.0 {
		t.Fatalf("after restoring %s the document is %v, want v=1", v1.ID, doc)
	}
	if err := st.Restore("no-such-backup"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("restore of a missing backup: got %v, want ErrNotFound", err)
	}

	history, err := st.History(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(history) < 4 || !history[0].OK || history[0].PID != os.Getpid() {
		t.Fatalf("history %+v, want the writes and the restore, newest first", history)
	}
	if limited, _ := st.History(2); len(limited) != 2 {
		t.Fatalf("History(2) returned %d records", len(limited))
	}

	report, err := st.Verify()
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK || !report.Document.OK || report.Backups.Count < len(backups) || len(report.Problems) != 0 {
		t.Fatalf("verify report %+v", report)
	}
}

func TestVerifyReportsDamagedDocument(t *testing.T) {
	st := openTestState(t, StateOptions{})
	if err := os.WriteFile(st.Path(), []byte(`{"torn":`), 0o644); err != nil {
		t.Fatal(err)
	}
	report, err := st.Verify()
	if !errors.Is(err, ErrCorrupt) || report == nil {
		t.Fatalf("verify of a damaged document: got %v, want ErrCorrupt with a report", err)
	}
	if report.OK || report.Document.OK || len(report.Problems) == 0 {
		t.Fatalf("damaged document verified as %+v", report)
	}
	var doc map[string]any
	if err := st.Read(&doc); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), st.Path()) {
		t.Fatalf("read of a damaged document: got %v, want ErrCorrupt naming the path", err)
	}
}

func TestClosedStateRefusesUse(t *testing.T) {
	st := openTestState(t, StateOptions{})
	st.Close()
	var doc any
	if err := st.Read(&doc); !errors.Is(err, ErrClosed) {
		t.Fatalf("Read after Close: got %v, want ErrClosed", err)
	}
	if _, err := st.Begin(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Begin after Close: got %v, want ErrClosed", err)
	}
}

// Goroutines sharing one *State and goroutines with their own State on the same file
// never lose an increment.
func TestConcurrentGoroutinesUpdateOneStateFile(t *testing.T) {
	shared := openTestState(t, StateOptions{Durability: DurabilityAtomic, MaxBackups: -1})
	const goroutines, rounds = 6, 20
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			st := shared
			if g%2 == 1 {
				own, err := OpenState(shared.Path(), StateOptions{Durability: DurabilityAtomic, MaxBackups: -1})
				if err != nil {
					t.Error(err)
					return
				}
				defer own.Close()
				st = own
			}
			for i := 0; i < rounds; i++ {
				if err := st.Update(incrementCount); err != nil {
					t.Error(fmt.Errorf("goroutine %d: %w", g, err))
					return
				}
			}
		}(g)
	}
	wg.Wait()
	if got := readMap(t, shared)["count"]; got != float64(goroutines*rounds) {
		t.Fatalf("count = %v, want %d", got, goroutines*rounds)
	}
}

// Processes increment one state file; one is killed midway. Every acknowledged
// increment is there, and nothing else but at most the one the kill interrupted
// after its commit.
func TestProcessesIncrementOneStateWithOneKilled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipeline.json")
	const workers, rounds = 3, 30
	var hs []*helper
	for w := 0; w < workers; w++ {
		hs = append(hs, startHelper(t, "increment", path, fmt.Sprint(rounds)))
	}
	victim := startHelper(t, "increment", path, "100000")
	acked := 0
	for acked < 10 {
		victim.expectLine(t, "ok")
		acked++
	}
	victim.kill(t)
	for {
		line, err := victim.out.ReadString('\n')
		if err != nil {
			break
		}
		if strings.TrimSpace(line) == "ok" {
			acked++
		}
	}
	for _, h := range hs {
		if err := h.cmd.Wait(); err != nil {
			t.Fatalf("worker: %v", err)
		}
	}
	st, err := OpenState(path, StateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	count := readMap(t, st)["count"].(float64)
	want := float64(workers*rounds + acked)
	if count != want && count != want+1 {
		t.Fatalf("count = %v, want %v acknowledged (+1 at most for the kill)", count, want)
	}
	report, err := st.Verify()
	if err != nil || !report.Document.OK {
		t.Fatalf("after the kill: %+v, %v", report, err)
	}
}

// A transaction dropped without Commit or Rollback is rolled back by its finalizer,
// which frees the State and the file's lock.
func TestForgottenTxnIsRolledBackByFinalizer(t *testing.T) {
	st := openTestState(t, StateOptions{Initial: map[string]any{"count": 1}})
	func() {
		txn, err := st.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if err := txn.Set("/count", 99); err != nil {
			t.Fatal(err)
		}
	}()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
				runtime.GC()
			}
		}
	}()
	done := make(chan error, 1)
	go func() { done <- st.Update(incrementCount) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the forgotten transaction still holds the State")
	}
	if got := readMap(t, st)["count"]; got != 2.0 {
		t.Fatalf("count = %v, want 2: the forgotten change must not commit", got)
	}
}

// Numbers Update's fn does not touch are written back exactly, even those a float64
// cannot hold.
func TestUpdateKeepsNumbersExactly(t *testing.T) {
	const doc = `{"big":9007199254740993,"long":0.1000000000000000000001,"huge":1e400,` +
		`"list":[18446744073709551615,2.5],"count":1}`
	st := openTestState(t, StateOptions{})
	if err := st.Write(json.RawMessage(doc)); err != nil {
		t.Fatal(err)
	}
	err := st.Update(func(d map[string]any) error {
		if _, ok := d["big"].(json.Number); !ok {
			t.Errorf("big arrived as %T, want json.Number", d["big"])
		}
		if d["list"].([]any)[1] != 2.5 {
			t.Errorf("2.5 arrived as %#v, want float64", d["list"].([]any)[1])
		}
		return incrementCount(d)
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := st.ReadRaw()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"9007199254740993", "0.1000000000000000000001", "1e400",
		"18446744073709551615"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("%s lost %s", raw, want)
		}
	}
	if got, err := decodeObject(raw); err != nil || got["count"] != 2.0 {
		t.Errorf("count = %v (%v), want 2", got["count"], err)
	}
}

// A struct that knows part of a shared document leaves the rest as it was.
func TestUpdateAsKeepsMembersTheStructDoesNotKnow(t *testing.T) {
	st := openTestState(t, StateOptions{Initial: json.RawMessage(
		`{"workers":["py"],"meta":{"a":1},"phase1":{"status":"success"},"id":9007199254740993}`)})
	err := UpdateAs(st, func(r *registry) error {
		r.Workers = append(r.Workers, "go")
		r.Meta = nil // known to the struct: removing it is the caller's choice
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, _, _ := st.ReadRaw()
	doc, err := decodeObject(raw)
	if err != nil {
		t.Fatal(err)
	}
	if doc["phase1"].(map[string]any)["status"] != "success" || !strings.Contains(string(raw), "9007199254740993") {
		t.Fatalf("unknown members lost: %s", raw)
	}
	if _, ok := doc["meta"]; ok || len(doc["workers"].([]any)) != 2 {
		t.Fatalf("known members not updated: %s", raw)
	}
}

func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(entries)
}

// States and Locks dropped without Close give their files back through finalizers.
func TestForgottenStatesAndLocksAreClosedByFinalizers(t *testing.T) {
	dir := t.TempDir()
	runtime.GC()
	before := openFDs(t)
	func() {
		for i := 0; i < 10; i++ {
			path := filepath.Join(dir, fmt.Sprintf("s%d.json", i))
			st, err := OpenState(path, StateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := st.Read(&doc); err != nil {
				t.Fatal(err)
			}
			mustLock(t, New(path+".other"))
		}
	}()
	if opened := openFDs(t); opened <= before {
		t.Fatalf("%d descriptors open, %d before: the test opened nothing", opened, before)
	}
	deadline := time.Now().Add(10 * time.Second)
	for openFDs(t) > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d descriptors still open, %d before", openFDs(t), before)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestJournalCommitsAppendAndEveryHandleReadsThem(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pipeline.json")
	st, err := OpenState(path, StateOptions{JournalMaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Write(map[string]any{"phase1": map[string]any{"status": "pending"}}); err != nil {
		t.Fatal(err)
	}
	onDisk, _ := os.ReadFile(path)
	setInTransaction(t, st, "/phase1/status", "success")
	// The commit went to the journal: the file is as the write left it.
	if now, _ := os.ReadFile(path); string(now) != string(onDisk) {
		t.Fatalf("the document file changed: %s", now)
	}
	if fi, err := os.Stat(filepath.Join(dir, ".pipeline.json.filelock", "journal")); err != nil || fi.Size() == 0 {
		t.Fatalf("no journal records: %v", err)
	}
	other := openTestStateAt(t, path)
	for _, s := range []*State{st, other} {
		if got := readMap(t, s)["phase1"].(map[string]any)["status"]; got != "success" {
			t.Fatalf("read %v, want the journal's commit", got)
		}
	}
}

func TestGetReadsOneValueWithItsGeneration(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pipeline.json")
	st, err := OpenState(path, StateOptions{JournalMaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Write(map[string]any{"phases": map[string]any{"a/b": []any{1, "done"}}}); err != nil {
		t.Fatal(err)
	}
	reader := openTestStateAt(t, path)
	setInTransaction(t, st, "/phases/a~1b/1", "again")
	raw, generation, err := reader.GetRaw("/phases/a~1b")
	if err != nil || string(raw) != `[1,"again"]` {
		t.Fatalf("GetRaw = %s, %v", raw, err)
	}
	if _, want, _ := st.ReadRaw(); generation != want {
		t.Fatalf("generation %d, the state's is %d", generation, want)
	}
	var status string
	if err := reader.Get("/phases/a~1b/1", &status); err != nil || status != "again" {
		t.Fatalf("Get = %q, %v", status, err)
	}
	_, _, err = reader.GetRaw("/phases/missing")
	var fe *Error
	if !errors.As(err, &fe) || fe.Code != CodeNotFound || !errors.Is(err, ErrNotFound) ||
		!strings.Contains(err.Error(), "state get") || !strings.Contains(err.Error(), "/phases/missing") {
		t.Fatalf("missing pointer: %v", err)
	}
}

// setInTransaction commits one Set in a transaction of its own.
func setInTransaction(t *testing.T, st *State, pointer string, v any) {
	t.Helper()
	txn, err := st.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := txn.Set(pointer, v); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
}

func openTestStateAt(t *testing.T, path string) *State {
	t.Helper()
	st, err := OpenState(path, StateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
