//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

type fillTime struct {
	helper   string
	from, to int
	took     time.Duration
}

type report struct {
	cfg       config
	date      time.Time
	commit    string
	machine   []string // label: value lines
	versions  []string
	buildTime time.Duration
	elapsed   time.Duration
	cells     []*cell
	load      []string // /proc/loadavg at start and end: other work on the machine skews the times
	fill      []fillTime
	notes     []string
	unusable  []string // helpers that could not run, and why
	targets   []target
}

// target is one of the goals of issues 6 and 13, judged on this run.
type target struct {
	name     string
	limit    string
	measured string
	result   string // "pass", "FAIL ...", "not measured: ..."
}

func newReport(ctx context.Context, cfg config) *report {
	rep := &report{cfg: cfg, date: time.Now().UTC()}
	rep.commit = commitID(ctx)
	rep.load = append(rep.load, loadAvg())
	rep.machine = []string{
		"CPU: " + cpuModel(),
		fmt.Sprintf("cores: %d (GOMAXPROCS %d)", runtime.NumCPU(), runtime.GOMAXPROCS(0)),
		"kernel: " + runtime.GOOS + " " + strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")),
		"OS: " + osName(),
	}
	return rep
}

func (rep *report) collectVersions(ctx context.Context, pat, ss, pass *helper) {
	rep.versions = append(rep.versions, "Go: "+firstLine(output(ctx, rep.cfg.goCommand, "version")))
	for _, h := range []*helper{pat, ss, pass} {
		if h.err != nil {
			rep.versions = append(rep.versions, fmt.Sprintf("docker-credential-%s: not built: %v", strings.Fields(h.name)[0], h.err))
			continue
		}
		e, err := h.version(ctx)
		v := strings.TrimSpace(string(e.stdout))
		if err != nil {
			v = err.Error()
		}
		rep.versions = append(rep.versions, v)
	}
	for _, tool := range [][]string{
		{"gnome-keyring-daemon", "--version"}, {"dbus-daemon", "--version"},
		{"gpg", "--version"}, {"pass", "version"},
	} {
		out := output(ctx, tool[0], tool[1:]...)
		line := firstLine(out)
		if tool[0] == "pass" { // a banner; the version is on the line with "v1."
			for _, l := range strings.Split(out, "\n") {
				if strings.Contains(l, "v1.") {
					line = "pass " + strings.Trim(l, " =")
				}
			}
		}
		if line != "" {
			rep.versions = append(rep.versions, line)
		}
	}
}

// ---- statistics ----

func walls(c *column) []time.Duration {
	var d []time.Duration
	for _, s := range c.samples {
		if s != nil {
			d = append(d, s.wall)
		}
	}
	slices.Sort(d)
	return d
}

