package credstore

import (
	"os"

	"golang.org/x/sys/unix"
)

// tryLock takes the lock of f, the index lock file, if no one holds it,
// without waiting: flock, the lock lockedfile takes on Linux, on the file
// lockState has just opened and checked (a get saves lockedfile's second
// open, its goroutine and its timer). The lock goes with f's close.
func tryLock(f *os.File) (unlock func(), ok bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, false
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = unix.Flock(int(fd), unix.LOCK_EX|unix.LOCK_NB) }); err != nil || lerr != nil {
		return nil, false
	}
	return func() { f.Close() }, true
}
