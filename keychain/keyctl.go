package keychain

// NewKeyctl returns the Linux kernel-keyring backend.
// TEMPORARY placeholder until the keyctl backend lands.
func NewKeyctl() (Backend, error) {
	return nil, &Error{Backend: "keyctl", Op: "open", Kind: ErrUnavailable, Detail: "not built yet"}
}
