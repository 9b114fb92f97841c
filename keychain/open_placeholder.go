package keychain

import "time"

// Open is a TEMPORARY placeholder until the backends land.
func Open(name string, timeout time.Duration) (Backend, string, error) {
	return nil, "", &Error{Backend: name, Op: "open", Kind: ErrUnavailable, Detail: "no backend built yet"}
}
