package dockerconfig

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/credstoretest"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
	"github.com/docker/docker-credential-helpers/credentials"
)

// refusedError is how the fake store refuses a password, as the real
// policy does.
type refusedError struct{ serverURL string }

func (e refusedError) Error() string {
	return "refusing to store a password for " + e.serverURL + ": store an access token instead"
}
func (refusedError) Refusal() {}
func (refusedError) Hints() []string {
	return []string{"docker-credential-pat add REGISTRY --username NAME --token-stdin"}
}

// fakeStore accepts secrets that start with "tok_" and refuses the rest.
// failAt > 0 makes the failAt-th Add fail as a broken keychain would.
type fakeStore struct {
	added  []credentials.Credentials
	calls  int
	failAt int
	listed map[string]string // nil: the store cannot list
}

func (f *fakeStore) Add(c *credentials.Credentials) error {
	f.calls++
	if f.calls == f.failAt {
		return errors.New("keychain unreachable")
	}
	if !strings.HasPrefix(c.Secret, "tok_") {
		return refusedError{c.ServerURL}
	}
	f.added = append(f.added, *c)
	return nil
}

type listingStore struct{ *fakeStore }

func (l listingStore) List() (map[string]string, error) { return l.listed, nil }

func loadConfig(t *testing.T, dir string) *DockerConfig {
	t.Helper()
	c, err := LoadDockerConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func keptByURL(res MigrateResult) map[string]KeptEntry {
	m := map[string]KeptEntry{}
	for _, k := range res.Kept {
		m[k.ServerURL] = k
	}
	return m
}

func TestMigrateRealWorldConfig(t *testing.T) {
	dir, s, orig := realWorldConfig(t, 0o600)
	store := &fakeStore{}
	res, err := Migrate(loadConfig(t, dir), store, "pat")
	if err != nil {
		t.Fatal(err)
	}
	wantMoved := []string{registryurl.HubKey, "ghcr.io", "myregistry.azurecr.io"}
	if strings.Join(res.Moved, " ") != strings.Join(wantMoved, " ") {
		t.Fatalf("moved %v, want %v", res.Moved, wantMoved)
	}
	want := []credentials.Credentials{
		{ServerURL: registryurl.HubKey, Username: "hubuser", Secret: s.hub},
		{ServerURL: "ghcr.io", Username: "octocat", Secret: s.ghcr},
		{ServerURL: "myregistry.azurecr.io", Username: "<token>", Secret: s.acrIdentity},
	}
	if len(store.added) != len(want) {
		t.Fatalf("stored %d credentials, want %d", len(store.added), len(want))
	}
	for i := range want {
		if store.added[i] != want[i] {
			t.Errorf("stored #%d for %s as %q, want %s as %q", i, store.added[i].ServerURL,
				store.added[i].Username, want[i].ServerURL, want[i].Username)
		}
	}

	kept := keptByURL(res)
	if len(kept) != 3 {
		t.Fatalf("kept %+v, want the password, the credHelpers entry and the broken one", res.Kept)
	}
	if k := kept["registry.example.com:5000"]; !strings.Contains(k.Reason, "refusing to store a password") ||
		k.Username != "alice" || !strings.Contains(k.Hint, "docker-credential-pat add") {
		t.Errorf("password entry kept as %+v", k)
	}
	if k := kept["gcr.io"]; !strings.Contains(k.Reason, "docker-credential-gcloud") {
		t.Errorf("credHelpers entry kept as %+v", k)
	}
	if k := kept["broken.example.com"]; !strings.Contains(k.Reason, "base64") {
		t.Errorf("broken entry kept as %+v", k)
	}
	for _, k := range res.Kept {
		for _, sec := range s.all() {
			if strings.Contains(k.Reason+k.Hint, sec) {
				t.Fatalf("kept entry %s quotes a secret", k.ServerURL)
			}
		}
	}

	data, err := os.ReadFile(dir + "/" + DockerConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range []string{s.hub, s.ghcr, s.acrIdentity, credstoretest.BasicAuth("hubuser", s.hub), credstoretest.BasicAuth("octocat", s.ghcr)} {
		if bytes.Contains(data, []byte(sec)) {
			t.Fatal("a moved secret is still in config.json")
		}
	}
	a := authsOf(t, data)
	if len(a) != 7 {
		t.Fatalf("auths entries %d, want 7 (moved ones stay as {})", len(a))
	}
	for _, k := range wantMoved {
		if a[k]["auth"] != "" || a[k]["identitytoken"] != "" {
			t.Errorf("%s still has plaintext: %v", k, a[k])
		}
	}
	if a["myregistry.azurecr.io"]["auth"] != "" {
		t.Error("the identity-token entry's auth stayed")
	}
	if a["ghcr.io"]["email"] != "ci@example.com" {
		t.Error("a moved entry lost its other keys")
	}
	if a["registry.example.com:5000"]["auth"] != credstoretest.BasicAuth("alice", s.password) ||
		a["gcr.io"]["auth"] != credstoretest.BasicAuth("_json_key", s.gcr) || a["broken.example.com"]["auth"] != "not base64 !!" {
		t.Error("a kept entry changed")
	}
	before, after := topLevel(t, orig), topLevel(t, data)
	for k, v := range before {
		if k != "auths" && after[k] != v {
			t.Errorf("key %q changed", k)
		}
	}
	if after["credsStore"] != `"pat"` {
		t.Errorf("credsStore = %s", after["credsStore"])
	}
	if res.Backup == "" {
		t.Fatal("no backup reported")
	}
	if b, _ := os.ReadFile(res.Backup); !bytes.Equal(b, orig) {
		t.Fatal("backup is not the previous config.json")
	}

	// Again: nothing left to move, nothing written.
	again, err := Migrate(loadConfig(t, dir), &fakeStore{}, "pat")
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Moved) != 0 || len(again.Kept) != 3 || again.Backup != "" {
		t.Fatalf("second run: %+v", again)
	}
	if now, _ := os.ReadFile(dir + "/" + DockerConfigFile); !bytes.Equal(now, data) {
		t.Fatal("second run rewrote config.json")
	}
}

func TestMigrateInterruptedLosesNothing(t *testing.T) {
	for failAt := 1; failAt <= 3; failAt++ {
		dir, _, orig := realWorldConfig(t, 0o600)
		store := &fakeStore{failAt: failAt}
		_, err := Migrate(loadConfig(t, dir), store, "pat")
		if err == nil || !strings.Contains(err.Error(), "keychain unreachable") {
			t.Fatalf("failAt %d: err = %v", failAt, err)
		}
		if got, _ := os.ReadFile(dir + "/" + DockerConfigFile); !bytes.Equal(got, orig) {
			t.Fatalf("failAt %d: config.json changed though a store failed", failAt)
		}
		if b := backups(t, dir); len(b) != 0 {
			t.Fatalf("failAt %d: backup written: %v", failAt, b)
		}
		// Running again after the failure finishes the job.
		res, err := Migrate(loadConfig(t, dir), &fakeStore{}, "pat")
		if err != nil || len(res.Moved) != 3 {
			t.Fatalf("failAt %d: rerun moved %v, %v", failAt, res.Moved, err)
		}
	}
}

func TestMigrateSaveFailureKeepsTheOriginal(t *testing.T) {
	dir, _, _ := realWorldConfig(t, 0o600)
	cfg := loadConfig(t, dir)
	// Another program rewrites config.json after we read it: Save must
	// not write, so the secrets stay in the file as well as the store.
	theirs := []byte(`{"auths": {"ghcr.io": {"auth": "` + credstoretest.BasicAuth("x", "tok_y") + `"}}}`)
	writeConfig(t, dir, theirs, 0o600)
	store := &fakeStore{}
	_, err := Migrate(cfg, store, "pat")
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a ConfigError", err)
	}
	if got, _ := os.ReadFile(dir + "/" + DockerConfigFile); !bytes.Equal(got, theirs) {
		t.Fatal("config.json changed")
	}
	if len(store.added) != 3 {
		t.Fatalf("stored %d", len(store.added))
	}
}

