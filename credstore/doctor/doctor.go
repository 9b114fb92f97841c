// Package doctor checks the whole set-up of docker-credential-pat: the
// keychain backend, docker's config.json, the index, the keychain's
// agreement with it, the tokens. Each finding is a Check with a status,
// one line and a fix; with Repair it mends what is safe to mend without
// asking, through the store. It never prints.
package doctor

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/dockerconfig"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/hint"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/internal/statefile"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/when"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
)

// Doctor statuses.
const (
	StatusOK   = "ok"
	StatusWarn = "warn"
	StatusFail = "fail"
)

// The doctor's checks, by the name a Check carries: stable, one per
// check, documented in doctor --help and the README.
const (
	CheckBackend     = "backend"     // the keychain answers a write, read and delete
	CheckKeyctl      = "keyctl"      // where the kernel keyring keeps items, and its quota
	CheckConfigJSON  = "config.json" // docker's config.json reads
	CheckCredsStore  = "credsStore"  // config.json sends docker to a helper that is on PATH
	CheckPATH        = "PATH"        // this program is on PATH
	CheckCredHelpers = "credHelpers" // registries docker sends to other helpers
	CheckPlaintext   = "plaintext"   // credentials in plain text in config.json
	CheckBackups     = "backups"     // backups of config.json holding plaintext credentials
	CheckIndex       = "index"       // the metadata index reads
	CheckPermissions = "permissions" // the state directory and its files are private
	CheckInterrupted = "interrupted" // a store or erase a killed process left half done
	CheckKeychain    = "keychain"    // the index and the keychain agree
	CheckTokens      = "tokens"      // tokens expired or expiring within 7 days
)

// Checks are the names of every check, in the order Doctor runs them.
var Checks = []string{CheckBackend, CheckKeyctl, CheckConfigJSON, CheckCredsStore, CheckPATH, CheckCredHelpers,
	CheckPlaintext, CheckBackups, CheckIndex, CheckPermissions, CheckInterrupted, CheckKeychain, CheckTokens}

// Check is one finding of the doctor. Detail never holds a secret.
type Check struct {
	Name     string `json:"check"`              // what was checked: CheckBackend, ...
	Status   string `json:"status"`             // StatusOK, StatusWarn or StatusFail
	Detail   string `json:"detail"`             // one line
	Hint     string `json:"hint,omitempty"`     // the fix, a command where there is one
	Repaired string `json:"repaired,omitempty"` // what --repair did about it
}

// Report is what Doctor found, in the order it looked.
type Report struct {
	Checks []Check `json:"checks"`
}

// OK reports whether nothing needs attention: no check warns or fails.
func (r *Report) OK() bool {
	for _, c := range r.Checks {
		if c.Status != StatusOK {
			return false
		}
	}
	return true
}

func (r *Report) add(c Check) { r.Checks = append(r.Checks, c) }

func (r *Report) ok(name, detail string) { r.add(Check{Name: name, Status: StatusOK, Detail: detail}) }

func (r *Report) warn(name, detail, hint string) {
	r.add(Check{Name: name, Status: StatusWarn, Detail: detail, Hint: hint})
}

func (r *Report) fail(name, detail, hint string) {
	r.add(Check{Name: name, Status: StatusFail, Detail: detail, Hint: hint})
}

// Options configure Run. Zero values mean the defaults.
type Options struct {
	// Repair mends what can be mended without a decision: an unreadable
	// index is moved aside and rebuilt from the keychain, permissions are
	// tightened, interrupted changes finished, entries whose secret is gone
	// dropped, and keychain items the index lost listed again.
	Repair bool
	// DockerConfigDir holds config.json; default DockerConfigDir().
	DockerConfigDir string
	// LookPath finds a program on PATH; default exec.LookPath.
	LookPath func(file string) (string, error)
	// Timeout bounds the keychain round trip of the backend check; default
	// three times DefaultTimeout (a write, a read and a delete).
	Timeout time.Duration
}

