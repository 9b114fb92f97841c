//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

// Column labels.
const (
	colPat     = "pat"
	colSS      = "secretservice"
	colPass    = "pass"
	colKeyctl  = "pat (keyctl)"
	colVersion = "pat version"
	// colPatSmall is docker-credential-pat on a Secret Service of its own
	// that holds the smallest N's entries all along: measured beside pat in
	// the largest N's get cell, for the growth with N in the same runs.
	colPatSmall = "pat at the smallest N"
	// colFloor is a Go program that only prints, built as
	// docker-credential-pat is: what starting any such process costs on
	// this machine, which the get / version target does not take out.
	colFloor = "Go floor"
)

// subject is a helper under test together with what it holds.
type subject struct {
	*helper
	want  map[string]creds // serverURL -> what get must answer
	keys  []string         // the base entries, registry-0 .. registry-N-1
	added []string         // new keys stored by the current level, erased by it
	// fill stores one entry while filling; nil means the helper's own store.
	fill func(context.Context, creds) error
}

func (s *subject) usable() bool { return s.err == nil }

var errNotRun = errors.New("interrupted before this entry")

// runner holds the state of one benchmark.
type runner struct {
	cfg     config
	pay     payloads
	subs    []*subject // pat, secretservice, pass, pat (keyctl)
	small   *subject   // colPatSmall; nil with one size
	version *helper    // docker-credential-pat for the floor
	floor   *helper    // colFloor
	rep     *report

	rssFile   string        // where GNU time writes a peak RSS
	deadline  time.Time     // when the whole run should be done
	cellsLeft int           // cells not measured yet
	perEntry  time.Duration // last fill's wall time per entry, all helpers together
	filled    int           // entries every helper holds now
}

// cellBudget is the share of the time left that the next cell may use,
// keeping back what filling the larger N will likely take.
func (r *runner) cellBudget() time.Duration {
	reserve := time.Duration(0)
	if last := r.cfg.sizes[len(r.cfg.sizes)-1]; last > r.filled {
		reserve = time.Duration(last-r.filled) * r.perEntry
	}
	left := time.Until(r.deadline) - reserve
	b := left / time.Duration(max(r.cellsLeft, 1))
	return max(min(b, r.cfg.budget), 0)
}

func bench(ctx context.Context, cfg config, tmp string) (*report, error) {
	start := time.Now()
	rep := newReport(ctx, cfg)
	r := &runner{cfg: cfg, rep: rep, deadline: start.Add(cfg.total), perEntry: 100 * time.Millisecond,
		rssFile: filepath.Join(tmp, "rss")}
	for _, n := range cfg.sizes {
		r.cellsLeft += 6
		if n == cfg.getAllN {
			r.cellsLeft++
		}
	}

	logf("building helpers in %s", tmp)
	patBin, patErr := buildPat(ctx, cfg, tmp)
	if patErr != nil {
		return nil, fmt.Errorf("cannot build docker-credential-pat: %w", patErr)
	}
	floorBin, floorErr := buildFloor(ctx, cfg, tmp)
	ssBin, ssErr := buildRef(ctx, cfg, tmp, "secretservice", true)
	passBin, passErr := buildRef(ctx, cfg, tmp, "pass", false)
	rep.buildTime = time.Since(start)

	// One private Secret Service per helper that uses one: gnome-keyring
	// rewrites its whole keyring file on every change, so a shared keyring
	// would make each helper pay for the other's N entries, and filling
	// 2 x 1,000 entries into one keyring takes minutes.
	logf("starting private D-Bus sessions with gnome-keyring")
	patSS, err := startKeyring(filepath.Join(tmp, "kr-pat"))
	if err != nil {
		return nil, err
	}
	defer patSS.Stop()
	refSS, err := startKeyring(filepath.Join(tmp, "kr-ref"))
	if err != nil {
		return nil, err
	}
	defer refSS.Stop()
	path := []string{"PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8"}
	base := append(append([]string(nil), path...), patSS.Env()...)
	if len(cfg.sizes) > 1 {
		h := &helper{name: colPatSmall, bin: patBin}
		smallSS, err := startKeyring(filepath.Join(tmp, "kr-pat-small"))
		if err != nil {
			h.err = err
		} else {
			defer smallSS.Stop()
			h.env = append(append(append([]string(nil), path...), smallSS.Env()...),
				"DOCKER_CREDENTIAL_PAT_STATE_DIR="+filepath.Join(tmp, "pat-small-state"),
				"DOCKER_CREDENTIAL_PAT_BACKEND=secretservice")
		}
		r.small = &subject{helper: h, want: map[string]creds{}}
	}

	pat := &helper{name: colPat, bin: patBin, env: append(append([]string(nil), base...),
		"DOCKER_CREDENTIAL_PAT_STATE_DIR="+filepath.Join(tmp, "pat-state"),
		"DOCKER_CREDENTIAL_PAT_BACKEND=secretservice")}
	keyctl := &helper{name: colKeyctl, bin: patBin, env: append(append([]string(nil), base...),
		"DOCKER_CREDENTIAL_PAT_STATE_DIR="+filepath.Join(tmp, "pat-keyctl-state"),
		"DOCKER_CREDENTIAL_PAT_BACKEND=keyctl")}
	if runtime.GOOS != "linux" {
		keyctl.err = fmt.Errorf("the kernel keyring is Linux only")
	}
	r.version = &helper{name: colVersion, bin: patBin, env: pat.env}
	r.floor = &helper{name: colFloor, bin: floorBin, env: path, err: floorErr}
	sshelper := &helper{name: colSS, bin: ssBin, env: append(append([]string(nil), path...), refSS.Env()...), err: ssErr}
	passhelper := &helper{name: colPass, bin: passBin, err: passErr}
	var passFill func(context.Context, creds) error
	if passErr == nil {
		ps, err := startPassStore(filepath.Join(tmp, "pass"), append(path, "HOME="+filepath.Join(tmp, "pass")))
		if err != nil {
			passhelper.err = fmt.Errorf("cannot set up pass: %w", err)
		} else {
			defer ps.stop()
			passhelper.env = ps.env
			passFill = ps.insert
		}
	}
	for _, h := range []*helper{pat, sshelper, passhelper, keyctl} {
		r.subs = append(r.subs, &subject{helper: h, want: map[string]creds{}})
	}
	r.subs[2].fill = passFill
	rep.collectVersions(ctx, r.version, sshelper, passhelper)

	r.choosePayloads(ctx)
	defer r.cleanup()
	if r.small != nil && r.small.usable() {
		r.fill(ctx, r.small, cfg.sizes[0])
	}

	for _, n := range cfg.sizes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for name, kr := range map[string]*keychaintest.SecretService{"pat": patSS, "secretservice": refSS} {
			if dead := deadPIDs(kr); len(dead) > 0 {
				rep.notes = append(rep.notes, fmt.Sprintf("before N=%d: a daemon of %s's Secret Service had died (pids %v)", n, name, dead))
				logf("before N=%d: a daemon of %s's Secret Service died (pids %v)", n, name, dead)
			}
		}
		r.populate(ctx, n)
		r.level(ctx, n)
	}
	for _, s := range append(r.subs, r.small) {
		if s != nil && s.err != nil {
			rep.unusable = append(rep.unusable, fmt.Sprintf("%s: %v", s.name, s.err))
		}
	}
	rep.elapsed = time.Since(start)
	rep.finish()
	return rep, nil
}

