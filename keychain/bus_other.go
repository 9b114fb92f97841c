//go:build !linux

package keychain

import (
	"os"
	"strings"
	"time"
)

const busEnv = "DBUS_SESSION_BUS_ADDRESS"

// sessionBus, on the BSDs (where our client also speaks to the Secret
// Service through godbus), accepts only an explicit DBUS_SESSION_BUS_ADDRESS:
// without one godbus would run `dbus-launch`. macOS and Windows never call
// it.
func sessionBus() (addr, source string, err error) {
	if a := os.Getenv(busEnv); a != "" && !strings.HasPrefix(a, "autolaunch:") {
		return a, busEnv, nil
	}
	return "", "", noBusError(busEnv + " unset")
}

// probeSecretService, on the BSDs, trusts an explicit bus address.
func probeSecretService(d time.Duration) (bool, string) {
	if _, _, err := sessionBus(); err != nil {
		return false, err.(*Error).Detail
	}
	return true, busEnv + " is set"
}