func TestMigrateSameRegistryUnderTwoNames(t *testing.T) {
	tok, other := credstoretest.Opaque("tok_"), credstoretest.Opaque("tok_")
	dir := t.TempDir()
	writeConfig(t, dir, []byte(`{"auths": {
		"https://index.docker.io/v1/": {"auth": "`+credstoretest.BasicAuth("me", tok)+`"},
		"docker.io": {"auth": "`+credstoretest.BasicAuth("me", tok)+`"},
		"registry-1.docker.io:443": {"auth": "`+credstoretest.BasicAuth("me", tok)+`"},
		"registry-1.docker.io": {"auth": "`+credstoretest.BasicAuth("me", other)+`"}
	}}`), 0o600)
	store := &fakeStore{}
	res, err := Migrate(loadConfig(t, dir), store, "pat")
	if err != nil {
		t.Fatal(err)
	}
	if len(store.added) != 1 || len(res.Moved) != 3 || len(res.Kept) != 1 ||
		res.Kept[0].ServerURL != "registry-1.docker.io" {
		t.Fatalf("stored %d, result %+v", len(store.added), res)
	}
	data, _ := os.ReadFile(dir + "/" + DockerConfigFile)
	if bytes.Contains(data, []byte(credstoretest.BasicAuth("me", tok))) || !bytes.Contains(data, []byte(credstoretest.BasicAuth("me", other))) {
		t.Fatalf("config.json after:\n%s", data)
	}
}

func TestMigrateDoesNotOverwriteNewerStoredToken(t *testing.T) {
	tok := credstoretest.Opaque("tok_")
	dir := t.TempDir()
	writeConfig(t, dir, []byte(`{"credsStore": "pat", "auths": {
		"ghcr.io": {"auth": "`+credstoretest.BasicAuth("me", tok)+`"},
		"quay.io": {"auth": "`+credstoretest.BasicAuth("me", tok)+`"}
	}}`), 0o600)
	store := listingStore{&fakeStore{listed: map[string]string{"https://ghcr.io": "me"}}}
	res, err := Migrate(loadConfig(t, dir), store, "pat")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Moved) != 1 || res.Moved[0] != "quay.io" || len(res.Kept) != 1 || res.Kept[0].ServerURL != "ghcr.io" {
		t.Fatalf("result %+v", res)
	}
	if res.PreviousCredsStore != "" {
		t.Errorf("PreviousCredsStore = %q for an unchanged credsStore", res.PreviousCredsStore)
	}

	// Without a credsStore, config.json's copy is the one docker used: it
	// replaces what the store holds.
	writeConfig(t, dir, []byte(`{"credsStore": "desktop", "auths": {"ghcr.io": {"auth": "`+credstoretest.BasicAuth("me", tok)+`"}}}`), 0o600)
	res, err = Migrate(loadConfig(t, dir), store, "pat")
	if err != nil || len(res.Kept) != 1 || res.PreviousCredsStore != "desktop" {
		t.Fatalf("with another credsStore: %+v, %v", res, err)
	}
	writeConfig(t, dir, []byte(`{"auths": {"ghcr.io": {"auth": "`+credstoretest.BasicAuth("me", tok)+`"}}}`), 0o600)
	res, err = Migrate(loadConfig(t, dir), store, "pat")
	if err != nil || len(res.Moved) != 1 {
		t.Fatalf("without a credsStore: %+v, %v", res, err)
	}
}
