package credstore

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/credstoretest"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
)

// A fingerprint is keyed by a secret kept in the keychain: not the bare
// hash anyone can compute from a guess, the same in every process, and
// different in another keychain.
func TestFingerprintIsKeyed(t *testing.T) {
	f := newFixture(t)
	tok := credstoretest.GitHub("ghp_")
	f.add("ghcr.io", "me", tok)
	e, err := f.s.Lookup("ghcr.io")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.Fingerprint, keyedPrefix) || len(e.Fingerprint) != len(keyedPrefix)+12 ||
		e.Fingerprint == legacyFingerprint(token.NewSecret(tok)) || strings.Contains(e.Fingerprint, legacyFingerprint(token.NewSecret(tok))[len(legacyPrefix):]) {
		t.Fatalf("fingerprint %q is not keyed", e.Fingerprint)
	}
	if _, ok := f.kc.Raw(fingerprintKeyItem); !ok {
		t.Fatal("no fingerprint key in the keychain")
	}
	// Another process, the same keychain: the same fingerprint.
	f.add("quay.io", "me", tok)
	other := f.store(Caller{})
	if e2, err := other.Lookup("quay.io"); err != nil || e2.Fingerprint != e.Fingerprint {
		t.Fatalf("another process fingerprints %q, want %q (%v)", e2.Fingerprint, e.Fingerprint, err)
	}
	// Another keychain: another key, another fingerprint.
	g := newFixture(t)
	g.add("ghcr.io", "me", tok)
	if e3, _ := g.s.Lookup("ghcr.io"); e3.Fingerprint == e.Fingerprint {
		t.Fatal("two keychains give the same fingerprint: it is not keyed")
	}
	// The key item is not a registry: list never names it.
	if l, _ := f.s.List(); len(l) != 2 {
		t.Fatalf("list = %v", l)
	}
}

// An entry stored with a bare-hash fingerprint still matches its token:
// the doctor finds no difference, and storing the same token again keeps
// the entry and its use count, under the keyed fingerprint.
func TestLegacyFingerprintMatchesAndMoves(t *testing.T) {
	f := newFixture(t)
	tok := credstoretest.GitHub("ghp_")
	f.add("ghcr.io", "me", tok)
	if _, _, err := f.s.Get("ghcr.io"); err != nil {
		t.Fatal(err)
	}
	before, err := f.s.Lookup("ghcr.io")
	if err != nil || before.UseCount != 1 {
		t.Fatalf("%+v, %v", before, err)
	}
	legacy := legacyFingerprint(token.NewSecret(tok))
	for _, path := range []string{f.s.IndexPath(), f.s.usePath("ghcr.io")} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, bytes.ReplaceAll(data, []byte(before.Fingerprint), []byte(legacy)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := f.store(Caller{PID: 4242, Name: "docker"})
	if e, _ := old.Lookup("ghcr.io"); e.Fingerprint != legacy || e.UseCount != 1 {
		t.Fatalf("the edited entry: %+v", e)
	}
	a, err := old.CheckKeychain(old.Context(), nil)
	if err != nil || len(a.Differs) != 0 || a.Checked != 1 {
		t.Fatalf("audit of a legacy entry = %+v, %v", a, err)
	}
	f.clock.add(60e9)
	if err := old.Add(&credentials.Credentials{ServerURL: "ghcr.io", Username: "me", Secret: tok}); err != nil {
		t.Fatal(err)
	}
	after, err := old.Lookup("ghcr.io")
	if err != nil || after.Fingerprint != before.Fingerprint || !after.CreatedAt.Equal(before.CreatedAt) || after.UseCount != 1 {
		t.Fatalf("after storing the same token: %+v, %v; want fingerprint %s, created %v, 1 use", after, err, before.Fingerprint, before.CreatedAt)
	}
	// Another token is another token, legacy or not.
	if old.fingerprintMatches(f.kc, legacy, token.NewSecret(credstoretest.GitHub("ghp_"))) {
		t.Fatal("a legacy fingerprint matched another token")
	}
}
