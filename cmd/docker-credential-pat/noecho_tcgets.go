//go:build aix || linux || solaris || zos

package main

import "golang.org/x/sys/unix"

// The termios requests, as golang.org/x/term uses them.
const (
	ioctlGetTermios = unix.TCGETS
	ioctlSetTermios = unix.TCSETS
)
