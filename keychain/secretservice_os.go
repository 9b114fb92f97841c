//go:build !darwin && !windows

package keychain

// On Linux and the BSDs the OS keychain is the Secret Service, through our
// own client (secretservice.go).
const (
	osName    = NameSecretService
	osLabel   = "the Secret Service"
	osMaxItem = 0 // no cap on an item
)

func newOS(opts Options) Backend { return newSecretService(opts) }
