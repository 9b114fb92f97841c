package keychaintest

import "syscall"

// sysProcAttr puts a daemon in its own process group and has the kernel kill
// it if the process that started it dies first, so an aborted test run
// leaves nothing behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
