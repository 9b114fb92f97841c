//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Operations, as the report names them.
const (
	opGetHit  = "get (hit)"
	opGetMiss = "get (miss)"
	opList    = "list"
	opReplace = "store (replace)"
	opNew     = "store (new key)"
	opErase   = "erase"
	opGetAll  = "list + get all"
)

// sample is one operation: one process, or for opGetAll the sum of the
// list and every get.
type sample struct {
	wall time.Duration
	rss  int64 // peak RSS in KiB, in the untimed warm-up only
}

// column is one helper's samples in a cell, aligned by run.
type column struct {
	label   string
	samples []*sample // nil where the helper was not measured in that run
	err     error     // why it stopped (or never started)
	skipped bool      // never ran: the helper was unusable before the cell
	check   string    // what the answers looked like (list keys, hits)
	rss     int64     // peak RSS in KiB, from the warm-up run; 0: not measured
}

// cell is one operation at one N, every helper interleaved.
type cell struct {
	op      string
	n       int
	runs    int
	reduced bool          // stopped before cfg.runs to stay within the budget
	budget  time.Duration // the budget it had
	cols    []*column
}

func (c *cell) col(label string) *column {
	for _, col := range c.cols {
		if col.label == label {
			return col
		}
	}
	return nil
}

// probe is how one helper performs a cell's operation in iteration it
// (below warm: an untimed warm-up).
type probe struct {
	label string
	skip  error
	note  *string // set by do: what the answers looked like
	do    func(ctx context.Context, it int) (sample, error)
}

// measure runs every probe once per run, rotating the order each run (A B
// C, B C A, ...) so drift and position hit all helpers alike.
func (r *runner) measure(ctx context.Context, op string, n, runs, minRuns, warmup int, probes []probe) *cell {
	c := &cell{op: op, n: n}
	budget := r.cellBudget()
	r.cellsLeft--
	for _, p := range probes {
		c.cols = append(c.cols, &column{label: p.label, err: p.skip, skipped: p.skip != nil, samples: make([]*sample, runs)})
	}
	t0 := time.Now()
	for it := 0; it < warmup+runs && ctx.Err() == nil; it++ {
		for k := range probes {
			i := (k + it) % len(probes)
			col := c.cols[i]
			if col.err != nil {
				continue
			}
			pctx := ctx
			if it < warmup { // untimed: measure peak RSS there
				pctx = withRSS(ctx, r.rssFile)
			}
			s, err := probes[i].do(pctx, it)
			if err != nil {
				col.err = err
				continue
			}
			if it >= warmup {
				col.samples[it-warmup] = &s
			} else {
				col.rss = max(col.rss, s.rss)
			}
		}
		if it >= warmup {
			c.runs = it - warmup + 1
		}
		if c.runs >= minRuns && c.runs < runs && time.Since(t0) > budget {
			c.reduced = true
			break
		}
	}
	for i, col := range c.cols {
		col.samples = col.samples[:c.runs]
		if probes[i].note != nil {
			col.check = *probes[i].note
		}
	}
	c.budget = budget
	logf("N=%d %-16s %2d runs in %s (budget %s)", n, op, c.runs, time.Since(t0).Round(time.Millisecond), budget.Round(time.Second))
	r.rep.cells = append(r.rep.cells, c)
	return c
}

func skipReason(s *subject) error {
	return s.err
}

// shared hands out one payload per iteration, the same for every helper.
func shared(gen func(it int) creds) func(it int) creds {
	memo := map[int]creds{}
	return func(it int) creds {
		c, ok := memo[it]
		if !ok {
			c = gen(it)
			memo[it] = c
		}
		return c
	}
}

// level measures every operation at n stored entries.
func (r *runner) level(ctx context.Context, n int) {
	cfg := r.cfg
	trio := r.subs[:3] // pat, secretservice, pass; keyctl joins the get cells

	var hit, miss []probe
	for _, s := range r.subs {
		hit = append(hit, r.getHitProbe(s, n))
		miss = append(miss, r.getMissProbe(s))
	}
	if r.small != nil && n == cfg.sizes[len(cfg.sizes)-1] {
		hit = append(hit, r.getHitProbe(r.small, cfg.sizes[0]))
	}
	for _, v := range []*helper{r.version, r.floor} {
		hit = append(hit, probe{label: v.name, skip: v.err, do: func(ctx context.Context, _ int) (sample, error) {
			e, err := v.version(ctx)
			return sample{e.wall, e.maxRSS}, err
		}})
	}
	r.measure(ctx, opGetHit, n, cfg.runs, cfg.minRuns, 1, hit)
	r.measure(ctx, opGetMiss, n, cfg.runs, cfg.minRuns, 1, miss)

	var list, replace, add []probe
	replacement := shared(func(it int) creds { return r.pay.entry(it % n) })
	addition := shared(func(it int) creds { return r.pay.at(fmt.Sprintf("new-%d-%d.example.com", n, it), it) })
	for _, s := range trio {
		list = append(list, r.listProbe(s))
		replace = append(replace, r.storeProbe(s, replacement, false))
		add = append(add, r.storeProbe(s, addition, true))
	}
	r.measure(ctx, opList, n, cfg.runs, cfg.minRuns, 1, list)
	r.measure(ctx, opReplace, n, cfg.runs, cfg.minRuns, 1, replace)
	added := r.measure(ctx, opNew, n, cfg.runs, cfg.minRuns, 1, add)

	var erase []probe
	for _, s := range trio {
		erase = append(erase, r.eraseProbe(s))
	}
	r.measure(ctx, opErase, n, added.runs, min(cfg.minRuns, added.runs), 1, erase)
	for _, s := range trio { // back to n entries, untimed
		for _, k := range s.added {
			if _, ok := s.want[k]; ok && s.usable() {
				if _, err := s.erase(ctx, k); err == nil {
					delete(s.want, k)
				}
			}
		}
		s.added = nil
	}

	if n == cfg.getAllN {
		var all []probe
		for _, s := range trio {
			all = append(all, r.getAllProbe(s))
		}
		r.measure(ctx, opGetAll, n, cfg.runs, 1, 0, all)
	}
}

