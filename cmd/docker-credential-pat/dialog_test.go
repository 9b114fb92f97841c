package main

import (
	"strings"
	"testing"

	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

// KeePassXC with access confirmation on (its default): a get by another
// process than the one that stored needs a person to allow it. With no
// display, get answers not-found at once with the locked line and its
// hint; with one, it waits for the person up to
// DOCKER_CREDENTIAL_PAT_PROMPT_TIMEOUT, not the short deadline, and says
// once on stderr that a dialog of KeePassXC is waiting.
func TestKeychainDialog(t *testing.T) {
	ss := keychaintest.StartKeePassXC(t, keychaintest.KeePassXCOptions{ConfirmAccess: true, Short: testing.Short()})
	h := newHelper(t, "secretservice", append(ss.Env(), "DISPLAY=", "WAYLAND_DISPLAY=",
		"DOCKER_CREDENTIAL_PAT_TIMEOUT=1s", "DOCKER_CREDENTIAL_PAT_PROMPT_TIMEOUT=2s")...)
	tok := dockerHubPAT(t)
	if out, ok := h.store("docker.io", "alice", tok); !ok {
		t.Fatalf("store: %s", out)
	}
	const notFound = "credentials not found in native keychain\n"

	out, errb, ok := h.run("docker.io", "get")
	t.Logf("get, no display:\n%s", errb)
	if ok || out != notFound || !strings.Contains(errb, "keyring is locked") ||
		!strings.Contains(errb, "hint: ") || strings.Contains(errb, "did not answer") {
		t.Errorf("get with no display: ok=%v stdout %q stderr %q, want not-found and the locked line", ok, out, errb)
	}

	h.env = append(h.env, "DISPLAY=:99") // someone could see the dialog; nobody answers it
	out, errb, ok = h.run("docker.io", "get")
	t.Logf("get, display:\n%s", errb)
	if ok || out != notFound {
		t.Errorf("get with a display: ok=%v stdout %q, want not-found", ok, out)
	}
	if n := strings.Count(errb, "a dialog of KeePassXC is waiting for you"); n != 1 {
		t.Errorf("stderr says %d times that a dialog waits, want once:\n%s", n, errb)
	}
	if !strings.Contains(errb, "was not answered within 2s") || !strings.Contains(errb, "DOCKER_CREDENTIAL_PAT_PROMPT_TIMEOUT") {
		t.Errorf("stderr %q: want the prompt deadline and how to raise it", errb)
	}
	if strings.Contains(out+errb, tok) {
		t.Error("a secret was printed")
	}
	if err := ss.Err(); err != nil {
		t.Fatal(err)
	}
}
