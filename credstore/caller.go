package credstore

import (
	"os"
	"strings"
)

// ParentCaller describes the process that ran this one, as far as the OS
// tells: docker, crane, buildx... Name is "" where it does not.
func ParentCaller() Caller {
	ppid := os.Getppid()
	if ppid <= 1 {
		return Caller{}
	}
	return Caller{PID: ppid, Name: strings.TrimSpace(processName(ppid))}
}
