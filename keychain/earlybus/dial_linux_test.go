package earlybus

import (
	"bytes"
	"io"
	"net"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

// takeAll hands back whatever an earlier test left, so each starts empty.
func takeAll(t *testing.T) {
	t.Helper()
	early.Lock()
	if early.held {
		syscall.Close(early.fd)
	}
	early.held, early.sent = false, nil
	early.Unlock()
}

func listen(t *testing.T, socket string) *net.UnixListener {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: socket, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// accept reads n bytes from the next connection to l, bounded.
func accept(t *testing.T, l *net.UnixListener, n int) (*net.UnixConn, []byte) {
	t.Helper()
	l.SetDeadline(time.Now().Add(10 * time.Second))
	c, err := l.AcceptUnix()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := make([]byte, n)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("reading what Dial sent: %v", err)
	}
	return c, got
}

func TestDialThenTake(t *testing.T) {
	for _, abstract := range []bool{false, true} {
		takeAll(t)
		socket := filepath.Join(t.TempDir(), "bus")
		if abstract {
			socket = "@" + socket
		}
		l := listen(t, socket)
		out := Handshake(1000, Greeting)
		if !Dial(socket, out) {
			t.Fatalf("Dial(%q) kept no connection", socket)
		}
		if Dial(socket, out) {
			t.Errorf("a second Dial kept a connection while the first is held")
		}
		c, got := accept(t, l, len(out))
		if !bytes.Equal(got, out) {
			t.Errorf("the listener read %q, want %q", got, out)
		}
		if _, ok := Take(socket+"x", out); ok {
			t.Errorf("Take of another socket handed over the connection")
		}
		if _, ok := Take(socket, Handshake(1001, Greeting)); ok {
			t.Errorf("Take for other bytes handed over the connection")
		}
		fd, ok := Take(socket, out)
		if !ok {
			t.Fatalf("Take(%q) handed over nothing", socket)
		}
		if _, ok := Take(socket, out); ok {
			t.Errorf("the connection was handed over twice")
		}
		// The descriptor is the connection the listener accepted.
		if _, err := syscall.Write(fd, []byte("more")); err != nil {
			t.Fatal(err)
		}
		syscall.Close(fd)
		rest, err := io.ReadAll(c)
		if err != nil || string(rest) != "more" {
			t.Errorf("after Take the listener read %q (%v), want %q", rest, err, "more")
		}
	}
}

func TestDialNoListener(t *testing.T) {
	takeAll(t)
	socket := filepath.Join(t.TempDir(), "none")
	if Dial(socket, Handshake(1000, nil)) {
		t.Errorf("Dial kept a connection to a socket nobody listens on")
	}
	if _, ok := Take(socket, Handshake(1000, nil)); ok {
		t.Errorf("Take handed over a connection Dial did not make")
	}
}

// A listener whose backlog is full makes connect wait: Dial gives up at
// once, and the caller's own dial (bounded by its deadline) does the work.
func TestDialFullBacklogGivesUp(t *testing.T) {
	takeAll(t)
	socket := keychaintest.FullBacklog(t, t.TempDir())
	done := make(chan bool, 1)
	go func() { done <- Dial(socket, Handshake(1000, nil)) }()
	select {
	case kept := <-done:
		if kept {
			t.Errorf("Dial kept a connection the listener never took")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Dial waited for a full backlog")
	}
}
