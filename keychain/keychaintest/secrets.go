package keychaintest

import (
	"bytes"
	"crypto/rand"
	"fmt"
)

// RandomSecret returns n random bytes: a secret for a keychain test.
func RandomSecret(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// SameSecret fails the test when got differs from want, saying only their
// lengths: a secret never reaches the test's output.
func SameSecret(t TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatal(fmt.Sprintf("%s: got %d bytes, want %d bytes (contents differ)", what, len(got), len(want)))
	}
}