func median[T int64 | float64 | time.Duration](sorted []T) T {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// ratio is the median over runs of a's time divided by b's time in the
// same run.
func ratio(c *cell, a, b string) (float64, bool) {
	ca, cb := c.col(a), c.col(b)
	if ca == nil || cb == nil {
		return 0, false
	}
	var rs []float64
	for i := range ca.samples {
		if i < len(cb.samples) && ca.samples[i] != nil && cb.samples[i] != nil && cb.samples[i].wall > 0 {
			rs = append(rs, float64(ca.samples[i].wall)/float64(cb.samples[i].wall))
		}
	}
	if len(rs) == 0 {
		return 0, false
	}
	slices.Sort(rs)
	return median(rs), true
}

func (rep *report) cellsOf(op string) []*cell {
	var out []*cell
	for _, c := range rep.cells {
		if c.op == op {
			out = append(out, c)
		}
	}
	return out
}

// peakRSS is the largest peak RSS of a column label over every cell (KiB).
func (rep *report) peakRSS(label string) int64 {
	var peak int64
	for _, c := range rep.cells {
		if col := c.col(label); col != nil {
			peak = max(peak, col.rss)
		}
	}
	return peak
}

// ---- targets ----

func (rep *report) finish() {
	rep.load = append(rep.load, loadAvg())
	rep.targets = append(rep.targets,
		rep.ratioTarget("get (hit) vs secretservice", rep.cellsOf(opGetHit), colPat, colSS, 0.5),
		rep.listTarget(),
		rep.storeTarget(),
		rep.ratioTarget("get (hit) vs `docker-credential-pat version`", rep.cellsOf(opGetHit), colPat, colVersion, 2.0),
		rep.growthTarget(colPat),
		rep.rssTarget(),
	)
	// The targets are for the Secret Service backend, docker-credential-pat's
	// default on a Linux desktop; the kernel keyring's figures, for comparison.
	for _, t := range []target{
		rep.ratioTarget("get (hit) vs secretservice", rep.cellsOf(opGetHit), colKeyctl, colSS, 0.5),
		rep.ratioTarget("get (hit) vs `docker-credential-pat version`", rep.cellsOf(opGetHit), colKeyctl, colVersion, 2.0),
		rep.growthTarget(colKeyctl),
	} {
		t.name = "*for information:* " + t.name + ", kernel-keyring backend"
		rep.targets = append(rep.targets, t)
	}
}

// ratioTarget judges the worst per-N pairwise ratio of a to b.
func (rep *report) ratioTarget(name string, cells []*cell, a, b string, limit float64) target {
	t := target{name: name, limit: fmt.Sprintf("≤ %.2f", limit)}
	worst, parts := -1.0, []string{}
	for _, c := range cells {
		r, ok := ratio(c, a, b)
		if !ok {
			t.result = "not measured: " + whyMissing(c, a, b)
			return t
		}
		worst = max(worst, r)
		parts = append(parts, fmt.Sprintf("%s N=%d: %.3g", c.op, c.n, r))
	}
	if worst < 0 {
		t.result = "not measured"
		return t
	}
	t.measured = strings.Join(parts, "; ")
	t.result = verdict(worst, limit)
	return t
}

// growthTarget judges how get (hit) grows with the number of entries
// (issue 13). For pat it is paired run by run, as the other ratios: the
// largest N's get cell also measures colPatSmall, pat on a keyring that
// holds the smallest N's entries, so drift between cells (the machine
// itself slower in one) does not count as growth. Otherwise, and for
// information, it is the median at the largest N over the median at the
// smallest, from two cells; each cell's version column shows the drift,
// and the same growth against version in the same runs takes it out.
func (rep *report) growthTarget(label string) target {
	const limit = 1.15
	gets := rep.cellsOf(opGetHit)
	t := target{name: "get (hit) at the largest N / at the smallest", limit: fmt.Sprintf("≤ %.2f", limit)}
	if len(gets) < 2 {
		t.result = "not measured: needs two sizes (-sizes)"
		return t
	}
	lo, hi := gets[0], gets[len(gets)-1]
	t.name = fmt.Sprintf("get (hit) N=%d / N=%d", hi.n, lo.n)
	var dl, dh []time.Duration
	if lo.col(label) != nil && hi.col(label) != nil {
		dl, dh = walls(lo.col(label)), walls(hi.col(label))
	}
	if len(dl) == 0 || len(dh) == 0 {
		t.result = "not measured: " + whyMissing(lo, label) + "; " + whyMissing(hi, label)
		return t
	}
	r := float64(median(dh)) / float64(median(dl))
	t.measured = fmt.Sprintf("%s / %s = %.3g", ms(median(dh)), ms(median(dl)), r)
	if label == colPat {
		if rs, ok := ratio(hi, colPat, colPatSmall); ok {
			t.measured = fmt.Sprintf("in the same runs (N=%d's cell, a second keyring of %d): %s / %s, median of the per-run ratios %.3g; from the two cells, for information: %s",
				hi.n, lo.n, stat(hi, colPat), stat(hi, colPatSmall), rs, t.measured)
			r = rs
		}
	}
	if lo.col(colVersion) != nil && hi.col(colVersion) != nil {
		if vl, vh := walls(lo.col(colVersion)), walls(hi.col(colVersion)); len(vl) > 0 && len(vh) > 0 {
			t.measured += fmt.Sprintf(" (version in the same cells: %s / %s)", ms(median(vh)), ms(median(vl)))
		}
		rl, okl := ratio(lo, label, colVersion)
		rh, okh := ratio(hi, label, colVersion)
		if okl && okh {
			t.measured += fmt.Sprintf("; get / version, run by run: %.3g / %.3g = %.3g", rh, rl, rh/rl)
		}
	}
	t.result = verdict(r, limit)
	return t
}

func verdict(worst, limit float64) string {
	if worst <= limit {
		return "pass"
	}
	return fmt.Sprintf("FAIL: worst %.3g is %.2f× the limit", worst, worst/limit)
}

func whyMissing(c *cell, labels ...string) string {
	for _, l := range labels {
		if col := c.col(l); col != nil && col.err != nil {
			if col.skipped {
				return fmt.Sprintf("%s unusable (see ³)", l)
			}
			return fmt.Sprintf("%s failed at N=%d (see ¹)", l, c.n)
		}
	}
	return fmt.Sprintf("no paired runs at N=%d", c.n)
}

func (rep *report) listTarget() target {
	lists := rep.cellsOf(opList)
	if len(lists) == 0 {
		return target{name: "list vs secretservice", result: "not measured"}
	}
	last := lists[len(lists)-1]
	t := rep.ratioTarget(fmt.Sprintf("list at N=%d vs secretservice, correct keys", last.n), []*cell{last}, colPat, colSS, 0.01)
	if last.n != 1000 {
		t.name += " (the target is at N=1,000)"
	}
	if col := last.col(colPat); col != nil && col.err == nil && !strings.HasPrefix(col.check, "correct") {
		t.measured += "; keys: " + col.check
		t.result = "FAIL: wrong keys"
	}
	return t
}

func (rep *report) storeTarget() target {
	cells := append(rep.cellsOf(opNew), rep.cellsOf(opReplace)...)
	return rep.ratioTarget("store (new key and replace) vs secretservice, every N", cells, colPat, colSS, 1.0)
}

func (rep *report) rssTarget() target {
	t := target{name: "peak RSS of docker-credential-pat", limit: "< 20 MiB"}
	peak := max(rep.peakRSS(colPat), rep.peakRSS(colKeyctl), rep.peakRSS(colVersion))
	if rep.peakRSS(colPat) == 0 && rep.peakRSS(colKeyctl) == 0 {
		t.result = "not measured"
		if peak > 0 {
			t.result += fmt.Sprintf(" (only `version` ran: %.1f MiB)", float64(peak)/1024)
		}
		return t
	}
	mib := float64(peak) / 1024
	t.measured = fmt.Sprintf("%.1f MiB", mib)
	if rep.peakRSS(colPat) == 0 {
		t.measured += " (kernel-keyring backend and version only)"
	}
	t.result = "pass"
	if mib >= 20 {
		t.result = fmt.Sprintf("FAIL: %.2f× the limit", mib/20)
	}
	return t
}

// ---- output ----

func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	switch {
	case f >= 10000:
		return fmt.Sprintf("%.1f s", f/1000)
	case f >= 100:
		return fmt.Sprintf("%.0f ms", f)
	default:
		return fmt.Sprintf("%.1f ms", f)
	}
}

