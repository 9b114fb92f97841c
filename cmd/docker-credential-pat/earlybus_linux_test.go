package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/docker-credential-pat/docker-credential-pat/credstore"
)

// docker's get on the Secret Service connects to the session bus at the
// process's start (package startup), before it has read its stdin, and
// keychain takes that connection over: one connection for the whole get.
// With the backend named, and with auto after it chose the Secret Service
// (the state directory's backend file, as the store wrote it).
func TestGetConnectsAtStart(t *testing.T) {
	for _, backend := range []string{"secretservice", "auto"} {
		t.Run(backend, func(t *testing.T) {
			h, ss := secretServiceHelper(t)
			h.env = append(h.env, "DOCKER_CREDENTIAL_PAT_BACKEND="+backend)
			if out, ok := h.store("docker.io", "alice", dockerHubPAT(t)); !ok {
				t.Fatalf("store: %s", out)
			}
			if backend == "auto" {
				dir := ""
				for _, kv := range h.env {
					if d, ok := strings.CutPrefix(kv, credstore.EnvStateDir+"="); ok {
						dir = d
					}
				}
				if b, err := os.ReadFile(filepath.Join(dir, credstore.BackendFile)); err != nil || strings.TrimSpace(string(b)) != "secretservice" {
					t.Fatalf("auto recorded %q (%v), want secretservice", b, err)
				}
			}

			watch, err := dbus.Connect(ss.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer watch.Close()
			if err := watch.AddMatchSignal(dbus.WithMatchSender("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged")); err != nil {
				t.Fatal(err)
			}
			signals := make(chan *dbus.Signal, 64)
			watch.Signal(signals)
			// next is the next connection that came (came) or went.
			next := func(what string) (name string, came bool) {
				t.Helper()
				timeout := time.After(10 * time.Second)
				for {
					select {
					case s := <-signals:
						var old, new string
						if err := dbus.Store(s.Body, &name, &old, &new); err != nil || !strings.HasPrefix(name, ":") {
							continue
						}
						return name, old == ""
					case <-timeout:
						t.Fatalf("waiting for %s: no connection came or went on the bus in 10 s", what)
					}
				}
			}

			stdin, feed, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer feed.Close()
			c := h.cmd("", "get")
			c.Stdin = stdin
			var out bytes.Buffer
			c.Stdout = &out
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			stdin.Close()
			defer c.Process.Kill()
			// Nothing written to its stdin yet: the get does not know the
			// registry, and has connected all the same.
			early, came := next("the get's connection")
			if !came {
				t.Fatalf("%s went before any connection came", early)
			}
			var pid uint32
			if err := watch.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, early).Store(&pid); err != nil || int(pid) != c.Process.Pid {
				t.Fatalf("the connection that came is process %d's (%v), not the get's (%d)", pid, err, c.Process.Pid)
			}
			if _, err := feed.WriteString("docker.io"); err != nil {
				t.Fatal(err)
			}
			feed.Close()
			if err := c.Wait(); err != nil {
				t.Fatalf("get: %v, stdout %q", err, out.String())
			}
			if !strings.Contains(out.String(), `"Username":"alice"`) {
				t.Errorf("get printed %q", out.String())
			}
			// The bus says who came before it says the early connection
			// went, at the process's exit: any second connection of the
			// get's shows up before then.
			for {
				name, came := next("the get's connection to go")
				if came {
					t.Errorf("the get made a second connection (%s): the one made at start was not taken over", name)
				} else if name == early {
					break
				}
			}
		})
	}
}
