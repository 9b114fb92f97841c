package keychain

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

func TestFindSessionBus(t *testing.T) {
	sockets := map[string]bool{"/xdg/bus": true, "/run/user/1000/bus": true}
	isSock := func(p string) bool { return sockets[p] }
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	cases := []struct {
		name   string
		getenv func(string) string
		uid    int
		addr   string
		ok     bool
		whyHas string
	}{
		{"env wins", env(busEnv, "unix:path=/a", "XDG_RUNTIME_DIR", "/xdg"), 1000, "unix:path=/a", true, busEnv},
		{"xdg socket", env("XDG_RUNTIME_DIR", "/xdg"), 1000, "unix:path=/xdg/bus", true, "XDG_RUNTIME_DIR"},
		{"run user", env("XDG_RUNTIME_DIR", "/nobus"), 1000, "unix:path=/run/user/1000/bus", true, "/run/user/1000/bus"},
		{"autolaunch is no bus", env(busEnv, "autolaunch:"), 0, "", false, "would autolaunch"},
		{"autolaunch with xdg", env(busEnv, "autolaunch:", "XDG_RUNTIME_DIR", "/xdg"), 0, "unix:path=/xdg/bus", true, "XDG_RUNTIME_DIR"},
		{"nothing", env(), 0, "", false, busEnv + " unset"},
		{"relative xdg ignored", env("XDG_RUNTIME_DIR", "xdg"), 0, "", false, "/run/user/0/bus"},
	}
	for _, c := range cases {
		addr, why, ok := findSessionBus(c.getenv, isSock, c.uid)
		if ok != c.ok || addr != c.addr || !strings.Contains(why, c.whyHas) {
			t.Errorf("%s: (%q, %q, %v), want (%q, ~%q, %v)", c.name, addr, why, ok, c.addr, c.whyHas, c.ok)
		}
	}
}

func TestSessionBusFindsXDGSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "dcp-bus-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "bus")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t.Setenv(busEnv, "")
	os.Unsetenv(busEnv)
	t.Setenv("XDG_RUNTIME_DIR", dir)
	addr, source, err := sessionBus()
	if err != nil {
		t.Fatal(err)
	}
	if want := "unix:path=" + sock; addr != want || os.Getenv(busEnv) != want {
		t.Errorf("addr %q, env %q, want %q in both", addr, os.Getenv(busEnv), want)
	}
	if source != "$XDG_RUNTIME_DIR/bus" {
		t.Errorf("source %q", source)
	}

	// A plain file named bus is not a bus.
	os.Unsetenv(busEnv)
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "bus"), nil, 0o600)
	t.Setenv("XDG_RUNTIME_DIR", other)
	if _, err := os.Stat("/run/user/" + strconv.Itoa(os.Getuid()) + "/bus"); err == nil {
		t.Skip("this machine has /run/user/<uid>/bus")
	}
	if _, _, err := sessionBus(); !errors.Is(err, ErrUnavailable) {
		t.Errorf("a regular file at $XDG_RUNTIME_DIR/bus: %v, want ErrUnavailable", err)
	}
}

// TestNoBusNeverRunsDBusLaunch puts a dbus-launch on PATH that records being
// run, takes every session bus away, and calls each operation: the backend
// must answer ErrUnavailable without running it. As a control, go-keyring
// called directly in the same setting does run it: the trap works.
func TestNoBusNeverRunsDBusLaunch(t *testing.T) {
	if _, err := os.Stat("/run/user/" + strconv.Itoa(os.Getuid()) + "/bus"); err == nil {
		t.Skip("this machine has /run/user/<uid>/bus: there is always a session bus")
	}
	bin := t.TempDir()
	marker := filepath.Join(bin, "dbus-launch-ran")
	script := "#!/bin/sh\necho ran >> " + marker + "\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "dbus-launch"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv(busEnv, "")
	os.Unsetenv(busEnv)
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())

	b := WithTimeout(NewOS(), 5*time.Second)
	ctx := context.Background()
	_, getErr := b.Get(ctx, "k")
	errs := []error{getErr, b.Set(ctx, "k", []byte("v")), b.Delete(ctx, "k")}
	for _, err := range errs {
		if !errors.Is(err, ErrUnavailable) || HintOf(err) != hintNoBus {
			t.Errorf("no bus: %v (hint %q), want ErrUnavailable with the no-bus hint", err, HintOf(err))
		}
		if err != nil && !strings.Contains(err.Error(), "no D-Bus session bus") {
			t.Errorf("error %q does not say there is no bus", err)
		}
	}
	if ok, why := probeSecretService(time.Second); ok || !strings.Contains(why, "no D-Bus session bus") {
		t.Errorf("probe without a bus: %v, %q", ok, why)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("dbus-launch was run")
	}
	if os.Getenv(busEnv) != "" {
		t.Errorf("%s was set to %q", busEnv, os.Getenv(busEnv))
	}

	// Control: go-keyring alone falls into the trap.
	_, _ = keyring.Get(Service, "k")
	if _, err := os.Stat(marker); err != nil {
		t.Fatal("control failed: go-keyring did not run the fake dbus-launch, so the test above proves nothing")
	}
}
