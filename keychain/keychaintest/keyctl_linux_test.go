package keychaintest_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/docker-credential-pat/docker-credential-pat/keychain"
	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

// The keyctl row of the table gives each test a keyring of its own that
// the helper writes into and Stop removes, and never touches another.
func TestKeyctlInstance(t *testing.T) {
	kc := keychaintest.StartKeychain(t, "keyctl", testing.Short())
	var ring string
	for _, kv := range kc.Env() {
		if v, ok := strings.CutPrefix(kv, keychaintest.KeyctlRingEnv+"="); ok {
			ring = v
		}
	}
	if !strings.HasPrefix(ring, "docker-credential-pat-test-") {
		t.Fatalf("Env() = %q: no test keyring in %s", kc.Env(), keychaintest.KeyctlRingEnv)
	}
	// What the test main does with the variable, here in this process.
	keychain.UseKeyctlRing(ring)
	defer keychain.UseKeyctlRing(keychain.Service)
	b, err := keychain.NewKeyctl()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	data := keychaintest.RandomSecret(64)
	if err := b.Set(ctx, "https://ring.example", data); err != nil {
		t.Fatal(err)
	}
	if held, _ := procKeys(t, ring); !held {
		t.Fatalf("keyring %s not in /proc/keys, or empty, after a Set", ring)
	}
	got, err := b.Get(ctx, "https://ring.example")
	if err != nil {
		t.Fatal(err)
	}
	keychaintest.SameSecret(t, "get", got, data)

	if err := kc.Stop(); err != nil {
		t.Fatal(err)
	}
	// The kernel collects the unlinked keyring a moment later; until
	// then it is listed, but empty.
	if held, line := procKeys(t, ring); held {
		t.Errorf("keyring %s still holds keys after Stop: %s", ring, line)
	}
	if _, err := b.Get(ctx, "https://ring.example"); !errors.Is(err, keychain.ErrNotFound) {
		t.Errorf("get after Stop = %v, want not found", err)
	}
	if err := kc.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestRemoveKeyctlRingRefusesRealKeyring(t *testing.T) {
	for _, ring := range []string{keychain.Service, "docker-credential-pat-x", ""} {
		if err := keychaintest.RemoveKeyctlRing(ring); err == nil {
			t.Errorf("RemoveKeyctlRing(%q) = nil, want a refusal", ring)
		}
	}
}

// procKeys reports whether the keyring described ring is listed in
// /proc/keys with keys in it, and its line.
func procKeys(t *testing.T, ring string) (held bool, line string) {
	t.Helper()
	b, err := os.ReadFile("/proc/keys")
	if err != nil {
		t.Skip("no /proc/keys: ", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if _, after, ok := strings.Cut(line, " keyring   "+ring+": "); ok {
			return after != "empty", line
		}
	}
	return false, ""
}
