// gofrs/flock measured like filelock-bench measures filelock: uncontended
// exclusive Lock+Unlock on an existing lock file. Prints "golock.gofrs_flock_us V".
// Usage: GO111MODULE=off GOPATH=/usr/share/gocode go run gofrs_flock.go LOCKFILE [N]
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/gofrs/flock"
)

func main() {
	n := 200000
	if len(os.Args) > 2 {
		n, _ = strconv.Atoi(os.Args[2])
	}
	f := flock.New(os.Args[1])
	start := time.Now()
	for i := 0; i < n; i++ {
		if err := f.Lock(); err != nil {
			fmt.Fprintln(os.Stderr, "lock:", err)
			os.Exit(1)
		}
		f.Unlock()
	}
	us := float64(time.Since(start).Nanoseconds()) / 1e3 / float64(n)
	fmt.Printf("golock.gofrs_flock_us %.3f\n", us)
}
