//go:build linux

package main

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

// A process that holds the index lock (here a shell that took it with
// flock(1) and became sleep) delays a get by no more than
// DOCKER_CREDENTIAL_PAT_TIMEOUT, not a fixed wait: the get serves the
// token and says why its use went unrecorded.
func TestGetWithIndexLockHeld(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		keychaintest.Skip(t, "index lock tests", "flock not installed", keychaintest.Apt("util-linux"))
	}
	state := t.TempDir()
	h := newHelper(t, "keyctl", "DOCKER_CREDENTIAL_PAT_STATE_DIR="+state, "DOCKER_CREDENTIAL_PAT_TIMEOUT=1s")
	host := randomHost(t)
	pat := dockerHubPAT(t)
	if out, ok := h.store(host, "alice", pat); !ok {
		t.Fatalf("store: %s", out)
	}
	t.Cleanup(func() { h.run(host, "erase") })

	// One process: the shell holds the lock on fd 9 and execs sleep.
	holder := exec.Command("sh", "-c", `exec 9>"$1" && flock 9 && echo held && exec sleep 120`, "sh", filepath.Join(state, "index.lock"))
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(holder.Process.Pid, syscall.SIGKILL)
		_ = holder.Wait()
	})
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "held\n" {
		t.Fatalf("the lock holder said %q, %v", line, err)
	}

	stdout, stderr, ok := h.run(host, "get")
	if !ok || !strings.Contains(stdout, pat) {
		t.Fatalf("get with the lock held: ok=%v stderr=%s", ok, stderr)
	}
	_, after, found := strings.Cut(stderr, "index.lock for more than ")
	if !found {
		t.Fatalf("get did not say why the use went unrecorded: %s", stderr)
	}
	waited, err := time.ParseDuration(strings.Fields(after)[0])
	if err != nil || waited > time.Second {
		t.Fatalf("get waited %q for the lock, past DOCKER_CREDENTIAL_PAT_TIMEOUT=1s: %s", strings.Fields(after)[0], stderr)
	}
}
