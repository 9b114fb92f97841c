//go:build linux

package keychaintest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/credstoretest"
)

// TestWine runs the Windows build of the helper under Wine, against Wine's
// Credential Manager, in a private prefix: the protocol round trip, a token
// long enough to need chunks, then Stop leaves no Wine process behind.
func TestWine(t *testing.T) {
	require(t, testing.Short(), "Wine", WineAvailable())
	dir, err := os.MkdirTemp("", "dcp-wine-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	begin := time.Now()
	w, err := StartWine(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	t.Logf("prefix ready in %v", time.Since(begin).Round(time.Millisecond))
	exe, err := WindowsHelper()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(CleanupWine)
	wrapper, err := w.WriteWrapper(dir, "docker-credential-pat", exe)
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	run := func(stdin string, args ...string) (string, bool, time.Duration) {
		t.Helper()
		cmd := exec.Command(wrapper, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "DOCKER_CREDENTIAL_PAT_STATE_DIR=" + state}
		cmd.Stdin = strings.NewReader(stdin)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		start := time.Now()
		out, err := cmd.Output()
		took := time.Since(start)
		if stderr.Len() > 0 {
			t.Logf("%s: stderr: %s", args[0], stderr.String())
		}
		if strings.Contains(stderr.String(), "could not record") {
			t.Errorf("%s: %s", args[0], stderr.String())
		}
		return string(out), err == nil, took
	}

	if out, ok, took := run("", "version"); !ok || !strings.HasPrefix(out, "docker-credential-pat ") {
		t.Fatalf("version: ok=%v %q", ok, out)
	} else {
		t.Logf("first run in the prefix (Wine starts its services): %v", took.Round(time.Millisecond))
	}
	for _, tok := range []string{credstoretest.DockerHubPAT(), credstoretest.JWT(map[string]any{"pad": strings.Repeat("x", 10000)})} {
		in, _ := json.Marshal(map[string]string{"ServerURL": "wine.example.com", "Username": "alice", "Secret": tok})
		_, ok, storeTook := run(string(in), "store")
		if !ok {
			t.Fatalf("store of a %d-byte token failed", len(tok))
		}
		out, ok, getTook := run("wine.example.com", "get")
		var got struct{ Username, Secret string }
		if err := json.Unmarshal([]byte(out), &got); !ok || err != nil || got.Username != "alice" || got.Secret != tok {
			t.Fatalf("get after storing a %d-byte token: ok=%v err=%v, username %q, secret matches: %v", len(tok), ok, err, got.Username, got.Secret == tok)
		}
		t.Logf("%d-byte token under Wine: store %v, get %v", len(tok), storeTook.Round(time.Millisecond), getTook.Round(time.Millisecond))
	}
	// Figures for the notes (not asserted): the median of a few runs of
	// each, the wrapper script (sh, awk) included.
	in, _ := json.Marshal(map[string]string{"ServerURL": "wine.example.com", "Username": "alice", "Secret": credstoretest.DockerHubPAT()})
	for _, c := range []struct{ stdin, action string }{{"", "version"}, {string(in), "store"}, {"wine.example.com", "get"}} {
		var took []time.Duration
		for range 9 {
			if _, ok, d := run(c.stdin, c.action); ok {
				took = append(took, d)
			}
		}
		if len(took) > 0 {
			slices.Sort(took)
			t.Logf("%s under Wine: median %v of %d (min %v)", c.action, took[len(took)/2].Round(time.Millisecond), len(took), took[0].Round(time.Millisecond))
		}
	}
	// Gets in parallel, as a docker compose pull makes them: each counts
	// its use. Windows refuses to replace a file another process has open
	// unless that one shares it for deletion (the use record, the index).
	before := useCount(t, run)
	var wg sync.WaitGroup
	const parallel = 8
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok, _ := run("wine.example.com", "get"); !ok {
				t.Error("a get in parallel failed")
			}
		}()
	}
	wg.Wait()
	if after := useCount(t, run); after != before+parallel {
		t.Errorf("useCount went from %d to %d after %d gets in parallel", before, after, parallel)
	}
	if out, ok, _ := run("", "list"); !ok || out != `{"https://wine.example.com":"alice"}`+"\n" && out != `{"wine.example.com":"alice"}`+"\n" {
		t.Errorf("list: ok=%v %q", ok, out)
	}
	if _, ok, _ := run("wine.example.com", "erase"); !ok {
		t.Error("erase failed")
	}
	if out, ok, _ := run("wine.example.com", "get"); ok || out != "credentials not found in native keychain\n" {
		t.Errorf("get after erase: ok=%v %q", ok, out)
	}

	pids := w.PIDs()
	if len(pids) < 2 {
		t.Errorf("PIDs = %v, want the wineserver and the services Wine started", pids)
	}
	if err := w.Err(); err != nil {
		t.Error(err)
	}
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d still running after Stop", pid)
		}
	}
}

// useCount is the useCount inspect --json gives for wine.example.com.
func useCount(t *testing.T, run func(string, ...string) (string, bool, time.Duration)) int {
	t.Helper()
	out, ok, _ := run("", "inspect", "wine.example.com", "--json")
	var e struct{ UseCount *int }
	if err := json.Unmarshal([]byte(out), &e); !ok || err != nil || e.UseCount == nil {
		t.Fatalf("inspect --json: ok=%v err=%v: %s", ok, err, out)
	}
	return *e.UseCount
}
