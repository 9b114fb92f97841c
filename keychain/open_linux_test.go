package keychain

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
	"github.com/godbus/dbus/v5"
)

func TestOpenAutoNoBus(t *testing.T) {
	t.Setenv(busEnv, "")
	os.Unsetenv(busEnv)
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	if isSocket("/run/user/" + strconv.Itoa(os.Getuid()) + "/bus") {
		t.Skip("this machine has /run/user/<uid>/bus")
	}
	b, reason, err := Open("auto", Options{Timeout: time.Second})
	if !strings.Contains(reason, "no D-Bus session bus ("+busEnv+" unset") || !strings.Contains(reason, "kernel keyring") {
		t.Errorf("reason %q does not say there is no bus and which backend", reason)
	}
	if strings.Contains(reason, "\n") {
		t.Errorf("reason is not one line: %q", reason)
	}
	if err != nil {
		// The kernel keyring backend may be missing here (placeholder, or
		// a kernel without keys): then Open says so.
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Open(auto) = %v", err)
		}
		return
	}
	if b.Name() != NameKeyctl {
		t.Errorf("Open(auto) without a bus chose %q, want keyctl", b.Name())
	}
}

func TestOpenAutoSecretService(t *testing.T) {
	useSecretService(t)
	b, reason, err := Open("auto", Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if b.Name() != NameSecretService || !strings.Contains(reason, "org.freedesktop.secrets is running") {
		t.Fatalf("Open(auto) = %q, %q; want secretservice because it runs", b.Name(), reason)
	}
	if _, ok := b.(*timeoutBackend); !ok {
		t.Errorf("Open(auto) = %T, not under WithTimeout", b)
	}
	roundTrip(t, b)
}

func TestOpenAutoBusWithoutSecretService(t *testing.T) {
	keychaintest.Require(t, testing.Short())
	for _, activatable := range []bool{false, true} {
		dir, err := os.MkdirTemp("", "dcp-ss-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		services := ""
		if activatable {
			services = filepath.Join(dir, "services")
			os.Mkdir(services, 0o700)
			// Listed, never started: the probe does not ask for the name.
			svc := "[D-BUS Service]\nName=org.freedesktop.secrets\nExec=/bin/false\n"
			if err := os.WriteFile(filepath.Join(services, "org.freedesktop.secrets.service"), []byte(svc), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		bus, err := keychaintest.StartBus(dir, services)
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv(busEnv, "")
		restore := bus.Setenv()
		b, reason, err := Open("auto", Options{Timeout: time.Second})
		restore()
		bus.Stop()
		if activatable {
			if err != nil || b.Name() != NameSecretService || !strings.Contains(reason, "can be started") {
				t.Errorf("activatable: Open(auto) = %v, %q, %v; want secretservice", b, reason, err)
			}
			continue
		}
		if !strings.Contains(reason, "no Secret Service") || !strings.Contains(reason, "kernel keyring") {
			t.Errorf("not activatable: reason %q", reason)
		}
		if err == nil && b.Name() != NameKeyctl {
			t.Errorf("not activatable: chose %q, want keyctl", b.Name())
		}
	}
}

// BenchmarkOpenAuto is Open("auto") as every `get` runs it: with a running
// Secret Service (godbus's shared connection already made, as after the
// first call in a process), and with no bus at all.
func BenchmarkOpenAuto(b *testing.B) {
	b.Run("secretservice", func(b *testing.B) {
		s := keychaintest.Start(b, false)
		b.Setenv(busEnv, "")
		b.Cleanup(s.Setenv())
		for b.Loop() {
			kb, _, err := Open("auto", Options{Timeout: time.Second})
			if err != nil || kb.Name() != NameSecretService {
				b.Fatal(err)
			}
		}
	})
	b.Run("nobus", func(b *testing.B) {
		b.Setenv(busEnv, "")
		os.Unsetenv(busEnv)
		b.Setenv("XDG_RUNTIME_DIR", b.TempDir())
		for b.Loop() {
			Open("auto", Options{Timeout: time.Second})
		}
	})
}

// BenchmarkProbeColdConnection is what Open("auto") costs the first time in
// a process (each `docker-credential-pat get` is a new process): connect,
// authenticate, Hello, NameHasOwner, on a fresh connection each time.
func BenchmarkProbeColdConnection(b *testing.B) {
	s := keychaintest.Start(b, false)
	ctx := context.Background()
	for b.Loop() {
		conn, err := dbus.Dial(s.Addr())
		if err == nil {
			err = conn.Auth(nil)
		}
		if err == nil {
			err = conn.Hello()
		}
		if err != nil {
			b.Fatal(err)
		}
		if ok, why := secretsOnBus(ctx, conn); !ok {
			b.Fatal(why)
		}
		conn.Close()
	}
}

// roundTrip checks that b stores and returns data.
func roundTrip(t *testing.T, b Backend) {
	t.Helper()
	ctx := context.Background()
	data := []byte(testToken(t))
	if err := b.Set(ctx, "open.example", data); err != nil {
		t.Fatal(err)
	}
	got, err := b.Get(ctx, "open.example")
	if err != nil || string(got) != string(data) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if err := b.Delete(ctx, "open.example"); err != nil {
		t.Fatal(err)
	}
}
