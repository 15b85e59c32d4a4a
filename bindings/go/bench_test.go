package filelock

import (
	"path/filepath"
	"testing"
)

// The cost of an uncontended lock and unlock through the binding (two cgo calls).
func BenchmarkLockUnlock(b *testing.B) {
	l := New(filepath.Join(b.TempDir(), "data.json"))
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
	st, err := OpenState(filepath.Join(b.TempDir(), "state.json"),
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
