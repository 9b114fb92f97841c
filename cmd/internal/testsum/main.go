// Command testsum reads `go test -json` on stdin and prints what a
// newcomer needs from it: a line per package as it finishes, the full
// output of every test that failed, and at the end, always, how many tests
// passed, failed and were skipped, each group of skipped tests with why and
// the command that would let it run, and one apt-get line that would
// install everything the skipped tests lack. `make test` pipes through it.
//
// It exits 1 when a test, a package or a build failed, when the input held
// no test results, or with CI=true when any test was skipped (CI installs
// everything: a skip there hides a broken set-up); otherwise 0.
//
// Skips made with keychaintest.Skip are grouped by their group, why and
// fix; any other skip is grouped by its message.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/when"
	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

func main() {
	debs := flag.String("debs", "", "a `file` naming Debian packages make deps could not install (.cache/deps-missing), added to the apt-get line")
	flag.Parse()
	var missing []string
	if *debs != "" {
		b, err := os.ReadFile(*debs)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(os.Stderr, "testsum: %v\n", err)
			os.Exit(1)
		}
		missing = strings.Fields(string(b))
	}
	ok, err := summarise(os.Stdin, os.Stdout, os.Getenv("CI") == "true", missing)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testsum: reading go test -json: %v\n", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Time       time.Time
	Action     string
	Package    string
	Test       string
	Elapsed    float64
	Output     string
	ImportPath string // build-output, build-fail
}

// test is what was seen of one test (or subtest).
type test struct {
	pkg, name string
	output    []string
	result    string // pass, fail, skip; "" while running
}

// skipGroup is the skipped tests that share a reason.
type skipGroup struct {
	group, why, fix string
	n               int
}

// summary accumulates the run.
type summary struct {
	w        io.Writer
	tests    map[[2]string]*test // {package, test}
	order    []*test
	pkgOut   map[string][]string
	failed   bool // a test, package or build failed
	packages int
	debs     []string // Debian packages make deps could not install
}

// lineMax bounds one line of input (a test can print long lines).
const lineMax = 16 << 20

// summarise reads go test -json from r and writes the summary to w. debs
// are Debian packages known to be missing, for the apt-get line.
func summarise(r io.Reader, w io.Writer, ci bool, debs []string) (ok bool, err error) {
	s := &summary{w: w, tests: map[[2]string]*test{}, pkgOut: map[string][]string{}, debs: debs}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), lineMax)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil || e.Action == "" {
			fmt.Fprintf(w, "%s\n", line) // not an event: go test's own words
			continue
		}
		s.event(e)
	}
	if err := sc.Err(); err != nil {
		return false, err
	}
	return s.report(ci), nil
}

func (s *summary) event(e event) {
	switch e.Action {
	case "build-output":
		fmt.Fprint(s.w, e.Output)
		return
	case "build-fail":
		s.failed = true
		return
	}
	if e.Test == "" {
		s.packageEvent(e)
		return
	}
	k := [2]string{e.Package, e.Test}
	t := s.tests[k]
	if t == nil {
		t = &test{pkg: e.Package, name: e.Test}
		s.tests[k] = t
		s.order = append(s.order, t)
	}
	switch e.Action {
	case "output":
		t.output = append(t.output, e.Output)
	case "pass", "skip":
		t.result = e.Action
	case "fail":
		t.result = e.Action
		s.failed = true
		for _, o := range t.output {
			fmt.Fprint(s.w, o)
		}
	}
}

func (s *summary) packageEvent(e event) {
	switch e.Action {
	case "output":
		s.pkgOut[e.Package] = append(s.pkgOut[e.Package], e.Output)
	case "pass", "skip":
		s.packages++
		for _, o := range s.pkgOut[e.Package] {
			if strings.HasPrefix(o, "ok ") || strings.HasPrefix(o, "?  ") {
				fmt.Fprint(s.w, o)
			}
		}
		delete(s.pkgOut, e.Package)
	case "fail":
		s.packages++
		s.failed = true
		// A test binary that died (a panic or fatal error on a goroutine
		// of its own, an os.Exit) ends its running tests without a
		// result, and test2json puts what it printed, the panic too, in
		// those tests' output: print it, or the log says FAIL and not why.
		// Such a test counts as failed.
		for _, t := range s.order {
			if t.pkg == e.Package && t.result == "" {
				fmt.Fprintf(s.w, "--- %s did not finish; its output:\n", t.name)
				for _, o := range t.output {
					fmt.Fprint(s.w, o)
				}
				t.result = "fail"
			}
		}
		for _, o := range s.pkgOut[e.Package] {
			fmt.Fprint(s.w, o)
		}
		delete(s.pkgOut, e.Package)
	}
}

