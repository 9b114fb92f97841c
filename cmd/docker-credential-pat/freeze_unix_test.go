//go:build !windows

package main

import "syscall"

// freeze stops process pid until thaw (SIGSTOP, SIGCONT).
func freeze(pid int) error { return syscall.Kill(pid, syscall.SIGSTOP) }

// thaw lets a frozen process run again.
func thaw(pid int) error { return syscall.Kill(pid, syscall.SIGCONT) }
