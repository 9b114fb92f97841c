//go:build !unix

package keychaintest

import (
	"errors"
	"time"
)

// lockFile is for the Wine harness, which runs on Linux only.
func lockFile(path string, wait time.Duration) (func(), error) {
	return nil, errors.New("keychaintest: no file lock on this system")
}
