package credstore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/credstoretest"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/dockerconfig"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
)

// TestMigrateIntoTheStore runs Migrate against the real Store and token
// policy, on an in-memory keychain.
func TestMigrateIntoTheStore(t *testing.T) {
	hub, ghcr := credstoretest.DockerHubPAT(), credstoretest.GitHub("ghp_")
	identity := credstoretest.JWT(map[string]any{"iss": "Azure Container Registry", "aud": "myregistry.azurecr.io",
		"grant_type": "refresh_token", "exp": time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Unix()})
	password := "correct horse battery staple"
	config := []byte(`{
	"auths": {
		"https://index.docker.io/v1/": {"auth": "` + credstoretest.BasicAuth("hubuser", hub) + `"},
		"ghcr.io": {"auth": "` + credstoretest.BasicAuth("octocat", ghcr) + `"},
		"registry.example.com": {"auth": "` + credstoretest.BasicAuth("alice", password) + `"},
		"myregistry.azurecr.io": {"auth": "` + credstoretest.BasicAuth("00000000-0000-0000-0000-000000000000", "") + `", "identitytoken": "` + identity + `"}
	},
	"currentContext": "default"
}`)

	t.Run("keychain fails midway", func(t *testing.T) {
		f := newFixture(t)
		dir := t.TempDir()
		writeDockerConfig(t, dir, string(config))
		f.kc.FailNext("set", &keychain.Error{Backend: "memory", Kind: keychain.ErrLocked, Hint: "unlock it"})
		if _, err := dockerconfig.Migrate(loadDockerConfig(t, dir), f.s, "pat"); err == nil {
			t.Fatal("Migrate succeeded with a locked keychain")
		}
		if got, _ := os.ReadFile(dir + "/" + dockerconfig.DockerConfigFile); !bytes.Equal(got, config) {
			t.Fatal("config.json changed")
		}
	})

	f := newFixture(t)
	dir := t.TempDir()
	writeDockerConfig(t, dir, string(config))
	res, err := dockerconfig.Migrate(loadDockerConfig(t, dir), f.s, "pat")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Moved, " ") != registryurl.HubKey+" ghcr.io myregistry.azurecr.io" {
		t.Fatalf("moved %v, kept %+v", res.Moved, res.Kept)
	}
	if len(res.Kept) != 1 || res.Kept[0].ServerURL != "registry.example.com" || !errors.Is(f.refusal(t, password), token.ErrPassword) {
		t.Fatalf("kept %+v", res.Kept)
	}
	t.Logf("kept: %+v", res.Kept[0])
	if want := "create an access token for registry.example.com and log in with it"; res.Kept[0].Hint != want {
		t.Errorf("kept hint %q, want the store's own: %q", res.Kept[0].Hint, want)
	}
	if strings.Contains(res.Kept[0].Reason+res.Kept[0].Hint, password) {
		t.Fatal("the kept entry quotes the password")
	}
	for url, want := range map[string][2]string{
		"docker.io": {"hubuser", hub}, "ghcr.io": {"octocat", ghcr}, "myregistry.azurecr.io": {"<token>", identity},
	} {
		user, secret, err := f.s.Get(url)
		if err != nil || user != want[0] || secret != want[1] {
			t.Errorf("get %s: user %q, right secret %v, %v", url, user, secret == want[1], err)
		}
	}
	data, _ := os.ReadFile(dir + "/" + dockerconfig.DockerConfigFile)
	for _, s := range []string{hub, ghcr, identity} {
		if bytes.Contains(data, []byte(s)) || bytes.Contains(data, []byte(credstoretest.BasicAuth("hubuser", hub))) {
			t.Fatal("a moved token is still in config.json")
		}
	}
	if !bytes.Contains(data, []byte(credstoretest.BasicAuth("alice", password))) || !bytes.Contains(data, []byte(`"credsStore": "pat"`)) {
		t.Fatalf("config.json after:\n%s", data)
	}
}

// refusal returns the store's refusal of secret, which must be one.
func (f *fixture) refusal(t *testing.T, secret string) error {
	t.Helper()
	err := f.s.Put("refusal.example.com", "someone", token.NewSecret(secret), nil)
	var r interface{ Refusal() }
	if !errors.As(err, &r) {
		t.Fatalf("the store did not refuse the secret: %v", err)
	}
	return err
}

func writeDockerConfig(t *testing.T, dir, config string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, dockerconfig.DockerConfigFile), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
}

func loadDockerConfig(t *testing.T, dir string) *dockerconfig.DockerConfig {
	t.Helper()
	cfg, err := dockerconfig.LoadDockerConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