// keyPrefix names the throwaway keychain item of the backend check.
const keyPrefix = "docker-credential-pat-doctor-"

// doctor is one run of Run.
type doctor struct {
	s    *credstore.Store
	opts Options
	now  time.Time
	r    Report
	cfg  *dockerconfig.DockerConfig // nil when it could not be read
}

// Run checks the set-up of s and, with opts.Repair, mends what it safely
// can. It never prints and never fails as a whole: every problem is a Check.
func Run(s *credstore.Store, opts Options) Report {
	if opts.LookPath == nil {
		opts.LookPath = exec.LookPath
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 3 * credstore.DefaultTimeout
	}
	d := &doctor{s: s, opts: opts, now: s.Now().UTC()}
	d.backend()
	d.dockerConfig()
	// Permissions first: the store refuses a state directory that others
	// can write, so the repair that closes it comes before reading it.
	d.permissions()
	if d.index() {
		d.interrupted()
		d.agreement()
		d.tokens()
	}
	return d.r
}

// hintOr is err's hint, naming this program, or fallback.
func (d *doctor) hintOr(err error, fallback string) string {
	if h := hint.First(d.s.Own(err)); h != "" {
		return h
	}
	return fallback
}

// backend checks that the default backend opens and answers a real write,
// read and delete of a throwaway item.
func (d *doctor) backend() {
	const name = CheckBackend
	b, reason, err := d.s.OpenDefault()
	if err != nil {
		detail := err.Error()
		if reason != "" {
			detail = reason + ": " + detail
		}
		d.r.fail(name, fmt.Sprintf("%s: cannot open: %s", d.s.DefaultBackend(), detail),
			d.hintOr(err, "try another backend: --backend keyctl or --backend secretservice"))
		return
	}
	what := b.Name()
	if reason != "" {
		what += " (" + reason + ")"
	}
	ctx, cancel := context.WithTimeout(d.s.Context(), d.opts.Timeout)
	defer cancel()
	start := time.Now()
	if err := roundTrip(ctx, b); err != nil {
		switch {
		case errors.Is(err, keychain.ErrLocked):
			d.r.fail(name, what+": the keyring is locked: "+err.Error(),
				d.hintOr(err, "unlock the keyring: secret-tool search --unlock service "+keychain.Service))
		case errors.Is(err, keychain.ErrUnavailable):
			d.r.fail(name, what+": unavailable: "+err.Error(),
				d.hintOr(err, "use another backend: --backend keyctl"))
		case errors.Is(err, keychain.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
			d.r.fail(name, what+": no answer within "+d.opts.Timeout.String()+": "+err.Error(),
				d.hintOr(err, "unlock the keyring, or raise "+credstore.EnvTimeout))
		default:
			d.r.fail(name, what+": the write, read and delete probe failed: "+err.Error(),
				d.hintOr(err, "use another backend: --backend keyctl"))
		}
		return
	}
	d.r.ok(name, fmt.Sprintf("%s: a write, read and delete answered in %s", what, elapsed(time.Since(start))))
	if b.Name() == "keyctl" {
		d.keyctl(b)
	}
}

// elapsed renders a short duration for a person: "4ms", "under 1ms".
func elapsed(d time.Duration) string {
	if d < time.Millisecond {
		return "under 1ms"
	}
	return d.Round(time.Millisecond).String()
}

// roundTrip writes, reads back and deletes a throwaway item in b.
func roundTrip(ctx context.Context, b keychain.Backend) error {
	rnd := make([]byte, 8)
	_, _ = rand.Read(rnd)
	key := keyPrefix + hex.EncodeToString(rnd)
	want := []byte("doctor round trip " + hex.EncodeToString(rnd))
	if err := b.Set(ctx, key, want); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	got, err := b.Get(ctx, key)
	if err == nil && !bytes.Equal(got, want) {
		err = errors.New("read back something else than was written")
	}
	derr := b.Delete(ctx, key)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if derr != nil {
		return fmt.Errorf("delete: %w", derr)
	}
	if _, err := b.Get(ctx, key); !errors.Is(err, keychain.ErrNotFound) {
		return errors.New("delete: the item is still there")
	}
	return nil
}

// keyctlWhere says where the keyctl backend b keeps its items, looking
// through wrappers that can be unwrapped, else asking a fresh backend.
func keyctlWhere(b keychain.Backend) string {
	for i := 0; i < 8 && b != nil; i++ {
		if w, ok := b.(keychain.KeyctlWhere); ok {
			return w.Where()
		}
		u, ok := b.(interface{ Unwrap() keychain.Backend })
		if !ok {
			break
		}
		b = u.Unwrap()
	}
	if k, err := keychain.NewKeyctl(); err == nil {
		if w, ok := k.(keychain.KeyctlWhere); ok {
			return w.Where()
		}
	}
	return ""
}

// quotaHigh is the share of the kernel key quota that is worth a warning.
const quotaHigh = 0.8

// keyctl reports where the kernel keyring keeps items, how long they live
// and how much of the quota is used.
func (d *doctor) keyctl(b keychain.Backend) {
	const name = CheckKeyctl
	q, qerr := keychain.ReadKeyctlQuota()
	expiry := "kernel.keys.persistent_keyring_expiry seconds"
	if qerr == nil && q.PersistentExpirySeconds > 0 {
		expiry = fmt.Sprintf("%ds (%s, kernel.keys.persistent_keyring_expiry)", q.PersistentExpirySeconds,
			strings.TrimPrefix(when.Relative(d.now.Add(time.Duration(q.PersistentExpirySeconds)*time.Second), d.now), "in "))
	}
	var quota string
	high := false
	if qerr != nil {
		quota = "quota unknown: " + qerr.Error()
	} else {
		quota = fmt.Sprintf("quota %d/%d keys, %d/%d bytes", q.Keys, q.MaxKeys, q.Bytes, q.MaxBytes)
		high = q.MaxKeys > 0 && float64(q.Keys) >= quotaHigh*float64(q.MaxKeys) ||
			q.MaxBytes > 0 && float64(q.Bytes) >= quotaHigh*float64(q.MaxBytes)
	}
	switch where := keyctlWhere(b); where {
	case keychain.KeyctlUser:
		d.r.warn(name, "items in the user keyring (no persistent keyrings in this kernel): they are lost when your last session ends; "+quota,
			"keep tokens in the Secret Service: --backend secretservice (or DOCKER_CREDENTIAL_PAT_BACKEND=secretservice)")
		return
	case keychain.KeyctlPersistent:
		detail := "items in the persistent keyring: they survive logout, not reboot, and go after " + expiry + " unused; " + quota
		if high {
			d.r.warn(name, detail, "remove unused tokens: "+d.s.Command("prune --unused-for 90d")+", or raise kernel.keys.maxbytes")
			return
		}
		d.r.ok(name, detail)
	default:
		d.r.ok(name, "items in the kernel keyring; "+quota)
	}
}

// dockerConfig checks credsStore, credHelpers, that the helpers they name
// are on PATH, and plaintext credentials left in config.json.
func (d *doctor) dockerConfig() {
	dir := d.opts.DockerConfigDir
	if dir == "" {
		var err error
		if dir, err = dockerconfig.DockerConfigDir(); err != nil {
			d.r.fail(CheckConfigJSON, err.Error(), "set "+dockerconfig.EnvDockerConfig)
			return
		}
	}
	cfg, err := dockerconfig.LoadDockerConfig(dir)
	if err != nil {
		d.r.fail(CheckConfigJSON, err.Error(), d.hintOr(err, "fix or remove "+filepath.Join(dir, dockerconfig.DockerConfigFile)))
		return
	}
	d.cfg = cfg
	self, selfErr := d.opts.LookPath(d.s.Program())

	// credsStore
	switch store := cfg.CredsStore(); {
	case store == "":
		what := cfg.Path() + " sets no credsStore: docker keeps credentials in plain text there"
		if !cfg.Exists() {
			what = cfg.Path() + " does not exist: docker would keep credentials in plain text"
		}
		d.r.warn(CheckCredsStore, what, d.s.Command("setup"))
	case store == credstore.HelperName && selfErr != nil:
		d.r.fail(CheckCredsStore, `"pat", but `+d.s.Program()+" is not on PATH: every docker pull and push fails",
			"install it on PATH: "+credstore.InstallHint(d.s.Program()))
	case store == credstore.HelperName:
		d.r.ok(CheckCredsStore, `"pat": docker runs `+self)
	default:
		helper := "docker-credential-" + store
		if _, err := d.opts.LookPath(helper); err != nil {
			d.r.fail(CheckCredsStore, fmt.Sprintf("%q names %s, which is not on PATH: every docker pull and push fails", store, helper),
				d.s.Command("setup"))
		} else {
			d.r.warn(CheckCredsStore, fmt.Sprintf("%q: docker keeps new logins with %s, not %s", store, helper, d.s.Program()),
				d.s.Command("setup"))
		}
	}

	// this program on PATH (a failure is reported above when credsStore needs it)
	if selfErr == nil {
		d.r.ok(CheckPATH, d.s.Program()+" is "+self)
	} else if cfg.CredsStore() != credstore.HelperName {
		d.r.warn(CheckPATH, d.s.Program()+" is not on PATH: docker cannot run it",
			"install it on PATH: "+credstore.InstallHint(d.s.Program()))
	}

	// credHelpers
	var routed []string
	for _, h := range d.s.CredHelpers(cfg) {
		if _, err := d.opts.LookPath(h.Program); err != nil {
			d.r.fail(CheckCredHelpers, fmt.Sprintf("%s goes to %s, which is not on PATH: docker fails every pull from it", h.Registry, h.Program),
				"install "+h.Program+", or remove "+h.Registry+" from credHelpers in "+cfg.Path())
			continue
		}
		if h.Helper != credstore.HelperName {
			routed = append(routed, h.Registry+" → "+h.Program)
		}
	}
	if len(routed) > 0 {
		d.r.ok(CheckCredHelpers, "docker uses other helpers for: "+strings.Join(routed, ", "))
	}

	// plaintext credentials
	plain, perr := cfg.PlaintextAuths()
	var names []string
	for _, p := range plain {
		names = append(names, p.ServerURL)
	}
	var bad *dockerconfig.MalformedAuthsError
	if errors.As(perr, &bad) {
		for _, m := range bad.Entries {
			names = append(names, m.ServerURL+" (unreadable)")
		}
	}
	if len(names) > 0 {
		d.r.warn(CheckPlaintext, fmt.Sprintf("%s in plain text in %s: %s", when.Plural(len(names), "credential"), cfg.Path(), strings.Join(names, ", ")),
			d.s.Command("setup --migrate"))
	} else {
		d.r.ok(CheckPlaintext, "no credentials in plain text in "+cfg.Path())
	}

	// backups of config.json that setup wrote before moving credentials out
	backups, err := dockerconfig.PlaintextBackups(dir)
	switch {
	case err != nil:
		d.r.warn(CheckBackups, err.Error(), "ls "+filepath.Join(dir, dockerconfig.DockerConfigFile)+".bak-*")
	case len(backups) == 0:
		d.r.ok(CheckBackups, "no backup of "+dockerconfig.DockerConfigFile+" holds credentials in plain text")
	default:
		var what, paths []string
		for _, b := range backups {
			what = append(what, fmt.Sprintf("%s (%d)", b.Path, b.Credentials))
			paths = append(paths, b.Path)
		}
		d.r.warn(CheckBackups, fmt.Sprintf("credentials in plain text in %s of %s: %s",
			when.Plural(len(backups), "backup"), dockerconfig.DockerConfigFile, strings.Join(what, ", ")),
			"once docker works with the keychain, remove them: rm "+strings.Join(paths, " "))
	}
}

// authsKeys are the canonical keys of the registries config.json's auths
// names: docker writes an empty entry there for each login it hands to a
// helper, so they are the keys the keychain may hold.
func (d *doctor) authsKeys() []string {
	if d.cfg == nil {
		return nil
	}
	var keys []string
	for _, k := range d.cfg.AuthsKeys() {
		if c, err := registryurl.Canonical(k); err == nil {
			keys = append(keys, c)
		}
	}
	return keys
}

// index checks that the index reads; with Repair an unreadable one is
// rebuilt. It reports whether the index can be read now.
func (d *doctor) index() bool {
	const name = CheckIndex
	path := d.s.IndexPath()
	all, err := d.s.AllEntries()
	if err == nil {
		if _, serr := os.Stat(path); errors.Is(serr, fs.ErrNotExist) {
			d.r.ok(name, path+" does not exist yet: no tokens stored")
		} else {
			d.r.ok(name, path+": "+when.Plural(len(all), "entry"))
		}
		return true
	}
	if !errors.Is(err, credstore.ErrIndexCorrupt) || !d.opts.Repair {
		fix := d.s.Command("doctor --repair")
		if !errors.Is(err, credstore.ErrIndexCorrupt) {
			fix = d.hintOr(err, "check the permissions of "+path)
		}
		d.r.fail(name, err.Error(), fix)
		return false
	}
	aside, rebuilt, rerr := d.s.RebuildIndex(d.authsKeys())
	if rerr != nil {
		d.r.add(Check{Name: name, Status: StatusFail, Detail: err.Error(),
			Hint: "move " + path + " aside and log in again", Repaired: "rebuild failed: " + rerr.Error()})
		return false
	}
	d.r.add(Check{Name: name, Status: StatusOK, Detail: err.Error(),
		Repaired: fmt.Sprintf("moved it to %s and rebuilt %s from the keychain%s", aside, when.Plural(len(rebuilt), "entry"), listed(rebuilt))})
	return true
}

func listed(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return ": " + strings.Join(names, ", ")
}

// permissions checks that the state directory is 0700 and its files 0600,
// and with Repair makes them so.
func (d *doctor) permissions() {
	const name = CheckPermissions
	dir := d.s.StateDir()
	if runtime.GOOS == "windows" {
		d.r.ok(name, "not checked on windows: the user profile's ACLs keep "+dir+" private")
		return
	}
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		d.r.ok(name, dir+" does not exist yet")
		return
	}
	if err != nil {
		d.r.fail(name, err.Error(), "check "+dir)
		return
	}
	type loose struct {
		path string
		mode fs.FileMode
		want fs.FileMode
	}
	var bad []loose
	if st.Mode().Perm()&0o077 != 0 {
		bad = append(bad, loose{dir, st.Mode().Perm(), 0o700})
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		d.r.fail(name, err.Error(), "chmod 0700 "+dir)
		return
	}
	// The files of the state directory, and of uses/ in it: never of
	// what a uses/ link points to, which a repair would chmod.
	usesDir := filepath.Join(dir, credstore.UsesDir)
	if err := statefile.CheckDir(usesDir, false); err != nil && !errors.Is(err, statefile.ErrUnsafeDir) {
		d.r.fail(name, err.Error(), d.hintOr(err, "rm "+usesDir))
		return
	}
	if uses, err := os.ReadDir(usesDir); err == nil {
		if st, err := os.Lstat(usesDir); err == nil && st.Mode().Perm()&0o077 != 0 {
			bad = append(bad, loose{usesDir, st.Mode().Perm(), 0o700})
		}
		for _, de := range uses {
			ents = append(ents, usesEntry{de})
		}
	}
	for _, de := range ents {
		if !de.Type().IsRegular() {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue
		}
		if info.Mode().Perm()&0o077 != 0 {
			bad = append(bad, loose{filepath.Join(dir, de.Name()), info.Mode().Perm(), 0o600})
		}
	}
	if len(bad) == 0 {
		d.r.ok(name, dir+" is 0700 and its files 0600")
		return
	}
	var what, cmds []string
	for _, b := range bad {
		what = append(what, fmt.Sprintf("%s is %04o", b.path, b.mode))
		cmds = append(cmds, fmt.Sprintf("chmod %04o %s", b.want, b.path))
	}
	detail := "readable by others: " + strings.Join(what, ", ")
	if !d.opts.Repair {
		d.r.warn(name, detail, d.s.Command("doctor --repair")+", or: "+strings.Join(cmds, "; "))
		return
	}
	var failed []string
	for _, b := range bad {
		if err := os.Chmod(b.path, b.want); err != nil {
			failed = append(failed, err.Error())
		}
	}
	if len(failed) > 0 {
		d.r.add(Check{Name: name, Status: StatusWarn, Detail: detail, Hint: strings.Join(cmds, "; "),
			Repaired: "chmod failed: " + strings.Join(failed, "; ")})
		return
	}
	d.r.add(Check{Name: name, Status: StatusOK, Detail: detail, Repaired: strings.Join(cmds, "; ")})
}

