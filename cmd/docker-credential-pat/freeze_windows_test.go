package main

import "errors"

// Windows has no SIGSTOP; the tests that freeze a process are for daemons
// that run on Linux.
var errNoFreeze = errors.New("freezing a process is not supported on windows")

func freeze(pid int) error { return errNoFreeze }

func thaw(pid int) error { return errNoFreeze }
