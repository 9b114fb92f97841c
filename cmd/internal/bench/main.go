//go:build linux

// Command bench measures docker-credential-pat against the reference
// credential helpers (docker-credential-secretservice and
// docker-credential-pass from docker-credential-helpers) as Docker uses
// them: one process per action, the payload on stdin, wall time from fork
// to exit. It builds every helper, starts a private D-Bus session with an
// unlocked gnome-keyring and a throwaway GnuPG key, fills each helper with
// N entries through its own store, times each protocol action with the
// helpers interleaved, and writes BENCHMARKS.md.
//
// Run it with `make bench` (or `go run ./cmd/internal/bench`) from the
// repository root. It is not a test: nothing here asserts a time.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is what the flags set.
type config struct {
	out       string        // where the report goes
	runs      int           // runs per cell
	minRuns   int           // fewest runs a cell may stop at when over budget
	budget    time.Duration // soft time budget per cell, at most
	total     time.Duration // soft time budget for the whole run; cells share what is left
	sizes     []int         // N values
	getAllN   int           // N at which docker's GetAllCredentials pattern runs
	keep      bool          // keep the temp dir for inspection
	goCommand string
}

func main() {
	// keychaintest starts its daemons with Pdeathsig, which Linux ties to
	// the thread that forked them, not the process: keep every fork of
	// this goroutine on one thread that lives as long as the program.
	runtime.LockOSThread()
	os.Exit(run())
}

func run() int {
	cfg := config{goCommand: "go"}
	if g := os.Getenv("GO"); g != "" {
		cfg.goCommand = g
	}
	var sizes string
	flag.StringVar(&cfg.out, "out", "BENCHMARKS.md", "write the report to this file (\"-\" for none)")
	flag.IntVar(&cfg.runs, "runs", 20, "timed runs per cell")
	flag.IntVar(&cfg.minRuns, "min-runs", 5, "fewest runs a cell stops at once it is over -budget")
	flag.DurationVar(&cfg.budget, "budget", 60*time.Second, "most wall time a cell may take once it has -min-runs runs")
	flag.DurationVar(&cfg.total, "time", 9*time.Minute, "wall time the whole run aims at; each cell gets its share of what is left")
	flag.StringVar(&sizes, "sizes", "1,100,1000", "numbers of stored entries, ascending")
	flag.IntVar(&cfg.getAllN, "getall-n", 100, "N at which to run docker's list-then-get-all pattern (0: never)")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the temporary directory")
	flag.Parse()
	var err error
	if cfg.sizes, err = parseSizes(sizes); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 2
	}
	if cfg.runs < 1 || cfg.minRuns < 1 {
		fmt.Fprintln(os.Stderr, "bench: -runs and -min-runs must be at least 1")
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	tmp, err := os.MkdirTemp("", "pat-bench-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	if cfg.keep {
		fmt.Fprintf(os.Stderr, "bench: keeping %s\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}

	rep, err := bench(ctx, cfg, tmp)
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("interrupted; %s left as it was", cfg.out)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	if cfg.out != "-" {
		if err := os.WriteFile(cfg.out, []byte(rep.markdown()), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			return 1
		}
	}
	fmt.Print(rep.summary())
	if cfg.out != "-" {
		abs, _ := filepath.Abs(cfg.out)
		fmt.Printf("full report: %s\n", abs)
	}
	return 0
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-sizes: %q is not a positive number", f)
		}
		if len(out) > 0 && n <= out[len(out)-1] {
			return nil, fmt.Errorf("-sizes: %d after %d; give them in ascending order", n, out[len(out)-1])
		}
		out = append(out, n)
	}
	return out, nil
}

// logf prints progress to stderr; stdout is kept for the summary.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}
