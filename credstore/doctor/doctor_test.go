package doctor

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/docker-credential-pat/docker-credential-pat/credstore"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/credstoretest"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/dockerconfig"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/hint"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychainmem"
)

// fixture is a store on a fresh state directory and an in-memory keychain,
// with a fixed clock.
type fixture struct {
	t   *testing.T
	dir string
	kc  *keychainmem.Memory
	now time.Time
	s   *credstore.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: filepath.Join(t.TempDir(), "state"), kc: keychainmem.NewMemory(),
		now: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	s, err := credstore.New(credstore.Options{
		StateDir: f.dir,
		Open:     func(string) (keychain.Backend, string, error) { return f.kc, "", nil },
		Now:      func() time.Time { return f.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.s = s
	return f
}

func (f *fixture) add(url, user, secret string) {
	f.t.Helper()
	if err := f.s.Add(&credentials.Credentials{ServerURL: url, Username: user, Secret: secret}); err != nil {
		f.t.Fatalf("store %s: %v", url, err)
	}
}

func writeDockerConfig(t *testing.T, dir, config string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, dockerconfig.DockerConfigFile), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
}

// doctorOpts points the doctor at an empty docker config dir and a PATH
// that has only docker-credential-pat.
func doctorOpts(t *testing.T, repair bool) Options {
	return Options{
		Repair:          repair,
		DockerConfigDir: t.TempDir(),
		LookPath: func(file string) (string, error) {
			if file == credstore.HelperProgram {
				return "/usr/local/bin/" + file, nil
			}
			return "", errors.New("not found")
		},
	}
}

// checks returns the checks named name.
func checks(r Report, name string) []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

func only(t *testing.T, r Report, name string) Check {
	t.Helper()
	cs := checks(r, name)
	if len(cs) != 1 {
		t.Fatalf("%d %q checks in %+v", len(cs), name, r.Checks)
	}
	return cs[0]
}

func TestDoctorBackendRoundTrip(t *testing.T) {
	f := newFixture(t)
	r := Run(f.s, doctorOpts(t, false))
	c := only(t, r, "backend")
	if c.Status != StatusOK || !strings.Contains(c.Detail, "a write, read and delete answered") {
		t.Errorf("backend check = %+v", c)
	}
	if n := f.kc.Count("set"); n != 1 {
		t.Errorf("%d writes, want the one probe write", n)
	}
	if keys := f.kc.Keys(); len(keys) != 0 {
		t.Errorf("the probe item was left behind: %q", keys)
	}
}

func TestDoctorBackendFailures(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"locked", &keychain.Error{Backend: "memory", Op: "set", Kind: keychain.ErrLocked, Hint: "unlock it: secret-tool"}, "the keyring is locked"},
		{"unavailable", &keychain.Error{Backend: "memory", Op: "set", Kind: keychain.ErrUnavailable, Hint: "start it: dbus"}, "unavailable"},
		{"timeout", &keychain.Error{Backend: "memory", Op: "set", Kind: keychain.ErrTimeout, Hint: "raise it"}, "no answer within"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.kc.FailNext("set", tc.err)
			r := Run(f.s, doctorOpts(t, false))
			c := only(t, r, "backend")
			if c.Status != StatusFail || !strings.Contains(c.Detail, tc.want) || c.Hint != hint.First(tc.err) {
				t.Errorf("backend check = %+v", c)
			}
			if r.OK() {
				t.Error("report OK with a failing backend")
			}
		})
	}
}

