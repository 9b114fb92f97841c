package keychain

import (
	"context"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/docker-credential-pat/docker-credential-pat/keychain/earlybus"
)

// connectUnix connects to the unix socket where (a path, or "@name" for
// an abstract one) and writes out to it. The bytes leave before the net
// package sets the connection up (its poller, deadlines: 0.1 ms of a
// get's wait measured here): a non-blocking socket, connect and write,
// and only then a net.Conn. A connect that would wait (the listener's
// backlog is full) goes through net.Dialer, bounded by ctx.
//
// A connection earlybus made at the process's start, to where with out,
// is taken instead: its bytes left then.
func connectUnix(ctx context.Context, where string, out []byte, deadline time.Time) (net.Conn, error) {
	if fd, ok := earlybus.Take(where, out); ok {
		if nc, err := fileConn(fd, where); err == nil {
			return nc, nil
		}
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: where}); err != nil {
		unix.Close(fd)
		if err == unix.EAGAIN || err == unix.EINPROGRESS {
			return dialUnix(ctx, where, out, deadline)
		}
		return nil, &net.OpError{Op: "dial", Net: "unix", Addr: &net.UnixAddr{Name: where, Net: "unix"}, Err: os.NewSyscallError("connect", err)}
	}
	n, err := unix.Write(fd, out)
	if err != nil && err != unix.EAGAIN {
		unix.Close(fd)
		return nil, os.NewSyscallError("write", err)
	}
	nc, err := fileConn(fd, where)
	if err != nil {
		return nil, err
	}
	if n = max(n, 0); n < len(out) {
		if err := writeAll(nc, out[n:], deadline); err != nil {
			return nil, err
		}
	}
	return nc, nil
}

// fileConn makes the connected socket fd a net.Conn, and closes fd.
func fileConn(fd int, where string) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), where)
	nc, err := net.FileConn(f) // a dup of fd
	f.Close()
	return nc, err
}