// report prints the summary and says whether the run is a success.
func (s *summary) report(ci bool) bool {
	// A test counts once: a parent whose subtests ran is counted through
	// them, except that a parent that failed with no failed subtest (an
	// error of its own) counts as a failure.
	var passed, failed, skipped int
	groups := map[skipGroup]*skipGroup{}
	for _, t := range s.order {
		children, childFailed := s.children(t)
		switch {
		case t.result == "fail" && !childFailed:
			failed++
		case children:
		case t.result == "pass":
			passed++
		case t.result == "skip":
			skipped++
			g := skipReason(t)
			if groups[g] == nil {
				groups[g] = &g
			}
			groups[g].n++
		case t.result == "":
			// Never finished, in a package that did not fail either:
			// cannot happen in a whole stream.
		}
	}
	fmt.Fprintf(s.w, "\n%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	var list []*skipGroup
	for _, g := range groups {
		list = append(list, g)
	}
	slices.SortFunc(list, func(a, b *skipGroup) int {
		return strings.Compare(a.group+"\x00"+a.why+"\x00"+a.fix, b.group+"\x00"+b.why+"\x00"+b.fix)
	})
	var pkgs []string
	for _, g := range list {
		noun := g.group
		if g.n == 1 {
			noun = singular(noun)
		}
		if g.fix == "" {
			fmt.Fprintf(s.w, "skipped %d %s: %s\n", g.n, noun, g.why)
			continue
		}
		fmt.Fprintf(s.w, "skipped %d %s: %s; run: %s\n", g.n, noun, g.why, g.fix)
		for _, p := range keychaintest.AptPackages(g.fix) {
			if !slices.Contains(pkgs, p) {
				pkgs = append(pkgs, p)
			}
		}
	}
	switch {
	case len(s.debs) > 0:
		for _, p := range s.debs {
			if !slices.Contains(pkgs, p) {
				pkgs = append(pkgs, p)
			}
		}
		fmt.Fprintf(s.w, "to install all the tests use: %s\n", keychaintest.Apt(pkgs...))
	case len(pkgs) > 0:
		fmt.Fprintf(s.w, "to install what the skipped tests need: %s\n", keychaintest.Apt(pkgs...))
	}
	ok := !s.failed
	if s.packages == 0 {
		fmt.Fprintln(s.w, "testsum: no test results in the input")
		ok = false
	}
	if ci && skipped > 0 {
		fmt.Fprintf(s.w, "CI=true: %s skipped, and nothing may be skipped in CI\n", when.Plural(skipped, "test"))
		ok = false
	}
	return ok
}

// children reports whether t has subtests, and whether one failed.
func (s *summary) children(t *test) (has, failed bool) {
	prefix := t.name + "/"
	for k, c := range s.tests {
		if k[0] == t.pkg && strings.HasPrefix(k[1], prefix) {
			has = true
			failed = failed || c.result == "fail"
		}
	}
	return has, failed
}

// logLine is a line a test logged: "    file_test.go:123: message".
var logLine = regexp.MustCompile(`^\s+[^\s:]+\.go:\d+: (.*)$`)

// scriptSkip is the skip command of a testscript script, as its log shows
// it: "> [cond] skip 'message'".
var scriptSkip = regexp.MustCompile(`^\s*> (?:\[[^\]]*\] )*skip (.*)$`)

// skipReason finds why t was skipped: the skip command of its script, or
// else the last line it logged, parsed as a keychaintest.Skip line when it
// is one.
func skipReason(t *test) skipGroup {
	why, script := "", ""
	for _, o := range t.output {
		o = strings.TrimRight(o, "\n")
		if m := scriptSkip.FindStringSubmatch(o); m != nil {
			script = strings.Trim(m[1], `'"`)
		} else if m := logLine.FindStringSubmatch(o); m != nil {
			why = m[1]
		}
	}
	if script != "" {
		why = script
	}
	if group, w, fix, ok := keychaintest.ParseSkip(why); ok {
		return skipGroup{group: group, why: w, fix: fix}
	}
	if why == "" {
		why = "no reason given"
	}
	return skipGroup{group: "other tests", why: why}
}

// singular turns "end-to-end tests" into "end-to-end test".
func singular(group string) string {
	if rest, ok := strings.CutSuffix(group, " tests"); ok {
		return rest + " test"
	}
	if rest, ok := strings.CutPrefix(group, "tests "); ok {
		return "test " + rest
	}
	return group
}