// usesEntry is a directory entry of uses/, named by its path in the state
// directory.
type usesEntry struct{ fs.DirEntry }

func (u usesEntry) Name() string { return filepath.Join(credstore.UsesDir, u.DirEntry.Name()) }

// interrupted reports entries a killed process left half stored or half
// erased; Repair finishes them as the next write would.
func (d *doctor) interrupted() {
	const name = CheckInterrupted
	pending := func() ([]string, error) {
		all, err := d.s.AllEntries()
		if err != nil {
			return nil, err
		}
		var out []string
		for _, e := range all {
			if e.State != "" {
				out = append(out, registryurl.Display(orKey(e))+" ("+e.State+")")
			}
		}
		return out, nil
	}
	if d.opts.Repair {
		// Use records of erased entries (a process killed between the
		// erase and the record's removal) hold no secret; drop them.
		_ = d.s.SweepUses()
	}
	before, err := pending()
	if err != nil {
		d.r.fail(name, err.Error(), d.s.Command("doctor --repair"))
		return
	}
	if len(before) == 0 {
		d.r.ok(name, "no interrupted store or erase")
		return
	}
	detail := "interrupted changes: " + strings.Join(before, ", ")
	if !d.opts.Repair {
		d.r.warn(name, detail, d.s.Command("doctor --repair"))
		return
	}
	err = d.s.FinishInterrupted()
	after, perr := pending()
	if err == nil {
		err = perr
	}
	if err != nil || len(after) > 0 {
		rep := "still interrupted: " + strings.Join(after, ", ")
		if err != nil {
			rep = err.Error()
		}
		d.r.add(Check{Name: name, Status: StatusWarn, Detail: detail,
			Hint: "make the keychain reachable (see the backend check), then: " + d.s.Command("doctor --repair"), Repaired: rep})
		return
	}
	d.r.add(Check{Name: name, Status: StatusOK, Detail: detail, Repaired: "finished them"})
}

