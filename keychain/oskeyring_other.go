//go:build !linux && !darwin && !windows

package keychain

import "context"

const (
	osName    = NameSecretService // go-keyring speaks to the Secret Service on the BSDs
	osLabel   = "the Secret Service"
	osEncodes = true
	osMaxItem = 0
)

// preflight makes sure there is a session bus, so godbus never runs
// dbus-launch.
func (b *osBackend) preflight(ctx context.Context, op string) error {
	_, _, err := sessionBus()
	return withOp(err, op)
}
