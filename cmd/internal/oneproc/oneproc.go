// Package oneproc runs the process's goroutines on one processor (P), unless
// the GOMAXPROCS environment variable says otherwise. The helper's main
// package imports it for that side effect.
//
// A credential helper lives for milliseconds and spends most of them
// waiting on other processes (the session bus, the Secret Service); it has
// nothing to run in parallel. With a P per CPU, the runtime wakes a thread
// on another CPU for each goroutine that becomes ready (godbus's reader,
// with every answer), and the main goroutine, back from a blocking system
// call, may go on on the other P: each P then allocates from memory of its
// own, pages that fault in one by one. On one P a get faults in about 30
// fewer pages (422 against 452) and makes 7 futex calls instead of 19;
// on the machine of BENCHMARKS.md it took 1.0-2.5 ms less (medians of
// 200-300 interleaved runs of byte-identical files but for this package,
// in the same page cache state). version, which starts no goroutine, is
// unchanged.
//
// The setting is made in this package's init, before most other packages'
// inits (packages are initialised in the order of their import paths where
// their imports allow, and this one imports runtime and syscall only):
// made in main, after the inits had allocated on both Ps, giving the
// second P's memory back cost more than one P saved (79 more page faults).
package oneproc

import (
	"runtime"
	"syscall"
)

func init() {
	if _, set := syscall.Getenv("GOMAXPROCS"); !set {
		runtime.GOMAXPROCS(1)
	}
}
