package filelock

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"filelock.dev/filelock/internal/native"
)

// The binding's overhead, measured as the same work through the API and through the
// native (SWIG) calls directly, in the same directory and interleaved round by round,
// so that disk and fsync variance (large on some machines) falls on both alike. Each
// benchmark reports the medians of the rounds: api-us, native-us and overhead-us (the
// median of the per-round differences). bench/run.sh runs them in its work directory.

// benchDir is where the benchmark's files live: a fresh folder under
// FILELOCK_BENCH_DIR (bench/run.sh sets it to its work directory, the disk its C
// figures were measured on), else the test's temporary directory.
func benchDir(b *testing.B) string {
	root := os.Getenv("FILELOCK_BENCH_DIR")
	if root == "" {
		return b.TempDir()
	}
	dir, err := os.MkdirTemp(root, "go-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// pairedRounds runs api and native in alternating rounds of `per` calls each (which
// goes first alternates too), about b.N calls of each in all, and reports the medians.
func pairedRounds(b *testing.B, per int, api, native func()) {
	api()
	native()
	rounds := b.N/per + 1
	if rounds < 5 {
		rounds = 5
	}
	a := make([]float64, 0, rounds)
	n := make([]float64, 0, rounds)
	d := make([]float64, 0, rounds)
	timed := func(fn func()) float64 {
		start := time.Now()
		for i := 0; i < per; i++ {
			fn()
		}
		return float64(time.Since(start).Nanoseconds()) / 1e3 / float64(per)
	}
	b.ResetTimer()
	for r := 0; r < rounds; r++ {
		var ta, tn float64
		if r%2 == 0 {
			ta, tn = timed(api), timed(native)
		} else {
			tn, ta = timed(native), timed(api)
		}
		a, n, d = append(a, ta), append(n, tn), append(d, ta-tn)
	}
	b.StopTimer()
	b.ReportMetric(median(a), "api-us")
	b.ReportMetric(median(n), "native-us")
	b.ReportMetric(median(d), "overhead-us")
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func check(b *testing.B, st *native.Status, what string) {
	if st != nil {
		b.Fatalf("%s: %s", what, st.Message)
	}
}

// Lock+Unlock on a Lock made by New, beside fl_lock+fl_unlock on a handle opened with
// the options New gives fl_open (the C API's lock.fl_flock_holder_us shape).
func BenchmarkLockUnlockPaired(b *testing.B) {
	dir := benchDir(b)
	l := New(filepath.Join(dir, "api.json"))
	defer l.Close()
	opts := nativeLockOptions(Options{Timeout: DefaultTimeout})
	defer native.DeleteFl_lock_options(opts)
	var raw uintptr
	check(b, native.Fl_open(&raw, filepath.Join(dir, "native.json"), opts), "fl_open")
	h := native.SwigcptrFl_handle(raw)
	defer native.Fl_close(h)
	timeout := timeoutMillis(DefaultTimeout)
	pairedRounds(b, 500, func() {
		if err := l.Lock(); err != nil {
			b.Fatal(err)
		}
		if err := l.Unlock(); err != nil {
			b.Fatal(err)
		}
	}, func() {
		check(b, native.Fl_lock(h, native.FL_EXCLUSIVE, timeout), "fl_lock")
		check(b, native.Fl_unlock(h), "fl_unlock")
	})
}

// openNativeState opens the state at path with opts through the native calls alone.
func openNativeState(b *testing.B, path string, opts StateOptions) native.Fl_state {
	h, err := openNative(path, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { native.Fl_state_close(h) })
	return h
}

// nativeIncrement is state.fl_full_1k_us's transaction: begin, get "/counter", set it
// one higher, commit.
func nativeIncrement(b *testing.B, h native.Fl_state) {
	var raw uintptr
	check(b, native.Fl_txn_begin(h, &raw), "fl_txn_begin")
	t := native.SwigcptrFl_txn(raw)
	var v string
	check(b, native.Fl_txn_get(t, "/counter", &v), "fl_txn_get")
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		b.Fatal(err)
	}
	check(b, native.Fl_txn_set(t, "/counter", strconv.FormatInt(n+1, 10)), "fl_txn_set")
	check(b, native.Fl_txn_commit(t), "fl_txn_commit")
}

// durable1K opens two ~1 KiB states side by side, FULL durability with backups and the
// audit log on (the defaults): one for the API, one for the native calls.
func durable1K(b *testing.B) (*State, native.Fl_state) {
	return states1K(b, StateOptions{Initial: doc1K()})
}

func states1K(b *testing.B, opts StateOptions) (*State, native.Fl_state) {
	dir := benchDir(b)
	st, err := OpenState(filepath.Join(dir, "api.json"), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st, openNativeState(b, filepath.Join(dir, "native.json"), opts)
}

// One Update incrementing the counter of a ~1 KiB durable document, beside the C
// benchmark's raw transaction sequence.
func BenchmarkStateUpdateDurable1KPaired(b *testing.B) {
	benchUpdatePaired(b, durable1K)
}

// The same without fsync (ATOMIC durability, backups and log still on): the binding's
// CPU cost per Update, which fsync's variance hides in the durable figure.
func BenchmarkStateUpdateAtomic1KPaired(b *testing.B) {
	benchUpdatePaired(b, func(b *testing.B) (*State, native.Fl_state) {
		return states1K(b, StateOptions{Initial: doc1K(), Durability: DurabilityAtomic})
	})
}

func benchUpdatePaired(b *testing.B, open func(*testing.B) (*State, native.Fl_state)) {
	st, h := open(b)
	increment := func(doc map[string]any) error {
		n, _ := doc["counter"].(float64)
		doc["counter"] = n + 1
		return nil
	}
	pairedRounds(b, 1, func() {
		if err := st.Update(increment); err != nil {
			b.Fatal(err)
		}
	}, func() { nativeIncrement(b, h) })
}

// The same transaction as the C benchmark, through Txn: Begin, Get and Set "/counter",
// Commit, beside the raw sequence.
func BenchmarkTxnDurable1KPaired(b *testing.B) {
	st, h := durable1K(b)
	pairedRounds(b, 1, func() {
		t, err := st.Begin()
		if err != nil {
			b.Fatal(err)
		}
		var n int64
		if err := t.Get("/counter", &n); err != nil {
			b.Fatal(err)
		}
		if err := t.Set("/counter", n+1); err != nil {
			b.Fatal(err)
		}
		if err := t.Commit(); err != nil {
			b.Fatal(err)
		}
	}, func() { nativeIncrement(b, h) })
}