// stat renders a column as "median (min–max)".
func stat(c *cell, label string) string {
	col := c.col(label)
	if col == nil {
		return ""
	}
	d := walls(col)
	if len(d) == 0 {
		switch {
		case col.skipped:
			return "not measured³"
		case col.err != nil:
			return "failed¹"
		}
		return "–"
	}
	s := fmt.Sprintf("**%s** (%s–%s)", ms(median(d)), ms(d[0]), ms(d[len(d)-1]))
	if len(d) < c.runs {
		s += fmt.Sprintf(" [%d runs]", len(d))
	}
	return s
}

func ratioString(c *cell, a, b string) string {
	if r, ok := ratio(c, a, b); ok {
		return fmt.Sprintf("%.3g", r)
	}
	return "–"
}

func (rep *report) markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Benchmarks\n\n")
	w("Written by `make bench` (`go run ./cmd/internal/bench`); edit the program, not this file.\n\n")
	w("Whole-process wall time of each credential helper as Docker runs it: fork and exec the helper with the action as its argument, the payload on stdin, wait for exit. ")
	w("Each binary is built, installed as `make install` leaves it (rewritten with plain writes) and dropped from the page cache, so that its first run reads it from disk, as after a reboot: how the page cache came to hold docker-credential-pat changes every exec of it, with the same page faults (measured here, against a copy just written: a get 2.7 ms slower from the file as the Go linker wrote it, through a memory map, and 1.5 ms slower from a copy read back from disk); docker-credential-secretservice's time did not change. ")
	w("docker-credential-pat and docker-credential-secretservice each talk to their own private gnome-keyring (a fresh D-Bus session bus, unlocked login collection, temporary HOME), so each keyring holds only that helper's N entries; docker-credential-pass uses a throwaway GnuPG key without passphrase. ")
	w("Each helper is filled with N entries through its own `store` (docker-credential-pass: through the gpg command its `store` ends in, see Notes); each cell then runs one untimed warm-up and up to %d timed runs, the helpers interleaved in rotating order (A B C, B C A, …) so drift hits all of them. ", rep.cfg.runs)
	w("Times are **median** (min–max); ratios are the median of the per-run ratios of the two helpers in the same run. ")
	w("`pat` is docker-credential-pat on its Secret Service backend, `pat (keyctl)` on the Linux kernel keyring. ")
	w("For the growth of get with N, the largest N's get cell also runs docker-credential-pat on a third private gnome-keyring that holds the smallest N's entries all along, so the two are compared run by run.\n\n")

	for _, u := range rep.unusable {
		if strings.HasPrefix(u, colPat+":") {
			w("> **docker-credential-pat was not functional in this run** (%s); its columns are empty and its targets not measured.\n\n", oneLine(u))
		}
	}
	w("- Date: %s\n- Commit: %s\n", rep.date.Format("2006-01-02 15:04 UTC"), rep.commit)
	for _, m := range rep.machine {
		w("- %s\n", m)
	}
	for _, v := range rep.versions {
		w("- %s\n", v)
	}
	w("- Load average (1, 5, 15 min) at start and end: %s\n", strings.Join(rep.load, " → "))
	w("- Total time: %s (building: %s)\n\n", rep.elapsed.Round(time.Second), rep.buildTime.Round(time.Second))

	w("## Targets (issues 6 and 13)\n\n| target | limit | measured | result |\n| --- | --- | --- | --- |\n")
	for _, t := range rep.targets {
		w("| %s | %s | %s | %s |\n", t.name, t.limit, t.measured, t.result)
	}

	w("\n## Protocol actions\n\n| operation | N | runs | pat | secretservice | pass | pat / secretservice | pass / secretservice |\n| --- | ---: | ---: | --- | --- | --- | ---: | ---: |\n")
	for _, c := range rep.cells {
		runs := fmt.Sprint(c.runs)
		if c.reduced {
			runs += "²"
		}
		w("| %s | %d | %s | %s | %s | %s | %s | %s |\n", c.op, c.n, runs,
			stat(c, colPat), stat(c, colSS), stat(c, colPass), ratioString(c, colPat, colSS), ratioString(c, colPass, colSS))
	}
	w("\n`list + get all` is docker's GetAllCredentials (a classic `docker build`): one `list`, then one `get` per listed key; the time is the sum of the processes.\n")

	w("\n## Process floor and the kernel keyring\n\n`%s` is a Go program that only prints a line, built as docker-credential-pat is (static, stripped, same toolchain), timed in the same cells: what starting any Go process costs on this machine. `version` is that plus docker-credential-pat's own start (its larger binary, package initialisation); the get / version target counts both in the floor.\n\n", colFloor)
	w("| N | runs | pat get (hit) | pat (keyctl) get (hit) | pat version | %s | pat get / version | keyctl get / version | version / %s | get / %s |\n| ---: | ---: | --- | --- | --- | --- | ---: | ---: | ---: | ---: |\n", colFloor, colFloor, colFloor)
	for _, c := range rep.cellsOf(opGetHit) {
		w("| %d | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", c.n, c.runs, stat(c, colPat), stat(c, colKeyctl), stat(c, colVersion), stat(c, colFloor),
			ratioString(c, colPat, colVersion), ratioString(c, colKeyctl, colVersion),
			ratioString(c, colVersion, colFloor), ratioString(c, colPat, colFloor))
	}
	for _, c := range rep.cellsOf(opGetMiss) {
		if c.col(colKeyctl) != nil {
			w("\nget (miss) on the kernel keyring at N=%d: %s.", c.n, stat(c, colKeyctl))
		}
	}
	w("\n")

	w("\n## Peak RSS\n\nMeasured in each cell's untimed warm-up run through GNU time (`%%M`: the helper, or the largest of the children it waited for, such as gpg under pass). wait4's own `ru_maxrss` would be wrong here: a child started by a Go program carries the parent's high-water mark across exec.\n\n")
	w("| helper | peak over all cells |")
	gets := rep.cellsOf(opGetHit)
	for _, c := range gets {
		w(" get (hit) N=%d |", c.n)
	}
	w("\n| --- | ---: |%s\n", strings.Repeat(" ---: |", len(gets)))
	for _, label := range []string{colPat, colKeyctl, colVersion, colSS, colPass} {
		peak := rep.peakRSS(label)
		if peak == 0 {
			continue
		}
		w("| %s | %s |", label, mib(peak))
		for _, c := range gets {
			w(" %s |", mib(c.col(label).rss))
		}
		w("\n")
	}

	w("\n## What the answers looked like\n\n| operation | N | helper | answer |\n| --- | ---: | --- | --- |\n")
	for _, c := range rep.cells {
		for _, col := range c.cols {
			if col.check != "" {
				w("| %s | %d | %s | %s |\n", c.op, c.n, col.label, col.check)
			}
		}
	}

	w("%s", whyText)
	w("\n## Notes\n\n")
	w("- ¹ failed: the helper stopped answering as expected; the first error of each failed cell:\n")
	for _, c := range rep.cells {
		for _, col := range c.cols {
			if col.err != nil && !col.skipped {
				w("  - %s N=%d, %s: %s\n", c.op, c.n, col.label, oneLine(col.err.Error()))
			}
		}
	}
	w("- ² fewer than %d runs: the cell used up its share of the time budget (%s for the whole run, each cell getting what is left divided by the cells left, at most %s) and stopped at the first run past it (at least %d runs; 1 for `list + get all`, whose every run is already N+1 processes, and which has no warm-up run).\n",
		rep.cfg.runs, rep.cfg.total, rep.cfg.budget, rep.cfg.minRuns)
	w("- docker-credential-pass is filled by encrypting each entry to `$PASSWORD_STORE_DIR/docker-credential-helpers/<base64url(server URL)>/<username>.gpg` with the gpg command `pass insert -m` runs: the same files its `store` writes, without the `pass ls` walk of the whole store the helper does before every call, which made filling 1,000 entries take minutes. The timed `store` cells use the helper itself.\n")
	w("- store (replace) stores a new token for an existing server URL (a rotated token); store (new key) adds `new-<N>-<run>.example.com`, which erase then removes, so N stays put.\n")
	for _, n := range rep.notes {
		w("- %s\n", oneLine(n))
	}
	if len(rep.unusable) > 0 {
		w("- ³ not measured: the helper could not be built, set up or filled:\n")
		for _, u := range rep.unusable {
			w("  - %s\n", oneLine(u))
		}
	}
	w("- Filling (untimed for the table, two processes at a time):")
	for _, f := range rep.fill {
		w(" %s %d→%d in %s;", f.helper, f.from, f.to, f.took.Round(100*time.Millisecond))
	}
	w("\n")
	return b.String()
}

