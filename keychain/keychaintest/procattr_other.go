//go:build !linux

package keychaintest

import "syscall"

// The harness runs on Linux only (see Available); this keeps the package
// building elsewhere.
func sysProcAttr() *syscall.SysProcAttr { return nil }
