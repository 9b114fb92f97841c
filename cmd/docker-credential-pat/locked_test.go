package main

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

func secretServiceHelper(t *testing.T, extraEnv ...string) (*helper, *keychaintest.SecretService) {
	ss := keychaintest.Start(t, testing.Short())
	h := newHelper(t, "secretservice", append(ss.Env(), extraEnv...)...)
	return h, ss
}

// A locked keyring: get answers docker's not-found with one stderr line
// naming the cause and the fix; store and erase fail saying it is locked.
// Nothing hangs.
func TestLockedKeyring(t *testing.T) {
	h, ss := secretServiceHelper(t, "DOCKER_CREDENTIAL_PAT_TIMEOUT=3s")
	tok := dockerHubPAT(t)
	if out, ok := h.store("docker.io", "alice", tok); !ok {
		t.Fatalf("store: %s", out)
	}
	if err := ss.Lock(); err != nil {
		t.Fatal(err)
	}
	out, errb, ok := h.run("docker.io", "get")
	t.Logf("get on a locked keyring, stderr:\n%s", errb)
	if ok || out != "credentials not found in native keychain\n" {
		t.Errorf("get on a locked keyring: ok=%v stdout %q", ok, out)
	}
	if !strings.Contains(errb, "locked") || !strings.Contains(errb, "hint: ") || strings.Count(errb, "\n") > 3 {
		t.Errorf("get on a locked keyring: stderr %q, want the cause and a hint", errb)
	}
	in := `{"ServerURL":"ghcr.io","Username":"bob","Secret":"` + dockerHubPAT(t) + `"}`
	out, errs, ok := h.run(in, "store")
	t.Logf("store on a locked keyring:\n%s%s", out, errs)
	if ok || !strings.Contains(out, "locked") || strings.Contains(out, "\n\n") {
		t.Errorf("store on a locked keyring: ok=%v stdout %q", ok, out)
	}
	out, _, ok = h.run("docker.io", "erase")
	if ok || !strings.Contains(out, "locked") {
		t.Errorf("erase on a locked keyring: ok=%v stdout %q", ok, out)
	}
	for _, o := range []string{out, errb} {
		if strings.Contains(o, tok) {
			t.Error("a secret was printed")
		}
	}
	// list still answers from the index, and names only what was stored.
	if l := h.list(); len(l) != 1 || l["docker.io"] != "alice" {
		t.Errorf("list = %v", l)
	}
}

// A Secret Service that stops answering (frozen with SIGSTOP): get gives
// up at the deadline and answers not-found; docker carries on.
func TestFrozenKeyringDoesNotHang(t *testing.T) {
	h, ss := secretServiceHelper(t, "DOCKER_CREDENTIAL_PAT_TIMEOUT=1s")
	if out, ok := h.store("docker.io", "alice", dockerHubPAT(t)); !ok {
		t.Fatalf("store: %s", out)
	}
	pids := ss.PIDs()
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	})
	start := time.Now()
	out, errb, ok := h.run("docker.io", "get")
	took := time.Since(start)
	if ok || out != "credentials not found in native keychain\n" {
		t.Errorf("get on a frozen keyring: ok=%v stdout %q stderr %q", ok, out, errb)
	}
	if !strings.Contains(errb, "did not answer in time") {
		t.Errorf("stderr %q does not say the keychain timed out", errb)
	}
	if took > 20*time.Second {
		t.Errorf("get took %v with a 1s deadline", took)
	}
}