// choosePayloads stores one probe entry with docker-credential-pat: if its
// token policy refuses a user name with a dckr_pat_ token for these
// registries, every helper gets identity tokens (username "<token>")
// instead, which every policy accepts.
func (r *runner) choosePayloads(ctx context.Context) {
	pat := r.subs[0]
	probe := payloads{}.at("probe.example.com", 0)
	_, err := pat.store(ctx, probe)
	if err == nil {
		_, _ = pat.erase(ctx, probe.ServerURL)
		return
	}
	probe = payloads{identity: true}.at("probe.example.com", 0)
	if _, err2 := pat.store(ctx, probe); err2 == nil {
		_, _ = pat.erase(ctx, probe.ServerURL)
		r.pay.identity = true
		r.rep.notes = append(r.rep.notes, fmt.Sprintf(
			"docker-credential-pat refused a user name with a dckr_pat_ token (%v); all helpers store identity tokens (username %q)",
			err, identityUser))
		return
	}
	r.rep.notes = append(r.rep.notes, fmt.Sprintf("docker-credential-pat could not store a probe entry: %v", err))
}

// populate brings every usable subject up to n entries through its own
// store, two processes at a time.
func (r *runner) populate(ctx context.Context, n int) {
	t0 := time.Now()
	defer func() {
		if n-r.filled >= 10 { // one entry says more about start-up than about filling
			r.perEntry = time.Since(t0) / time.Duration(n-r.filled)
		}
		r.filled = n
	}()
	for _, s := range r.subs {
		if s.usable() && len(s.keys) < n {
			r.fill(ctx, s, n)
		}
	}
}

// fill brings s up to n entries through its own store (or s.fill), two
// processes at a time.
func (r *runner) fill(ctx context.Context, s *subject, n int) {
	t0 := time.Now()
	from := len(s.keys)
	entries := make([]creds, 0, n-from)
	for i := from; i < n; i++ {
		entries = append(entries, r.pay.entry(i))
	}
	errs := make([]error, len(entries))
	for i := range errs {
		errs[i] = errNotRun
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if s.fill != nil {
					errs[i] = s.fill(ctx, entries[i])
				} else {
					_, errs[i] = s.store(ctx, entries[i])
				}
			}
		}()
	}
	for i := range entries {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	for i, e := range entries {
		if errs[i] != nil {
			if s.err == nil {
				s.err = fmt.Errorf("filling to N=%d, store %s: %w", n, e.ServerURL, errs[i])
			}
			continue
		}
		s.want[e.ServerURL] = e // also when unusable: cleanup erases by it
		s.keys = append(s.keys, e.ServerURL)
	}
	if s.err != nil {
		logf("N=%d: %s: %v", n, s.name, s.err)
		return
	}
	logf("N=%d: %s filled %d entries in %s", n, s.name, len(entries), time.Since(t0).Round(time.Millisecond))
	r.rep.fill = append(r.rep.fill, fillTime{helper: s.name, from: from, to: n, took: time.Since(t0)})
}

// cleanup erases what docker-credential-pat put in the kernel keyring,
// which outlives the temporary directory.
func (r *runner) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, s := range r.subs {
		if s.name != colKeyctl {
			continue
		}
		keys := make([]string, 0, len(s.want))
		for k := range s.want {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ctx.Err() != nil {
				logf("cleanup: %d kernel-keyring entries left", len(keys))
				return
			}
			_, _ = s.erase(ctx, k)
		}
	}
}

// startKeyring starts a private D-Bus session with an unlocked
// gnome-keyring under dir.
func startKeyring(dir string) (*keychaintest.SecretService, error) {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	ss, err := keychaintest.StartSecretService(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot start the Secret Service: %w", err)
	}
	return ss, nil
}

// deadPIDs lists the harness's daemons that no longer run.
func deadPIDs(ss *keychaintest.SecretService) []int {
	var dead []int
	for _, pid := range ss.PIDs() {
		if syscall.Kill(pid, 0) != nil {
			dead = append(dead, pid)
		}
	}
	return dead
}
