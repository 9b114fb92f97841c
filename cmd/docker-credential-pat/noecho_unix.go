//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos

package main

import "golang.org/x/sys/unix"

// echoOff turns the terminal's echo off in the line mode term.ReadPassword
// reads in (canonical, signals on, CR read as NL) and returns what restores
// the terminal. prompt calls it before the prompt shows: ReadPassword alone
// turns echo off only after, and a token pasted, or sent by a program, the
// moment the prompt appears was echoed in between (the pty test under
// load: 4 runs in 60). Setting the same line mode keeps what arrives early
// readable: in raw mode a CR that came before ReadPassword's own settings
// stayed a CR, and the read never saw the end of its line.
func echoOff(fd int) (restore func() error, err error) {
	t, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return nil, err
	}
	old := *t
	t.Lflag &^= unix.ECHO
	t.Lflag |= unix.ICANON | unix.ISIG
	t.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, t); err != nil {
		return nil, err
	}
	return func() error { return unix.IoctlSetTermios(fd, ioctlSetTermios, &old) }, nil
}
