//go:build !linux

package keychaintest

import "runtime"

// RemoveKeyctlRing does nothing: the kernel keyring is Linux only.
func RemoveKeyctlRing(ring string) error { return checkRing(ring) }

func keyctlAvailable() string { return "the kernel keyring exists only on linux, not " + runtime.GOOS }
