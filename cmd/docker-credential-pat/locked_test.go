package main

import (
	"strconv"
	"strings"
	"sync"
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
		if err := freeze(pid); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, pid := range pids {
			_ = thaw(pid)
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

// A docker compose pull: many helper processes at once, each a new client
// of gnome-keyring. Every get answers, and the daemon is still running at
// the end (keychaintest fails the test if it died): gnome-keyring aborts
// when a new client's first message loses a race with its registration,
// which the helper's first message is chosen to avoid.
func TestParallelGetsLeaveTheKeyringRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("runs hundreds of processes")
	}
	h, ss := secretServiceHelper(t)
	tok := dockerHubPAT(t)
	if out, ok := h.store("docker.io", "alice", tok); !ok {
		t.Fatalf("store: %s", out)
	}
	const workers, each = 8, 60
	errs := make(chan string, workers*each)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, secret, ok := h.get("docker.io"); !ok || secret != tok {
					_, errb, _ := h.run("docker.io", "get")
					errs <- errb
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("a get failed; a get after it says: %s", e)
	}
	if err := ss.Err(); err != nil {
		t.Fatalf("the Secret Service died: %v", err)
	}
	out, _, _ := h.run("", "inspect", "docker.io", "--json")
	if want := `"useCount": ` + strconv.Itoa(workers*each); !strings.Contains(out, want) {
		t.Errorf("inspect after %d gets: want %s in %s", workers*each, want, out)
	}
}
