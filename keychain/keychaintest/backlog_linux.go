package keychaintest

import (
	"path/filepath"

	"golang.org/x/sys/unix"
)

// FullBacklog returns a unix socket in dir whose listener accepts nothing
// and whose backlog is full: a connect to it would wait. Everything is
// closed when the test ends.
func FullBacklog(t TB, dir string) string {
	t.Helper()
	where := filepath.Join(dir, "full")
	lfd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(lfd) })
	if err := unix.Bind(lfd, &unix.SockaddrUnix{Name: where}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(lfd, 0); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 64; i++ { // fill the backlog with connections nobody accepts
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		if unix.Connect(fd, &unix.SockaddrUnix{Name: where}) == unix.EAGAIN {
			return where
		}
	}
	t.Fatal("the kernel took 64 connections on a backlog of 0")
	return ""
}
