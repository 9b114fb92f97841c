package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/docker-credential-pat/docker-credential-pat/keychain"
	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

// TestMain makes the test binary double as docker-credential-pat: testscript
// puts it on PATH under that name for scripts and for the client tests.
func TestMain(m *testing.M) {
	testscript.Main(cleanupAfter{m}, map[string]func(){
		name: func() {
			// A test's own kernel keyring, never the user's real one.
			if ring := os.Getenv(keychaintest.KeyctlRingEnv); ring != "" {
				keychain.UseKeyctlRing(ring)
			}
			os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// cleanupAfter runs the tests, then removes what the keychain harness kept
// for them all (the Windows build of the helper that Wine runs).
type cleanupAfter struct{ m *testing.M }

func (c cleanupAfter) Run() int {
	defer keychaintest.CleanupWine()
	return c.m.Run()
}
