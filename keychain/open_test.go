package keychain

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestOpenUnknownName(t *testing.T) {
	for _, name := range []string{"pass", "Auto", "secret-service", " keyctl"} {
		b, _, err := Open(name, Options{Timeout: time.Second})
		if b != nil || !errors.Is(err, ErrUnknownBackend) {
			t.Fatalf("Open(%q) = %v, %v; want ErrUnknownBackend", name, b, err)
		}
		for _, valid := range BackendNames {
			if !strings.Contains(err.Error(), valid) {
				t.Errorf("Open(%q): %q does not list %q", name, err, valid)
			}
		}
		if HintOf(err) == "" {
			t.Errorf("Open(%q): no hint", name)
		}
	}
}

func TestOpenOtherOSName(t *testing.T) {
	for _, name := range []string{NameSecretService, NameKeychain, NameWincred} {
		if name == osName {
			continue
		}
		b, _, err := Open(name, Options{Timeout: time.Second})
		if b != nil || !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), runtime.GOOS) {
			t.Errorf("Open(%q) on %s = %v, %v; want ErrUnavailable naming the OS", name, runtime.GOOS, b, err)
		}
	}
}

func TestOpenExplicitOS(t *testing.T) {
	b, reason, err := Open(osName, Options{Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tb, ok := b.(*timeoutBackend)
	if !ok || tb.d != 3*time.Second {
		t.Fatalf("Open(%q) = %T, want it under WithTimeout(3s)", osName, b)
	}
	if b.Name() != osName || !strings.Contains(reason, "explicitly") {
		t.Errorf("Name %q reason %q", b.Name(), reason)
	}
}

func TestOpenKeyctl(t *testing.T) {
	b, reason, err := Open(NameKeyctl, Options{Timeout: time.Second})
	if err != nil {
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Open(keyctl) = %v, want a backend or ErrUnavailable", err)
		}
		return
	}
	if b.Name() != NameKeyctl || !strings.Contains(reason, NameKeyctl) {
		t.Errorf("Name %q reason %q", b.Name(), reason)
	}
	if _, ok := b.(*timeoutBackend); !ok {
		t.Errorf("Open(keyctl) = %T, not under WithTimeout", b)
	}
}
