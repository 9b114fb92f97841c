//go:build linux

package keychaintest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestStartEachImplementation starts each Secret Service implementation,
// has a real libsecret client store an item through Env, and checks that
// Stop leaves no process behind.
func TestStartEachImplementation(t *testing.T) {
	for _, tc := range []struct {
		impl  string
		start func(dir string) (*SecretService, error)
		why   func() string
	}{
		{ImplGnomeKeyring, StartSecretService, Available},
		{ImplKeePassXC, func(dir string) (*SecretService, error) {
			return StartKeePassXCDir(dir, KeePassXCOptions{})
		}, KeePassXCAvailable},
		{ImplKWallet, func(dir string) (*SecretService, error) {
			return StartKWalletDir(dir, KWalletOptions{Unlocked: true})
		}, KWalletAvailable},
	} {
		t.Run(tc.impl, func(t *testing.T) {
			require(t, testing.Short(), tc.impl, tc.why())
			dir, err := os.MkdirTemp("", "dcp-ss-")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(dir)
			begin := time.Now()
			s, err := tc.start(dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s started in %v", tc.impl, time.Since(begin).Round(time.Millisecond))
			pids := s.PIDs()
			if s.Impl() != tc.impl || len(pids) != 2 {
				s.Stop()
				t.Fatalf("Impl = %q, PIDs = %v; want %q, the bus and the service", s.Impl(), pids, tc.impl)
			}
			if locked, err := s.Locked(); err != nil || locked {
				t.Errorf("after start: locked=%v err=%v, want unlocked", locked, err)
			}
			if _, err := exec.LookPath("secret-tool"); err == nil {
				// kwalletd5 sometimes answers libsecret's first call after
				// OpenSession with "Can't find session" for the session it
				// has just opened (seen once in CI, under load; its own
				// race, not the harness's): that one is tried again.
				for try := 1; ; try++ {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					cmd := exec.CommandContext(ctx, "secret-tool", "store", "--label=harness check", "service", "keychaintest")
					cmd.Env = append(s.Env(), "PATH="+os.Getenv("PATH"))
					cmd.Stdin = strings.NewReader("x")
					out, err := cmd.CombinedOutput()
					cancel()
					if err != nil && tc.impl == ImplKWallet && try < 3 && strings.Contains(string(out), "Can't find session") {
						t.Logf("secret-tool store, try %d: %s", try, bytes.TrimSpace(out))
						continue
					}
					if err != nil {
						t.Errorf("secret-tool store through Env(): %v: %s", err, out)
					}
					break
				}
			}
			if err := s.Err(); err != nil {
				t.Error(err)
			}
			if err := s.Stop(); err != nil {
				t.Fatal(err)
			}
			for _, pid := range pids {
				if alive(pid) {
					t.Errorf("pid %d still running after Stop", pid)
				}
			}
		})
	}
}

// TestKWalletPamOpenLocked: a wallet opened by pamOpen has a collection
// that says Locked until a client unlocks it, which needs no dialog.
func TestKWalletPamOpenLocked(t *testing.T) {
	s := StartKWallet(t, KWalletOptions{Short: testing.Short()})
	if locked, err := s.Locked(); err != nil || !locked {
		t.Fatalf("after pamOpen: locked=%v err=%v, want locked", locked, err)
	}
	if err := s.unlockNoPrompt(); err != nil {
		t.Fatal(err)
	}
	if locked, err := s.Locked(); err != nil || locked {
		t.Fatalf("after Unlock: locked=%v err=%v, want unlocked", locked, err)
	}
}
