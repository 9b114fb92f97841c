//go:build unix

package keychaintest

import (
	"syscall"
)

// terminate is the polite stop signal.
var terminate = syscall.SIGTERM