func orKey(e *credstore.Entry) string {
	if e.ServerURL != "" {
		return e.ServerURL
	}
	return e.Key
}

// agreement checks that every entry's secret is in its backend and that
// the keychain holds nothing config.json names that the index lost.
// Repair drops entries whose secret is gone and lists lost items again.
func (d *doctor) agreement() {
	const name = CheckKeychain
	n := 0
	if all, err := d.s.AllEntries(); err == nil {
		n = len(all)
	}
	ctx, cancel := context.WithTimeout(d.s.Context(), d.opts.Timeout+time.Duration(n)*credstore.DefaultTimeout)
	defer cancel()
	a, err := d.s.CheckKeychain(ctx, d.authsKeys())
	if err != nil {
		d.r.fail(name, err.Error(), d.s.Command("doctor --repair"))
		return
	}
	for bn, err := range a.Unreachable {
		if bn == "" {
			bn = "-" // entries that name no backend
		}
		d.r.fail(name, fmt.Sprintf("could not read the entries kept in %s: %v", bn, err),
			d.hintOr(err, d.s.Command("doctor")))
	}
	if len(a.Unreadable) > 0 {
		d.r.warn(name, "keychain items that are not "+d.s.Program()+"'s: "+strings.Join(a.Unreadable, ", "),
			"log in again: docker login REGISTRY")
	}
	if len(a.Differs) > 0 {
		d.r.warn(name, "the keychain holds another token than the index describes for: "+strings.Join(a.Differs, ", "),
			"log in again so the index describes the token in use: docker login REGISTRY")
	}
	d.dropMissing(a.Missing, a.MissingKeys)
	d.relist(a.Lost, a.LostKeys)
	if len(a.Unreachable) == 0 && len(a.Unreadable) == 0 && len(a.Differs) == 0 && len(a.Missing) == 0 && len(a.Lost) == 0 {
		if a.Checked == 0 {
			d.r.ok(name, "no entries to check")
		} else {
			d.r.ok(name, "checked "+when.Plural(a.Checked, "entry")+": every secret is in its keychain")
		}
	}
}