func (rep *report) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bench: %s, %s, %d cores, in %s\n", rep.commit, cpuModel(), runtime.NumCPU(), rep.elapsed.Round(time.Second))
	for _, c := range rep.cellsOf(opGetHit) {
		fmt.Fprintf(&b, "  get (hit) N=%-5d pat %s  secretservice %s  pass %s  keyctl %s  version %s\n", c.n,
			med(c, colPat), med(c, colSS), med(c, colPass), med(c, colKeyctl), med(c, colVersion))
	}
	for _, c := range rep.cellsOf(opList) {
		fmt.Fprintf(&b, "  list      N=%-5d pat %s  secretservice %s  pass %s\n", c.n, med(c, colPat), med(c, colSS), med(c, colPass))
	}
	for _, t := range rep.targets {
		res := t.result
		if len(res) > 60 {
			res = res[:57] + "..."
		}
		fmt.Fprintf(&b, "  target %-62s %s\n", t.name+" ("+t.limit+"):", res)
	}
	return b.String()
}

func med(c *cell, label string) string {
	col := c.col(label)
	if col == nil {
		return "-"
	}
	if d := walls(col); len(d) > 0 {
		return ms(median(d))
	}
	return "failed"
}

// ---- machine facts ----

func cpuModel() string {
	sc := bufio.NewScanner(strings.NewReader(readFile("/proc/cpuinfo")))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func loadAvg() string {
	f := strings.Fields(readFile("/proc/loadavg"))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func osName() string {
	for _, l := range strings.Split(readFile("/etc/os-release"), "\n") {
		if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return runtime.GOOS
}

func commitID(ctx context.Context) string {
	id := strings.TrimSpace(output(ctx, "git", "rev-parse", "--short=12", "HEAD"))
	if id == "" {
		return "unknown"
	}
	for _, l := range strings.Split(output(ctx, "git", "status", "--porcelain", "--untracked-files=no"), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasSuffix(l, "BENCHMARKS.md") {
			return id + " (with uncommitted changes)"
		}
	}
	return id
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func output(ctx context.Context, name string, args ...string) string {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func mib(kib int64) string {
	if kib == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}

// whyText says where docker-credential-pat's time goes, from profiling
// (GODEBUG=inittrace, go test -bench -cpuprofile, dbus-monitor, strace), so
// that a target the table marks FAIL comes with its reason.
const whyText = `
## Where the time goes (why a target can fail)

- **The process floor.** ` + "`pat version`" + ` is a static Go binary starting, running the
  package initialisers and printing a line (a Go program that only prints, the Go floor
  column, takes 1.3-1.6 ms on a fast machine, 6.7-8.5 on a slow one). Everything else a get does is measured against it, so the faster the
  floor, the harder the get / version ratio. Start-up work is guarded: a test fails if any
  package of ours allocates more than 64 KiB at init (a regexp compiled at init once cost every
  get 20 ms).
- **The Secret Service exchange.** A get goes to the item where its store put it (the place
  SetAt returned, kept in the index entry; a place a get had to search for is kept in the use
  record): no SearchItems, which grows with the number of items, and no Locked read. Before it
  reads the index, the get connects itself and sends, in one write, the bus handshake, Hello
  and the greeting (dialBus: nothing is waited for; godbus's handshake waits for five
  answers), and OpenSession leaves from godbus's reader as soon as the greeting is answered;
  then one GetSecrets on the Service (not GetSecret on the item: gnome-keyring answers calls on
  an item's path later the more items it holds, 1.1 against 0.8 ms at 1,000 items), whose
  payload must name the key (holds) before it is served; anything else falls back to the
  search. The handshake, Hello and the greeting leave before the process has initialised:
  package startup's init, the 16th (after the runtime's start and a dozen small inits, before
  the start-up mapping below and the heavy packages), sends them for docker's get when the
  backend is the Secret Service, and keychain takes the connection over (keychain/earlybus).
  Timestamps inside the get processes of a run of make bench (2026-12-03 07:36 UTC, version
  2.5-2.6 ms; medians of 21 runs, from fork; N=1 to 1,000): the early write at 1.3 ms; main
  at 2.0-2.2, the index read by 2.3-2.6; the greeting's answer back at 2.6-2.95 ms, 1.3-1.65
  ms after the write (dbus-daemon authenticating the new connection and answering Hello, then
  gnome-keyring's first message from a new client, both woken from idle); OpenSession leaves
  0.04-0.08 ms after it and GetSecrets right behind, naming the session the get guesses it
  will be (the last get's, kept in the state directory, plus one: gnome-keyring and KWallet
  number sessions in order; a wrong guess is refused, as gnome-keyring looks sessions up
  among the caller's own, and costs a second GetSecrets once OpenSession's answer says the
  path); OpenSession is answered 0.56-0.7 ms later and GetSecrets 0.09-0.27 ms after that;
  decoding and checking the payload take 0.05 ms, counting the use 0.05-0.08, and the
  process has ended 0.4-0.5 ms after main returns: 4.0-4.6 ms in all. When the write left
  0.1 ms after main, the get took 0.2-0.3 ms longer (4.87 against 4.59 ms with the daemons
  idle before each run, 3.56 against 3.37 back to back; interleaved, n=150). What stays, one
  after another, is the daemons' work: the greeting before anything else, since a first
  message that needs gnome-keyring's per-client record can abort the daemon; then OpenSession
  and GetSecrets, which gnome-keyring handles one after the other; about 2.2-2.6 ms from the
  early write to the answer. With a process floor of 2.5 ms that alone puts get at 1.5-1.9×
  version, which is why get /
  version stays above the kernel keyring's (1.4×). Asking for the item's attributes beside
  the secret, to tell whose it is, cost about 2 ms more per get under load, hence the
  payload check.
- **Counting the use** rewrites a record of about 300 bytes for the one entry (uses/ in the
  state directory) in place, under the index lock; the index is not rewritten. It was a
  temporary file renamed over the record: on ext4 a rename over a file starts writing the
  file's data back (auto_da_alloc), 0.5 ms of every get; in place it is 0.1-0.18 ms with
  the lock, which a get takes without waiting when it is free (flock, no goroutine). The
  index is read in one pass through a 64 KiB buffer, each line's shape checked byte by byte
  and only the entry asked for decoded, and a miss is answered from the same pass. A store
  starts the record from zero, so that the first get after a login rewrites it in place too
  (creating it cost 0.1-0.2 ms in the runs at N=100 and 1,000, where every get is a key's
  first). The list marker, rewritten by every get of a bulk read (within 10 s of a list by the
  same process: docker's list-then-get-all, and the get cell that follows the fill's
  verifying list here), is rewritten in place as well: through a rename it cost those gets
  0.7 ms each.
- **The machine.** This machine is a virtual machine that hands freed memory back to its host
  (the kernel's page_reporting): a page a new process touches for the first time costs a
  fault in the host too. perf stat of 100 runs of a Go program that only prints: 250 page
  faults and 6 ms of system time each, about 25 µs a fault. The
  process floor then depends on the host, not on the program: ` + "`pat version`" + ` took
  2.6 ms in the runs of 2026-12-02 03:15 and 08:30, and 12-16 ms in the one of 06:50 (a
  different host; about 2 µs a fault at 08:30). Every helper pays it
  on every process, so ratios between helpers, and against version, move with it: a slow
  floor hides the difference between helpers (get / secretservice rises towards 1) and
  flatters get / version (towards 1). So the helper maps in, at its start, what it would
  otherwise fault in page by page (cmd/internal/prefault: madvise MADV_POPULATE_READ over its
  code and read-only data, MADV_POPULATE_WRITE over the next 1.25 MiB of heap): about 150
  faults fewer, 30 left after it, of 430; 1.6-1.8 ms of a get here and 0.7 ms of version
  (interleaved runs of 100, before and after). About 250 faults come before any package of
  ours runs: the runtime's own start. Where a fault is cheap (the host of the runs of
  2026-12-03) the mapping costs version about 0.5 ms and a get nothing, its share running while
  the daemons answer the greeting (interleaved, n=150: version 3.53 against 3.06 ms without it,
  get 5.27 against 5.20); it stays for the hosts where a fault costs 25 µs.
- **What is linked.** net/http and crypto/tls are in the binary for the probe command, and
  Go runs the initialiser of every package linked, whatever the command: 38 of the 93,
  1.4-3.0 ms of every get and 2.1-2.8 ms of version on the machine of the runs of 2026-12-02
  afternoon (three interleaved runs of a build without them, otherwise the same, both read
  back from disk; about 52 page faults), and still 1.9 ms of a get and of version with the
  start-up mapping above (one interleaved run of 100). It is the largest cost left that the
  helper controls; a companion binary for probe would take it, where the design says one
  binary.
- **How the binary came into the page cache.** With the same page faults, a get from a copy
  just written with write(2) took 1.5 ms less than from a copy read back from disk, and from
  the file as the Go linker wrote it (through a shared memory map) 2.7 ms more than from the
  fresh copy; docker-credential-secretservice did not change. Every binary here is read back
  from disk, as after a reboot.
- **list** reads the index alone (one line an entry, scanned without a JSON decoder) and is
  independent of the keychain: a few thousandths of secretservice at N=1,000, whose list asks the keyring
  for every item (and returns its labels, not the server URLs).
`
