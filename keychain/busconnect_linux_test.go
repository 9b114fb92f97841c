package keychain

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

// connectUnix writes its bytes to a path socket and to an abstract one
// ("@name"), as the listener reads them.
func TestConnectUnix(t *testing.T) {
	for _, where := range []string{filepath.Join(t.TempDir(), "bus"), "@docker-credential-pat-test-" + t.Name()} {
		l, err := net.Listen("unix", where)
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan string, 1)
		go func() {
			c, err := l.Accept()
			if err != nil {
				got <- err.Error()
				return
			}
			defer c.Close()
			b, _ := io.ReadAll(c)
			got <- string(b)
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		deadline, _ := ctx.Deadline()
		nc, err := connectUnix(ctx, where, []byte("\x00AUTH EXTERNAL 30\r\nBEGIN\r\n"), deadline)
		if err != nil {
			t.Fatalf("connectUnix(%s): %v", where, err)
		}
		nc.Close()
		if s := <-got; s != "\x00AUTH EXTERNAL 30\r\nBEGIN\r\n" {
			t.Errorf("%s: the listener read %q", where, s)
		}
		cancel()
		l.Close()
	}
}

// A listener that accepts nothing and whose backlog is full: connectUnix
// fails at once rather than waiting (a stalled bus never hangs a get).
func TestConnectUnixBacklogFull(t *testing.T) {
	where := keychaintest.FullBacklog(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()
	start := time.Now()
	nc, err := connectUnix(ctx, where, []byte("x"), deadline)
	if err == nil {
		nc.Close()
		t.Fatal("connectUnix to a full backlog succeeded")
	}
	if waited := time.Since(start); waited > time.Second {
		t.Errorf("connectUnix waited %v for a full backlog", waited)
	}
}
