package main

import (
	"strings"
	"testing"

	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

// A locked Secret Service keyring, for real: the doctor's keychain probe
// fails with the unlock hint and the doctor exits 1.
func TestDoctorLockedSecretService(t *testing.T) {
	ss := keychaintest.Start(t, testing.Short())
	h := newHelper(t, "secretservice", append(ss.Env(), "DOCKER_CONFIG="+t.TempDir(), "DOCKER_CREDENTIAL_PAT_TIMEOUT=2s")...)
	out, _, _ := h.run("", "doctor")
	if !strings.Contains(out, "\nok       backend ") {
		t.Fatalf("doctor does not find the secretservice backend answering before the lock:\n%s", out)
	}
	// Through the harness, whose connections greet gnome-keyring first: a
	// bare dbus-send whose first message is Lock can abort the daemon.
	if err := ss.Lock(); err != nil {
		t.Fatalf("locking the keyring: %v", err)
	}
	out, errb, ok := h.run("", "doctor")
	if ok {
		t.Fatalf("doctor exited 0 with the keyring locked:\n%s", out)
	}
	if !strings.Contains(out, "fail     backend ") || !strings.Contains(out, "the keyring is locked") ||
		!strings.Contains(out, "hint: ") || !strings.Contains(out, "unlock") {
		t.Errorf("doctor with a locked keyring:\n%s%s", out, errb)
	}
}
