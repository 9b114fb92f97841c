package earlybus

import (
	"sync"
	"syscall"
)

// early is the connection Dial made, until Take hands it over.
var early struct {
	sync.Mutex
	held   bool
	fd     int
	socket string
	sent   []byte
}

// Dial connects to the unix socket (a path, or "@name" for an abstract
// one) and writes out, without waiting for anything: a connect that would
// wait (the listener's backlog is full) or a write that does not take all
// of out at once gives up, and the caller's own dial does the work later.
// It reports whether it kept a connection for Take.
func Dial(socket string, out []byte) bool {
	early.Lock()
	defer early.Unlock()
	if early.held {
		return false
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: socket}); err != nil {
		syscall.Close(fd)
		return false
	}
	if n, err := syscall.Write(fd, out); err != nil || n != len(out) {
		syscall.Close(fd)
		return false
	}
	early.held, early.fd, early.socket, early.sent = true, fd, socket, out
	return true
}

// Take hands over the connection Dial made, a non-blocking socket, if it
// went to socket and sent exactly out: the caller then owns it. Each
// connection is taken once.
func Take(socket string, out []byte) (fd int, ok bool) {
	early.Lock()
	defer early.Unlock()
	if !early.held || early.socket != socket || string(early.sent) != string(out) {
		return -1, false
	}
	early.held, early.sent = false, nil
	return early.fd, true
}