func TestDoctorBackendDoesNotOpen(t *testing.T) {
	f := newFixture(t)
	s, err := credstore.New(credstore.Options{StateDir: f.dir, Open: func(string) (keychain.Backend, string, error) {
		return nil, "no session bus", &keychain.Error{Backend: "secretservice", Op: "open", Kind: keychain.ErrUnavailable, Hint: "use --backend keyctl"}
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := only(t, Run(s, doctorOpts(t, false)), "backend")
	if c.Status != StatusFail || !strings.Contains(c.Detail, "no session bus") || c.Hint != "use --backend keyctl" {
		t.Errorf("backend check = %+v", c)
	}
}

// A corrupt index is rebuilt from the keychain: keys in the damaged text
// and in config.json's auths; a whole entry line keeps its metadata.
func TestDoctorRebuildsCorruptIndex(t *testing.T) {
	f := newFixture(t)
	f.add("a.example.com", "alice", credstoretest.GitHub("ghp_"))
	f.add("b.example.com", "bob", credstoretest.DockerHubPAT())
	f.add("c.example.com", "carol", credstoretest.GitHub("ghp_"))
	if _, err := f.s.Annotate("a.example.com", func(e *credstore.Entry) error { e.Description = "kept"; return nil }); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(f.s.IndexPath())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	cut := strings.Join(lines[:4], "") + `    "b.example.com": {"serverURL":` // a's line whole, b's cut, c's gone
	if err := os.WriteFile(f.s.IndexPath(), []byte(cut), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := doctorOpts(t, false)
	if c := only(t, Run(f.s, opts), "index"); c.Status != StatusFail || !strings.Contains(c.Detail, f.s.IndexPath()) {
		t.Fatalf("index check on a corrupt file = %+v", c)
	}
	// c is known only from config.json's auths, as docker writes it.
	if err := os.WriteFile(filepath.Join(opts.DockerConfigDir, "config.json"), []byte(`{"auths":{"https://c.example.com":{}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	opts.Repair = true
	r := Run(f.s, opts)
	c := only(t, r, "index")
	if c.Status != StatusOK || !strings.Contains(c.Repaired, "rebuilt 3 entries") {
		t.Fatalf("index check with --repair = %+v", c)
	}
	matches, _ := filepath.Glob(f.s.IndexPath() + ".corrupt-*")
	if len(matches) != 1 {
		t.Fatalf("corrupt file kept as %q", matches)
	}
	if kept, _ := os.ReadFile(matches[0]); string(kept) != cut {
		t.Error("the corrupt file was not kept as it was")
	}
	all, err := f.s.Entries()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range all {
		got = append(got, e.Key+" "+e.Username+" "+e.Provider+" "+e.Description)
	}
	want := []string{"a.example.com alice github kept", "b.example.com bob dockerhub ", "c.example.com carol github "}
	if !slices.Equal(got, want) {
		t.Errorf("rebuilt entries %q, want %q", got, want)
	}
	if c := only(t, r, "keychain"); c.Status != StatusOK {
		t.Errorf("keychain check after the rebuild = %+v", c)
	}
}

// setup --migrate keeps the config.json it changed as a backup, with the
// moved credentials still in it: doctor says so, with the command that
// removes it, and names no secret; once it is gone the check passes.
func TestDoctorFlagsPlaintextBackups(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	secrets := []string{credstoretest.Opaque("pw-"), credstoretest.GitHub("ghp_")}
	writeDockerConfig(t, dir, `{"auths": {"registry.example.com": {"auth": "`+credstoretest.BasicAuth("alice", secrets[0])+
		`"}, "ghcr.io": {"username": "octocat", "password": "`+secrets[1]+`"}}}`)
	cfg, err := dockerconfig.LoadDockerConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.SetCredsStore("pat")
	if err := cfg.Save(); err != nil {
		t.Fatal(err)
	}
	backup := cfg.Backup()
	if backup == "" {
		t.Fatal("migrate wrote no backup")
	}
	opts := doctorOpts(t, false)
	opts.DockerConfigDir = dir
	c := only(t, Run(f.s, opts), "backups")
	if c.Status != StatusWarn || !strings.Contains(c.Detail, backup) || !strings.Contains(c.Hint, "rm "+backup) {
		t.Errorf("backups check with a plaintext backup = %+v", c)
	}
	for _, sec := range secrets {
		if strings.Contains(c.Detail+c.Hint, sec) {
			t.Fatal("the backups check quotes a secret")
		}
	}
	if err := os.Remove(backup); err != nil {
		t.Fatal(err)
	}
	if c := only(t, Run(f.s, opts), "backups"); c.Status != StatusOK {
		t.Errorf("backups check after rm = %+v", c)
	}
}

// Each check reports under one name, one of Checks, whatever it finds:
// the tokens check under CheckTokens both when all is well and when a
// token has expired.
func TestDoctorCheckNames(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", credstoretest.GitHub("ghp_"))
	for _, expired := range []bool{false, true} {
		if expired {
			if _, err := f.s.Annotate("ghcr.io", func(e *credstore.Entry) error {
				at := f.now.Add(-time.Hour)
				e.ExpiresAt = &at
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		r := Run(f.s, doctorOpts(t, false))
		for _, c := range r.Checks {
			if !slices.Contains(Checks, c.Name) {
				t.Errorf("check %q (%s) is not one of Checks", c.Name, c.Detail)
			}
		}
		c := only(t, r, CheckTokens)
		if (c.Status == StatusWarn) != expired {
			t.Errorf("expired %v: tokens check %+v", expired, c)
		}
	}
}

// A keychain that cannot answer while the index is rebuilt (locked, or its
// daemon gone) must not leave an index without the entries it holds: the
// repair fails, naming the cause, and the damaged index stays in place.
func TestDoctorRebuildKeepsIndexWhenKeychainFails(t *testing.T) {
	f := newFixture(t)
	f.add("a.example.com", "alice", credstoretest.GitHub("ghp_"))
	cut := `{"version": 1, "entries": {` + "\n" + `    "a.example.com": {"serverURL":`
	if err := os.WriteFile(f.s.IndexPath(), []byte(cut), 0o600); err != nil {
		t.Fatal(err)
	}
	f.kc.FailAfter(0, &keychain.Error{Backend: "memory", Op: "get", Kind: keychain.ErrLocked})
	opts := doctorOpts(t, true)
	c := only(t, Run(f.s, opts), "index")
	if c.Status == StatusOK || !strings.Contains(c.Repaired, "keyring is locked") {
		t.Errorf("index check with a locked keychain = %+v, want a failure and no repair", c)
	}
	if got, _ := os.ReadFile(f.s.IndexPath()); string(got) != cut {
		t.Errorf("index after the failed rebuild = %q, want the damaged index back", got)
	}
	if matches, _ := filepath.Glob(f.s.IndexPath() + ".corrupt-*"); len(matches) != 0 {
		t.Errorf("damaged index moved aside as %q", matches)
	}
	f.kc.ClearFailures()
	c = only(t, Run(f.s, opts), "index")
	if c.Status != StatusOK || !strings.Contains(c.Repaired, "rebuilt 1 entry") {
		t.Errorf("index check once the keychain answers = %+v", c)
	}
}
