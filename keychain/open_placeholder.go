package keychain

import "time"

// Open is a TEMPORARY placeholder until the go-keyring backend lands: it
// knows only the kernel keyring.
func Open(name string, timeout time.Duration) (Backend, string, error) {
	if name == "keyctl" || name == "auto" {
		b, err := NewKeyctl()
		return b, "using the kernel keyring", err
	}
	return nil, "", &Error{Backend: name, Op: "open", Kind: ErrUnavailable, Detail: "no backend built yet"}
}
