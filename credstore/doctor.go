package credstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/dockerconfig"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/hint"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
)

// This file holds the doctor: checks of the whole set-up (keychain backend,
// docker config, index, tokens), each with a status, one line and a fix,
// and the repairs that are safe to make without asking.

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

// DoctorOptions configure Doctor. Zero values mean the defaults.
type DoctorOptions struct {
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

// doctorKeyPrefix names the throwaway keychain item of the backend check.
const doctorKeyPrefix = "docker-credential-pat-doctor-"

// maxRebuildKeys bounds the keychain look-ups of an index rebuild.
const maxRebuildKeys = 500

// doctor is one run of Doctor.
type doctor struct {
	s    *Store
	opts DoctorOptions
	now  time.Time
	r    Report
	cfg  *dockerconfig.DockerConfig // nil when it could not be read
}

// Doctor checks the set-up and, with opts.Repair, mends what it safely can.
// It never prints and never fails as a whole: every problem is a Check.
func (s *Store) Doctor(opts DoctorOptions) Report {
	if opts.LookPath == nil {
		opts.LookPath = exec.LookPath
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 3 * DefaultTimeout
	}
	d := &doctor{s: s, opts: opts, now: s.now().UTC()}
	d.backend()
	d.dockerConfig()
	if d.index() {
		d.permissions()
		d.interrupted()
		d.agreement()
		d.tokens()
	} else {
		d.permissions()
	}
	return d.r
}

// openDefault opens the backend for new entries, remembering it as
// backendFor does, and returns why auto chose it. Unlike backendFor it
// announces nothing: the doctor reports the choice itself.
func (s *Store) openDefault() (keychain.Backend, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, reason, err := s.open(s.backend)
	if err != nil {
		return nil, reason, err
	}
	s.backends[s.backend] = b
	s.backends[b.Name()] = b
	return b, reason, nil
}

// hintOr is err's hint, or fallback.
func hintOr(err error, fallback string) string {
	if h := hint.First(err); h != "" {
		return h
	}
	return fallback
}

// backend checks that the default backend opens and answers a real write,
// read and delete of a throwaway item.
func (d *doctor) backend() {
	const name = CheckBackend
	b, reason, err := d.s.openDefault()
	if err != nil {
		detail := err.Error()
		if reason != "" {
			detail = reason + ": " + detail
		}
		d.r.fail(name, fmt.Sprintf("%s: cannot open: %s", d.s.backend, detail),
			hintOr(err, "try another backend: --backend keyctl or --backend secretservice"))
		return
	}
	what := b.Name()
	if reason != "" {
		what += " (" + reason + ")"
	}
	ctx, cancel := context.WithTimeout(d.s.ctx, d.opts.Timeout)
	defer cancel()
	start := time.Now()
	if err := roundTrip(ctx, b); err != nil {
		switch {
		case errors.Is(err, keychain.ErrLocked):
			d.r.fail(name, what+": the keyring is locked: "+err.Error(),
				hintOr(err, "unlock the keyring: secret-tool search --unlock service "+keychain.Service))
		case errors.Is(err, keychain.ErrUnavailable):
			d.r.fail(name, what+": unavailable: "+err.Error(),
				hintOr(err, "use another backend: --backend keyctl"))
		case errors.Is(err, keychain.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
			d.r.fail(name, what+": no answer within "+d.opts.Timeout.String()+": "+err.Error(),
				hintOr(err, "unlock the keyring, or raise "+EnvTimeout))
		default:
			d.r.fail(name, what+": the write, read and delete probe failed: "+err.Error(),
				hintOr(err, "use another backend: --backend keyctl"))
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
	key := doctorKeyPrefix + hex.EncodeToString(rnd)
	want := []byte("docker-credential-pat doctor " + hex.EncodeToString(rnd))
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
			strings.TrimPrefix(RelativeTime(d.now.Add(time.Duration(q.PersistentExpirySeconds)*time.Second), d.now), "in "))
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
			d.r.warn(name, detail, "remove unused tokens: "+d.s.command("prune --unused-for 90d")+", or raise kernel.keys.maxbytes")
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
		d.r.fail(CheckConfigJSON, err.Error(), hintOr(err, "fix or remove "+filepath.Join(dir, dockerconfig.DockerConfigFile)))
		return
	}
	d.cfg = cfg
	self, selfErr := d.opts.LookPath(d.s.program)

	// credsStore
	switch store := cfg.CredsStore(); {
	case store == "":
		what := cfg.Path() + " sets no credsStore: docker keeps credentials in plain text there"
		if !cfg.Exists() {
			what = cfg.Path() + " does not exist: docker would keep credentials in plain text"
		}
		d.r.warn(CheckCredsStore, what, d.s.command("setup"))
	case store == HelperName && selfErr != nil:
		d.r.fail(CheckCredsStore, `"pat", but `+d.s.program+" is not on PATH: every docker pull and push fails",
			"install it on PATH: "+installHint(d.s.program))
	case store == HelperName:
		d.r.ok(CheckCredsStore, `"pat": docker runs `+self)
	default:
		helper := "docker-credential-" + store
		if _, err := d.opts.LookPath(helper); err != nil {
			d.r.fail(CheckCredsStore, fmt.Sprintf("%q names %s, which is not on PATH: every docker pull and push fails", store, helper),
				d.s.command("setup"))
		} else {
			d.r.warn(CheckCredsStore, fmt.Sprintf("%q: docker keeps new logins with %s, not %s", store, helper, d.s.program),
				d.s.command("setup"))
		}
	}

	// this program on PATH (a failure is reported above when credsStore needs it)
	if selfErr == nil {
		d.r.ok(CheckPATH, d.s.program+" is "+self)
	} else if cfg.CredsStore() != HelperName {
		d.r.warn(CheckPATH, d.s.program+" is not on PATH: docker cannot run it",
			"install it on PATH: "+installHint(d.s.program))
	}

	// credHelpers
	var routed []string
	for _, h := range d.s.credHelpers(cfg) {
		if _, err := d.opts.LookPath(h.Program); err != nil {
			d.r.fail(CheckCredHelpers, fmt.Sprintf("%s goes to %s, which is not on PATH: docker fails every pull from it", h.Registry, h.Program),
				"install "+h.Program+", or remove "+h.Registry+" from credHelpers in "+cfg.Path())
			continue
		}
		if h.Helper != HelperName {
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
		d.r.warn(CheckPlaintext, fmt.Sprintf("%s in plain text in %s: %s", plural(len(names), "credential"), cfg.Path(), strings.Join(names, ", ")),
			d.s.command("setup --migrate"))
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
			plural(len(backups), "backup"), dockerconfig.DockerConfigFile, strings.Join(what, ", ")),
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
	x, err := d.s.readIndex()
	if err == nil {
		_, err = x.all()
	}
	if err == nil {
		if _, serr := os.Stat(path); errors.Is(serr, fs.ErrNotExist) {
			d.r.ok(name, path+" does not exist yet: no tokens stored")
		} else {
			d.r.ok(name, path+": "+plural(len(x.entries), "entry"))
		}
		return true
	}
	if !errors.Is(err, ErrIndexCorrupt) || !d.opts.Repair {
		hint := d.s.command("doctor --repair")
		if !errors.Is(err, ErrIndexCorrupt) {
			hint = "check the permissions of " + path
		}
		d.r.fail(name, err.Error(), hint)
		return false
	}
	aside, rebuilt, rerr := d.s.rebuildIndex(d.now, d.authsKeys())
	if rerr != nil {
		d.r.add(Check{Name: name, Status: StatusFail, Detail: err.Error(),
			Hint: "move " + path + " aside and log in again", Repaired: "rebuild failed: " + rerr.Error()})
		return false
	}
	d.r.add(Check{Name: name, Status: StatusOK, Detail: err.Error(),
		Repaired: fmt.Sprintf("moved it to %s and rebuilt %s from the keychain%s", aside, plural(len(rebuilt), "entry"), listed(rebuilt))})
	return true
}

func listed(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return ": " + strings.Join(names, ", ")
}

// rebuildIndex moves an unreadable index aside and writes a new one with
// an entry for every keychain item it can find: under the keys the old
// file's text names, and under extra. What the old file still says about
// an entry (one entry a line, as the index is written) is kept where the
// keychain item matches it.
func (s *Store) rebuildIndex(now time.Time, extra []string) (aside string, rebuilt []string, err error) {
	if err := s.ensureDir(); err != nil {
		return "", nil, err
	}
	unlock, err := lockState(s.dir)
	if err != nil {
		return "", nil, err
	}
	defer unlock()
	path := s.IndexPath()
	if x, err := s.readIndex(); err == nil {
		if _, err := x.all(); err == nil {
			return "", nil, errors.New("the index was repaired meanwhile")
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", nil, err
	}
	aside = path + ".corrupt-" + now.Format("20060102T150405Z")
	if _, err := os.Lstat(aside); err == nil {
		aside = fmt.Sprintf("%s-%d", aside, now.UnixNano()%1e6)
	}
	if err := os.Rename(path, aside); err != nil {
		return "", nil, err
	}
	salvaged := salvageEntries(data)
	keys := keysInText(data)
	keys = append(keys, extra...)
	for k := range salvaged {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	keys = slices.Compact(keys)
	if len(keys) > maxRebuildKeys {
		keys = keys[:maxRebuildKeys]
	}
	backends := []string{""}
	for _, n := range backendsInText(data) {
		backends = append(backends, n)
	}
	x, err := readIndex(path) // missing now: an empty index
	if err != nil {
		return aside, nil, err
	}
	for _, key := range keys {
		for _, bn := range backends {
			b, err := s.backendFor(bn)
			if err != nil {
				continue
			}
			item, err := b.Get(s.ctx, key)
			if err != nil {
				continue
			}
			e, err := entryFromItem(key, b.Name(), item, now)
			if err != nil {
				continue
			}
			if old := salvaged[key]; old != nil && old.Fingerprint == e.Fingerprint && old.Username == e.Username {
				keep := *old
				keep.Key, keep.Backend, keep.State, keep.Listed = key, b.Name(), "", false
				if keep.Scope == nil {
					keep.Scope = []string{}
				}
				e = &keep
			}
			x.put(e)
			rebuilt = append(rebuilt, registryurl.Display(e.ServerURL))
			break
		}
	}
	if err := x.write(true); err != nil {
		return aside, nil, err
	}
	return aside, rebuilt, nil
}

// entryFromItem makes an index entry from a keychain item stored under key.
func entryFromItem(key, backend string, item []byte, now time.Time) (*Entry, error) {
	p, err := decodePayload(item)
	if err != nil {
		return nil, err
	}
	if k, err := registryurl.Canonical(p.ServerURL); err != nil || k != key {
		return nil, errors.New("the item names another registry")
	}
	secret := token.NewSecret(p.Secret)
	e := &Entry{Key: key, ServerURL: p.ServerURL, Username: p.Username, Backend: backend, Scope: []string{},
		CreatedAt: now, UpdatedAt: now, Fingerprint: Fingerprint(secret)}
	applyClass(e, token.Classify(p.ServerURL, p.Username, secret), true)
	return e, nil
}

// jsonStrings matches the JSON strings of a text, for keys to look up.
// Regexps used by doctor and probe compile on first use, not at start-up:
// every get would pay for them (this one, with {1,1000}, costs ~20 ms).
var jsonStrings = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`"((?:[^"\\\x00-\x1f]|\\.){1,1000})"`)
})

// keysInText returns the canonical registry keys named in a damaged index.
func keysInText(data []byte) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range jsonStrings().FindAll(data, -1) {
		var s string
		if json.Unmarshal(m, &s) != nil {
			continue
		}
		key, err := registryurl.Canonical(s)
		if err != nil {
			continue
		}
		host, err := registryurl.Host(key)
		if err != nil || !(strings.ContainsAny(host, ".:") || host == "localhost") {
			continue
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, key)
		}
	}
	return out
}

