//go:build !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos)

package main

// echoOff does nothing here: Windows' console echoes keys as a program reads
// them in line mode, not as they are queued, and term.ReadPassword reads
// with echo off.
func echoOff(int) (restore func() error, err error) {
	return func() error { return nil }, nil
}
