package main

import (
	"crypto/rand"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker-credential-helpers/client"
	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/docker-credential-pat/docker-credential-pat/keychain"
	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

// helperProgram returns docker's way of running the helper (the code the
// docker CLI vendors), with env added to the helper's environment. The
// binary is the one testscript.Main put on PATH, or the first on env's
// PATH when it has one (the keychain's own, such as Wine's).
func helperProgram(t *testing.T, env map[string]string) client.ProgramFunc {
	t.Helper()
	path, err := exec.LookPath(name)
	if dirs, ok := env["PATH"]; ok {
		path, err = lookPathIn(dirs, name)
	}
	if err != nil {
		t.Fatalf("%s is not on PATH: %v", name, err)
	}
	return client.NewShellProgramFuncWithEnv(path, &env)
}

// lookPathIn is exec.LookPath in the directories of the PATH value dirs.
func lookPathIn(dirs, file string) (string, error) {
	for _, dir := range filepath.SplitList(dirs) {
		if p, err := exec.LookPath(filepath.Join(dir, file)); err == nil {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

func randomHost(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "reg-" + hex.EncodeToString(b) + ".example.com"
}

// testClientCompat drives the helper as docker does, through
// docker-credential-helpers' client package.
func testClientCompat(t *testing.T, env map[string]string) {
	p := helperProgram(t, env)
	host := randomHost(t)
	tok := dockerHubPAT(t)
	hub := &credentials.Credentials{ServerURL: "https://index.docker.io/v1/", Username: "alice", Secret: tok}
	other := &credentials.Credentials{ServerURL: host + ":5000", Username: "<token>", Secret: "opaque-identity-token"}
	for _, c := range []*credentials.Credentials{hub, other} {
		if err := client.Store(p, c); err != nil {
			t.Fatalf("store %s: %v", c.ServerURL, err)
		}
	}
	t.Cleanup(func() {
		_ = client.Erase(p, hub.ServerURL)
		_ = client.Erase(p, other.ServerURL)
	})
	for url, want := range map[string]*credentials.Credentials{"docker.io": hub, "registry-1.docker.io": hub, host + ":5000": other, "https://" + host + ":5000/": other} {
		got, err := client.Get(p, url)
		if err != nil {
			t.Fatalf("get %s: %v", url, err)
		}
		if got.Username != want.Username || got.Secret != want.Secret || got.ServerURL != url {
			t.Errorf("get %s = %+v", url, got)
		}
	}
	if _, err := client.Get(p, host); !credentials.IsErrCredentialsNotFound(err) {
		t.Errorf("get without the port = %v, want not found", err)
	}
	list, err := client.List(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[hub.ServerURL] != "alice" || list[other.ServerURL] != "<token>" {
		t.Errorf("list = %v", list)
	}
	// docker logout tries the address as typed, then host, http://host, https://host.
	if err := client.Erase(p, other.ServerURL); err != nil {
		t.Fatal(err)
	}
	if err := client.Erase(p, "https://"+host+":5000"); err == nil || !strings.Contains(err.Error(), "credentials not found in native keychain") {
		t.Errorf("second erase = %v", err)
	}
	if _, err := client.Get(p, other.ServerURL); !credentials.IsErrCredentialsNotFound(err) {
		t.Errorf("get after erase = %v", err)
	}
	// A password is refused at the store step, never echoed.
	const password = "Tr0ub4dor&3-horse"
	err = client.Store(p, &credentials.Credentials{ServerURL: "docker.io", Username: "alice", Secret: password})
	if err == nil || !strings.Contains(err.Error(), "refusing to store a password for index.docker.io") || strings.Contains(err.Error(), password) {
		t.Errorf("store of a password = %v", err)
	}
	if got, _ := client.Get(p, "docker.io"); got == nil || got.Secret != tok {
		t.Errorf("a refused store replaced the stored token")
	}
}

// dockerHubPAT generates a token of Docker Hub's PAT shape.
func dockerHubPAT(t *testing.T) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	b := make([]byte, 27)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "dckr_pat_" + string(b)
}

// A 64 KiB token round-trips through the protocol on every backend here.
func testBigToken(t *testing.T, env map[string]string) {
	if env["DOCKER_CREDENTIAL_PAT_BACKEND"] == "keyctl" {
		q, err := keychain.ReadKeyctlQuota()
		if err != nil {
			t.Fatal(err)
		}
		keychaintest.RequireKeyQuota(t, q.Bytes, q.MaxBytes)
	}
	p := helperProgram(t, env)
	host := randomHost(t)
	big := strings.Repeat("0123456789abcdef", 64*1024/16)
	if err := client.Store(p, &credentials.Credentials{ServerURL: host, Username: "<token>", Secret: big}); err != nil {
		t.Fatalf("store of 64 KiB: %v", err)
	}
	t.Cleanup(func() { _ = client.Erase(p, host) })
	got, err := client.Get(p, host)
	if err != nil || got.Secret != big {
		t.Fatalf("64 KiB did not round-trip: %v", err)
	}
}

// TestClientCompat and TestBigToken run on every keychain of
// keychaintest.Keychains (under -short, those without a daemon).
func TestClientCompat(t *testing.T) { forEachKeychain(t, testClientCompat) }

func TestBigToken(t *testing.T) { forEachKeychain(t, testBigToken) }

// forEachKeychain runs test once per keychain, as a subtest named after it,
// with the helper's environment for a private instance of it.
func forEachKeychain(t *testing.T, test func(t *testing.T, env map[string]string)) {
	for _, k := range keychaintest.Keychains {
		t.Run(k.Name, func(t *testing.T) { test(t, keychainEnv(t, k.Name)) })
	}
}

// keychainEnv starts a private instance of the keychain called name for
// the test (see keychaintest.StartKeychain) and returns the helper's
// environment for it, with a state directory of its own.
func keychainEnv(t *testing.T, name string) map[string]string {
	kc := keychaintest.StartKeychain(t, name, testing.Short())
	env := map[string]string{"DOCKER_CREDENTIAL_PAT_STATE_DIR": t.TempDir()}
	for _, kv := range kc.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return env
}
