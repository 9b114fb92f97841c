package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

// helper runs the helper binary with an environment of its own.
type helper struct {
	t   *testing.T
	bin string
	env []string
}

func newHelper(t *testing.T, backend string, extraEnv ...string) *helper {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "DOCKER_CREDENTIAL_PAT_STATE_DIR="+t.TempDir(), "DOCKER_CREDENTIAL_PAT_BACKEND="+backend)
	if backend == "keyctl" { // a kernel keyring of the test's own, never the user's
		env = append(env, keychaintest.StartKeychain(t, "keyctl", testing.Short()).Env()...)
	}
	return &helper{t: t, bin: bin, env: append(env, extraEnv...)}
}

func (h *helper) cmd(stdin string, args ...string) *exec.Cmd {
	c := exec.Command(h.bin, args...)
	c.Env = h.env
	c.Stdin = strings.NewReader(stdin)
	return c
}

// run runs one action and returns stdout, stderr and whether it exited 0.
func (h *helper) run(stdin string, args ...string) (string, string, bool) {
	c := h.cmd(stdin, args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	return out.String(), errb.String(), err == nil
}

func (h *helper) store(url, user, secret string) (string, bool) {
	in, _ := json.Marshal(map[string]string{"ServerURL": url, "Username": user, "Secret": secret})
	out, _, ok := h.run(string(in), "store")
	return out, ok
}

func (h *helper) get(url string) (user, secret string, ok bool) {
	out, _, ok := h.run(url, "get")
	if !ok {
		return "", "", false
	}
	var c struct{ Username, Secret string }
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		h.t.Fatalf("get %s printed %q", url, out)
	}
	return c.Username, c.Secret, true
}

func (h *helper) list() map[string]string {
	out, errb, ok := h.run("unused", "list")
	if !ok {
		h.t.Fatalf("list failed: %s %s", out, errb)
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		h.t.Fatalf("list printed %q", out)
	}
	return m
}

// Dozens of processes storing, getting and erasing at once: no error, no
// lost use, no duplicate entry.
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs dozens of processes")
	}
	h := newHelper(t, "keyctl")
	shared := randomHost(t)
	if out, ok := h.store(shared, "alice", dockerHubPAT(t)); !ok {
		t.Fatalf("store: %s", out)
	}
	var own []string
	for i := 0; i < 10; i++ {
		own = append(own, randomHost(t))
	}
	t.Cleanup(func() {
		for _, u := range append(own, shared) {
			h.run(u, "erase")
		}
	})
	const getters = 24
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for i := 0; i < getters; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, ok := h.get(shared); !ok {
				errs <- "get of the shared entry failed"
			}
		}()
	}
	for i, u := range own {
		wg.Add(1)
		go func(i int, u string) {
			defer wg.Done()
			for j := 0; j < 3; j++ { // store, replace, replace: one entry
				if out, ok := h.store(u, fmt.Sprintf("user%d", j), dockerHubPAT(t)); !ok {
					errs <- "store: " + out
				}
			}
			if i%2 == 0 {
				if out, _, ok := h.run(u, "erase"); !ok {
					errs <- "erase: " + out
				}
			}
		}(i, u)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	out, errb, ok := h.run("", "inspect", shared, "--json")
	if ok {
		var e struct{ UseCount int }
		if err := json.Unmarshal([]byte(out), &e); err != nil || e.UseCount != getters {
			t.Errorf("useCount = %d after %d concurrent gets (%v)", e.UseCount, getters, err)
		}
	} else {
		t.Logf("inspect not available yet: %s", errb)
	}
	list := h.list()
	if len(list) != 1+len(own)/2 {
		t.Errorf("list has %d entries, want %d: %v", len(list), 1+len(own)/2, list)
	}
	for i, u := range own {
		_, _, ok := h.get(u)
		if want := i%2 == 1; ok != want || (list[u] != "") != want {
			t.Errorf("%s: get ok=%v listed=%q, want present=%v", u, ok, list[u], want)
		}
	}
}

// A process killed with SIGKILL at any moment: afterwards list names only
// what get returns, and a store that reported success is never lost.
func TestKilledAtAnyMoment(t *testing.T) {
	if testing.Short() {
		t.Skip("kills many processes")
	}
	h := newHelper(t, "keyctl")
	urls := []string{randomHost(t), randomHost(t), randomHost(t)}
	t.Cleanup(func() {
		for _, u := range urls {
			h.run(u, "erase")
		}
	})
	confirmed := map[string]string{} // url -> last secret whose store exited 0
	maybe := map[string]map[string]bool{}
	// The moments differ from run to run; a failure can be replayed with
	// the seed it logs (TEST_KILL_SEED=N).
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("TEST_KILL_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("TEST_KILL_SEED=%q: %v", v, err)
		}
		seed = n
	}
	t.Logf("seed %d (replay with TEST_KILL_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(1, seed))
	kills := 0
	for i := 0; i < 60; i++ {
		u := urls[rng.IntN(len(urls))]
		tok := dockerHubPAT(t)
		erase := rng.IntN(4) == 0
		var c *exec.Cmd
		if erase {
			c = h.cmd(u, "erase")
		} else {
			in, _ := json.Marshal(map[string]string{"ServerURL": u, "Username": "u", "Secret": tok})
			c = h.cmd(string(in), "store")
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(30000)) * time.Microsecond)
		_ = c.Process.Signal(syscall.SIGKILL)
		err := c.Wait()
		killed := err != nil && strings.Contains(err.Error(), "killed")
		if killed {
			kills++
		}
		if maybe[u] == nil {
			maybe[u] = map[string]bool{}
		}
		switch {
		case erase && err == nil:
			delete(confirmed, u)
			maybe[u] = map[string]bool{}
		case erase:
			maybe[u][""] = true // the erase may or may not have happened
		case err == nil:
			confirmed[u] = tok
			maybe[u] = map[string]bool{}
		default:
			maybe[u][tok] = true // the store may or may not have happened
		}
		// list never names what get cannot return.
		for lu := range h.list() {
			if _, _, ok := h.get(lu); !ok {
				t.Fatalf("iteration %d: list names %s but get fails", i, lu)
			}
		}
		for _, cu := range urls {
			_, s, ok := h.get(cu)
			want, had := confirmed[cu]
			switch {
			case ok && (s == want || maybe[cu][s]):
			case !ok && (!had || maybe[cu][""]):
			default:
				t.Fatalf("iteration %d: %s: get ok=%v; confirmed store had=%v (kills so far %d)", i, cu, ok, had, kills)
			}
		}
	}
	if kills == 0 {
		t.Fatal("no process was killed mid-way; the test proved nothing")
	}
	t.Logf("%d of 60 processes killed mid-way", kills)
}