// dropMissing reports entries whose secret is gone; Repair drops them.
func (d *doctor) dropMissing(missing, keys []string) {
	const name = CheckKeychain
	if len(missing) == 0 {
		return
	}
	detail := "the index lists tokens the keychain no longer holds: " + strings.Join(missing, ", ")
	hint := "log in again (docker login REGISTRY), or drop them: " + d.s.Command("doctor --repair")
	if !d.opts.Repair {
		d.r.warn(name, detail, hint)
		return
	}
	dropped, err := d.s.DropMissing(keys)
	if err != nil {
		d.r.add(Check{Name: name, Status: StatusWarn, Detail: detail, Hint: hint, Repaired: "failed: " + err.Error()})
		return
	}
	d.r.add(Check{Name: name, Status: StatusOK, Detail: detail, Repaired: "dropped from the index: " + strings.Join(dropped, ", ")})
}

// relist reports keychain items the index lost; Repair lists them again.
func (d *doctor) relist(lost, keys []string) {
	const name = CheckKeychain
	if len(lost) == 0 {
		return
	}
	detail := "the keychain holds tokens the index does not list: " + strings.Join(lost, ", ")
	if !d.opts.Repair {
		d.r.warn(name, detail, d.s.Command("doctor --repair"))
		return
	}
	added, err := d.s.Relist(keys)
	if err != nil {
		d.r.add(Check{Name: name, Status: StatusWarn, Detail: detail, Hint: d.s.Command("doctor --repair"), Repaired: "failed: " + err.Error()})
		return
	}
	d.r.add(Check{Name: name, Status: StatusOK, Detail: detail, Repaired: "listed again: " + strings.Join(added, ", ")})
}

// tokens warns about each token that has expired or expires within a week.
func (d *doctor) tokens() {
	const name = CheckTokens
	all, err := d.s.Entries()
	if err != nil {
		return
	}
	flagged := 0
	for _, e := range all {
		if e.ExpiresAt == nil {
			continue
		}
		who := e.Who()
		renew := fmt.Sprintf("create a new token, then: docker login -u %s --password-stdin %s", e.Username, e.Registry())
		at := e.ExpiresAt.Format(time.RFC3339)
		switch {
		case e.Expired(d.now):
			flagged++
			d.r.warn(name, fmt.Sprintf("%s expired %s (%s)", who, when.Relative(*e.ExpiresAt, d.now), at),
				renew+"; or remove it: "+d.s.Command("rm "+e.Registry()))
		case e.ExpiresAt.Sub(d.now) <= credstore.ReminderWindow:
			flagged++
			d.r.warn(name, fmt.Sprintf("%s expires %s (%s)", who, when.Relative(*e.ExpiresAt, d.now), at), renew)
		}
	}
	if flagged == 0 {
		d.r.ok(CheckTokens, fmt.Sprintf("%d stored, none expired or expiring within 7 days", len(all)))
	}
}
