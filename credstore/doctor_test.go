package credstore

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/credstoretest"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/hint"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
)

// doctorOpts points the doctor at an empty docker config dir and a PATH
// that has only docker-credential-pat.
func doctorOpts(t *testing.T, repair bool) DoctorOptions {
	return DoctorOptions{
		Repair:          repair,
		DockerConfigDir: t.TempDir(),
		LookPath: func(file string) (string, error) {
			if file == HelperProgram {
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
	r := f.s.Doctor(doctorOpts(t, false))
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
			r := f.s.Doctor(doctorOpts(t, false))
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
	s, err := New(Options{StateDir: f.dir, Open: func(string) (keychain.Backend, string, error) {
		return nil, "no session bus", &keychain.Error{Backend: "secretservice", Op: "open", Kind: keychain.ErrUnavailable, Hint: "use --backend keyctl"}
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := only(t, s.Doctor(doctorOpts(t, false)), "backend")
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
	if _, err := f.s.Annotate("a.example.com", func(e *Entry) error { e.Description = "kept"; return nil }); err != nil {
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
	if c := only(t, f.s.Doctor(opts), "index"); c.Status != StatusFail || !strings.Contains(c.Detail, f.s.IndexPath()) {
		t.Fatalf("index check on a corrupt file = %+v", c)
	}
	// c is known only from config.json's auths, as docker writes it.
	if err := os.WriteFile(filepath.Join(opts.DockerConfigDir, "config.json"), []byte(`{"auths":{"https://c.example.com":{}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	opts.Repair = true
	r := f.s.Doctor(opts)
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

func TestKeysInText(t *testing.T) {
	text := []byte(`{"version":1,"entries":{"ghcr.io":{"serverURL":"https://ghcr.io","username":"a","scope":["repository:x/y:pull"],"createdAt":"2026-01-01T00:00:00Z","fingerprint":"sha256:0123456789ab"},"localhost:5000":{"kind":"personal access token","provider":"github","state":"storing"}, "https://index.docker.io/v1/": {`)
	got := keysInText(text)
	want := []string{"ghcr.io", "localhost:5000", registryurl.HubKey}
	if !slices.Equal(got, want) {
		t.Errorf("keysInText = %q, want %q", got, want)
	}
}

func TestReplaceRepositoryScope(t *testing.T) {
	got := replaceRepositoryScope([]string{"repository:team/app:pull,push,delete", "write:packages", "repository:team/base:pull"}, "team/app", "repository:team/app:pull")
	want := []string{"write:packages", "repository:team/base:pull", "repository:team/app:pull"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := replaceRepositoryScope([]string{"repository:team/app:pull"}, "team/app", ""); len(got) != 0 || got == nil {
		t.Errorf("nothing granted: got %#v, want an empty list", got)
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
	cfg := loadDockerConfig(t, dir)
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
	c := only(t, f.s.Doctor(opts), "backups")
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
	if c := only(t, f.s.Doctor(opts), "backups"); c.Status != StatusOK {
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
			if _, err := f.s.Annotate("ghcr.io", func(e *Entry) error {
				e.ExpiresAt = timePtr(f.clock.now().Add(-time.Hour))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		r := f.s.Doctor(doctorOpts(t, false))
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
