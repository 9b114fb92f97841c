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
	testscript.Main(m, map[string]func(){
		name: func() {
			// A test's own kernel keyring, never the user's real one.
			if ring := os.Getenv(keychaintest.KeyctlRingEnv); ring != "" {
				keychain.UseKeyctlRing(ring)
			}
			os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}
