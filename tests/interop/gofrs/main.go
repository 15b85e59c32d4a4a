// A gofrs/flock user, for the neighbours test (neighbours.py): locks PATH itself,
// as every gofrs/flock program does.
//
//	gofrs-locker hold PATH  lock (waiting), print "locked", hold until stdin closes
//	gofrs-locker try PATH   try once: print "locked" (exit 0) or "busy" (exit 1)
//	gofrs-locker wait PATH  lock (waiting), print "locked", release
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/gofrs/flock"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gofrs-locker hold|try|wait PATH")
		os.Exit(2)
	}
	l := flock.New(os.Args[2])
	switch os.Args[1] {
	case "try":
		ok, err := l.TryLock()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if !ok {
			fmt.Println("busy")
			os.Exit(1)
		}
		fmt.Println("locked")
	case "hold", "wait":
		if err := l.Lock(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println("locked")
		if os.Args[1] == "hold" {
			io.Copy(io.Discard, os.Stdin)
		}
	default:
		os.Exit(2)
	}
	if err := l.Unlock(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