func (r *runner) getHitProbe(s *subject, n int) probe {
	return probe{label: s.name, skip: skipReason(s), do: func(ctx context.Context, it int) (sample, error) {
		key := s.keys[(it*7919+13)%n] // spread over the entries, same key for every helper
		want := s.want[key]
		e, err := s.get(ctx, key, &want)
		return sample{e.wall, e.maxRSS}, err
	}}
}

func (r *runner) getMissProbe(s *subject) probe {
	return probe{label: s.name, skip: skipReason(s), do: func(ctx context.Context, it int) (sample, error) {
		e, err := s.get(ctx, fmt.Sprintf("missing-%d.example.com", it), nil)
		return sample{e.wall, e.maxRSS}, err
	}}
}

func (r *runner) listProbe(s *subject) probe {
	note := new(string)
	return probe{label: s.name, skip: skipReason(s), note: note, do: func(ctx context.Context, it int) (sample, error) {
		e, got, err := s.list(ctx)
		if err == nil {
			if c := keysCheck(got, s.want); *note == "" || !strings.HasPrefix(c, "correct") {
				*note = c
			}
		}
		return sample{e.wall, e.maxRSS}, err
	}}
}

// storeProbe stores payload(it); added marks new keys, to be erased later.
func (r *runner) storeProbe(s *subject, payload func(int) creds, added bool) probe {
	return probe{label: s.name, skip: skipReason(s), do: func(ctx context.Context, it int) (sample, error) {
		c := payload(it)
		e, err := s.store(ctx, c)
		if err == nil {
			s.want[c.ServerURL] = c
			if added {
				s.added = append(s.added, c.ServerURL)
			}
		}
		return sample{e.wall, e.maxRSS}, err
	}}
}

func (r *runner) eraseProbe(s *subject) probe {
	return probe{label: s.name, skip: skipReason(s), do: func(ctx context.Context, it int) (sample, error) {
		if it >= len(s.added) {
			return sample{}, errors.New("no added entry left to erase")
		}
		key := s.added[it]
		e, err := s.erase(ctx, key)
		if err == nil {
			delete(s.want, key)
		}
		return sample{e.wall, e.maxRSS}, err
	}}
}

// getAllProbe is docker's GetAllCredentials: list, then get every listed key.
func (r *runner) getAllProbe(s *subject) probe {
	note := new(string)
	return probe{label: s.name, skip: skipReason(s), note: note, do: func(ctx context.Context, it int) (sample, error) {
		e, got, err := s.list(ctx)
		if err != nil {
			return sample{}, err
		}
		total := sample{e.wall, e.maxRSS}
		keys := make([]string, 0, len(got))
		for k := range got {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		hits := 0
		for _, k := range keys {
			g, err := s.call(ctx, "get", []byte(k))
			if err != nil {
				return sample{}, err
			}
			total.wall += g.wall
			total.rss = max(total.rss, g.maxRSS)
			if g.code == 0 {
				hits++
			}
		}
		*note = fmt.Sprintf("%d of %d listed keys answered", hits, len(keys))
		return total, nil
	}}
}

// keysCheck compares list's keys with the server URLs stored.
func keysCheck(got map[string]string, want map[string]creds) string {
	match := 0
	var stray []string
	for k := range got {
		if _, ok := want[k]; ok {
			match++
		} else {
			stray = append(stray, k)
		}
	}
	if match == len(want) && len(stray) == 0 {
		return fmt.Sprintf("correct (%d keys)", len(got))
	}
	sort.Strings(stray)
	msg := fmt.Sprintf("WRONG: %d of %d stored server URLs listed", match, len(want))
	if len(stray) > 0 {
		msg += fmt.Sprintf(", %d other keys such as %q", len(stray), stray[0])
	}
	return msg
}