var backendField = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`"backend"\s*:\s*"([a-z]{1,32})"`)
})

// backendsInText returns the backend names a damaged index mentions.
func backendsInText(data []byte) []string {
	var out []string
	for _, m := range backendField().FindAllSubmatch(data, -1) {
		if n := string(m[1]); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// salvageEntries reads the entry lines of a damaged index that are still
// whole, as encode writes them: `    "key": {...},`.
func salvageEntries(data []byte) map[string]*Entry {
	out := map[string]*Entry{}
	for _, line := range bytes.Split(data, []byte("\n")) {
		key, raw, ok := splitMember(bytes.TrimPrefix(line, []byte("    ")))
		if !ok || len(raw) < 2 || raw[0] != '{' {
			continue
		}
		var e Entry
		if json.Unmarshal(raw, &e) != nil {
			continue
		}
		out[key] = &e
	}
	return out
}

// permissions checks that the state directory is 0700 and its files 0600,
// and with Repair makes them so.
func (d *doctor) permissions() {
	const name = CheckPermissions
	dir := d.s.dir
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
	// The files of the state directory, and of uses/ in it.
	if uses, err := os.ReadDir(filepath.Join(dir, usesDir)); err == nil {
		if st, err := os.Stat(filepath.Join(dir, usesDir)); err == nil && st.Mode().Perm()&0o077 != 0 {
			bad = append(bad, loose{filepath.Join(dir, usesDir), st.Mode().Perm(), 0o700})
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
		d.r.warn(name, detail, d.s.command("doctor --repair")+", or: "+strings.Join(cmds, "; "))
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

func (u usesEntry) Name() string { return filepath.Join(usesDir, u.DirEntry.Name()) }

// interrupted reports entries a killed process left half stored or half
// erased; Repair finishes them as the next write would.
func (d *doctor) interrupted() {
	const name = CheckInterrupted
	pending := func() ([]string, error) {
		x, err := d.s.readIndex()
		if err != nil {
			return nil, err
		}
		all, err := x.all()
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
		_ = d.s.locked(func(x *index) error { d.s.sweepUses(x); return nil })
	}
	before, err := pending()
	if err != nil {
		d.r.fail(name, err.Error(), d.s.command("doctor --repair"))
		return
	}
	if len(before) == 0 {
		d.r.ok(name, "no interrupted store or erase")
		return
	}
	detail := "interrupted changes: " + strings.Join(before, ", ")
	if !d.opts.Repair {
		d.r.warn(name, detail, d.s.command("doctor --repair"))
		return
	}
	err = d.s.locked(func(x *index) error {
		d.s.repair(x)
		return x.write(true)
	})
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
			Hint: "make the keychain reachable (see the backend check), then: " + d.s.command("doctor --repair"), Repaired: rep})
		return
	}
	d.r.add(Check{Name: name, Status: StatusOK, Detail: detail, Repaired: "finished them"})
}

func orKey(e *Entry) string {
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
	x, err := d.s.readIndex()
	if err != nil {
		d.r.fail(name, err.Error(), d.s.command("doctor --repair"))
		return
	}
	all, err := x.all()
	if err != nil {
		d.r.fail(name, err.Error(), d.s.command("doctor --repair"))
		return
	}
	ctx, cancel := context.WithTimeout(d.s.ctx, d.opts.Timeout+time.Duration(len(all))*DefaultTimeout)
	defer cancel()
	var missing, differs, unreadable []string
	var missingKeys []string
	unreachable := map[string]error{}
	checked := 0
	inIndex := map[string]bool{}
	for _, e := range all {
		inIndex[e.Key] = true
		if !e.listable() {
			continue
		}
		if _, down := unreachable[e.Backend]; down {
			continue
		}
		b, err := d.s.backendFor(e.Backend)
		if err == nil {
			var item []byte
			item, err = b.Get(ctx, e.Key)
			if err == nil {
				checked++
				p, perr := decodePayload(item)
				switch {
				case perr != nil:
					unreadable = append(unreadable, e.Registry())
				case Fingerprint(token.NewSecret(p.Secret)) != e.Fingerprint || p.Username != e.Username:
					differs = append(differs, e.Registry())
				}
				continue
			}
			if errors.Is(err, keychain.ErrNotFound) {
				checked++
				missing = append(missing, e.Registry())
				missingKeys = append(missingKeys, e.Key)
				continue
			}
		}
		unreachable[e.Backend] = err
	}
	// Items the index does not list, under the keys config.json names.
	var lost []string
	var lostKeys []string
	if b, err := d.s.backendFor(""); err == nil {
		for _, key := range d.authsKeys() {
			if inIndex[key] || slices.Contains(lostKeys, key) {
				continue
			}
			item, err := b.Get(ctx, key)
			if err != nil {
				continue
			}
			if _, err := entryFromItem(key, b.Name(), item, d.now); err == nil {
				lost = append(lost, registryurl.Display(key))
				lostKeys = append(lostKeys, key)
			}
		}
	}

	for bn, err := range unreachable {
		if bn == "" {
			bn = "-" // entries that name no backend
		}
		d.r.fail(name, fmt.Sprintf("could not read the entries kept in %s: %v", bn, err),
			hintOr(err, d.s.command("doctor")))
	}
	if len(unreadable) > 0 {
		d.r.warn(name, "keychain items that are not "+d.s.program+"'s: "+strings.Join(unreadable, ", "),
			"log in again: docker login REGISTRY")
	}
	if len(differs) > 0 {
		d.r.warn(name, "the keychain holds another token than the index describes for: "+strings.Join(differs, ", "),
			"log in again so the index describes the token in use: docker login REGISTRY")
	}
	d.dropMissing(missing, missingKeys)
	d.relist(lost, lostKeys)
	if len(unreachable) == 0 && len(unreadable) == 0 && len(differs) == 0 && len(missing) == 0 && len(lost) == 0 {
		if checked == 0 {
			d.r.ok(name, "no entries to check")
		} else {
			d.r.ok(name, "checked "+plural(checked, "entry")+": every secret is in its keychain")
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
	hint := "log in again (docker login REGISTRY), or drop them: " + d.s.command("doctor --repair")
	if !d.opts.Repair {
		d.r.warn(name, detail, hint)
		return
	}
	var dropped []string
	err := d.s.locked(func(x *index) error {
		for _, key := range keys {
			e, err := x.get(key)
			if err != nil || e == nil || !e.listable() {
				continue
			}
			b, err := d.s.backendFor(e.Backend)
			if err != nil {
				continue
			}
			// Look again under the lock: a login may have stored it meanwhile.
			if _, err := b.Get(d.s.ctx, key); errors.Is(err, keychain.ErrNotFound) {
				x.remove(key)
				dropped = append(dropped, e.Registry())
			}
		}
		return x.write(true)
	})
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
		d.r.warn(name, detail, d.s.command("doctor --repair"))
		return
	}
	var added []string
	err := d.s.locked(func(x *index) error {
		b, err := d.s.backendFor("")
		if err != nil {
			return err
		}
		for _, key := range keys {
			if cur, err := x.get(key); err != nil || cur != nil {
				continue
			}
			item, err := b.Get(d.s.ctx, key)
			if err != nil {
				continue
			}
			e, err := entryFromItem(key, b.Name(), item, d.now)
			if err != nil {
				continue
			}
			x.put(e)
			added = append(added, registryurl.Display(key))
		}
		return x.write(true)
	})
	if err != nil {
		d.r.add(Check{Name: name, Status: StatusWarn, Detail: detail, Hint: d.s.command("doctor --repair"), Repaired: "failed: " + err.Error()})
		return
	}
	d.r.add(Check{Name: name, Status: StatusOK, Detail: detail, Repaired: "listed again: " + strings.Join(added, ", ")})
}

// tokens warns about each token that has expired or expires within a week.
func (d *doctor) tokens() {
	const name = CheckTokens
	x, err := d.s.readIndex()
	if err != nil {
		return
	}
	all, err := x.all()
	if err != nil {
		return
	}
	n, flagged := 0, 0
	for _, e := range all {
		if !e.listable() {
			continue
		}
		n++
		if e.ExpiresAt == nil {
			continue
		}
		who := e.Who()
		renew := fmt.Sprintf("create a new token, then: docker login -u %s --password-stdin %s", e.Username, e.Registry())
		at := e.ExpiresAt.Format(time.RFC3339)
		switch {
		case e.Expired(d.now):
			flagged++
			d.r.warn(name, fmt.Sprintf("%s expired %s (%s)", who, RelativeTime(*e.ExpiresAt, d.now), at),
				renew+"; or remove it: "+d.s.command("rm "+e.Registry()))
		case e.ExpiresAt.Sub(d.now) <= reminderWindow:
			flagged++
			d.r.warn(name, fmt.Sprintf("%s expires %s (%s)", who, RelativeTime(*e.ExpiresAt, d.now), at), renew)
		}
	}
	if flagged == 0 {
		d.r.ok(CheckTokens, fmt.Sprintf("%d stored, none expired or expiring within 7 days", n))
	}
}
