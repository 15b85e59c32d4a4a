package filelock

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// The cost of an uncontended lock and unlock through the binding (two cgo calls).
func BenchmarkLockUnlock(b *testing.B) {
	l := New(filepath.Join(benchDir(b), "data.json"))
	defer l.Close()
	for i := 0; i < b.N; i++ {
		if err := l.Lock(); err != nil {
			b.Fatal(err)
		}
		if err := l.Unlock(); err != nil {
			b.Fatal(err)
		}
	}
}

// One committed increment of a state document, without fsync and backups.
func BenchmarkStateUpdate(b *testing.B) {
	st, err := OpenState(filepath.Join(benchDir(b), "state.json"),
		StateOptions{Durability: DurabilityAtomic, MaxBackups: -1, NoBackupBeforeWrite: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := st.Update(incrementCount); err != nil {
			b.Fatal(err)
		}
	}
}

// doc1K is the document bench/state_suite.cpp commits: a counter and small records.
func doc1K() map[string]any {
	var b strings.Builder
	b.WriteString(`{"counter":0,"items":[`)
	for i := 0; b.Len()+2+70 < 1024; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"item-%06d","status":"success","ms":42.5}`, i, i)
	}
	b.WriteString("]}")
	doc, err := decodeObject([]byte(b.String()))
	if err != nil {
		panic(err)
	}
	return doc
}

// One durable increment of a ~1 KiB document with backups and the audit log on, as
// filelock-bench's state.fl_full_1k_us: the binding's cost per transaction beside C's.
func BenchmarkStateUpdateDurable1K(b *testing.B) {
	st, err := OpenState(filepath.Join(benchDir(b), "state.json"), StateOptions{Initial: doc1K()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	increment := func(doc map[string]any) error {
		n, _ := doc["counter"].(float64)
		doc["counter"] = n + 1
		return nil
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := st.Update(increment); err != nil {
			b.Fatal(err)
		}
	}
}
