//go:build !linux

package keychain

import "runtime"

// NewKeyctl fails with ErrUnavailable: the kernel keyring is Linux only.
func NewKeyctl() (Backend, error) {
	return nil, &Error{Backend: "keyctl", Op: "open", Kind: ErrUnavailable,
		Detail: "the kernel keyring exists only on linux, not " + runtime.GOOS}
}

// ReadKeyctlQuota fails with ErrUnavailable: the kernel keyring is Linux only.
func ReadKeyctlQuota() (KeyctlQuota, error) {
	_, err := NewKeyctl()
	return KeyctlQuota{}, err
}
