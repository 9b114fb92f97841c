package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/credstoretest"
)

// openPTY opens a pseudo-terminal pair: the master (what a terminal
// emulator holds) and the slave (what the program sees as its terminal).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Fatalf("ptsname: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Fatalf("open the pty slave: %v", err)
	}
	return m, s
}

// screen collects what a terminal would show: everything the program
// writes to the pty, and the echo of what is typed, if echo is on.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor waits, boundedly, until the screen shows want.
func (s *screen) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q; it shows %q", want, s.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// `add` on a terminal asks for the token at a prompt that does not echo:
// a person types it, it is stored, and it never appears on the screen.
func TestAddPromptsWithoutEcho(t *testing.T) {
	h := newHelper(t, "keyctl")
	// The kernel keyring is shared by every test: a registry of our own.
	registry := "pty-" + strconv.Itoa(os.Getpid()) + ".example.com"
	token := credstoretest.GitHub("ghp_")
	master, slave := openPTY(t)
	defer master.Close()
	before, err := unix.IoctlGetTermios(int(master.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}

	c := h.cmd("", "add", registry, "--username", "alice", "--description", "typed at a prompt")
	c.Stdin, c.Stdout, c.Stderr = slave, slave, slave
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := c.Start(); err != nil {
		slave.Close()
		t.Fatal(err)
	}
	slave.Close() // the child holds it now
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()
	var shown screen
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			shown.Write(buf[:n])
			if err != nil { // EIO once the child has closed the slave
				return
			}
		}
	}()

	shown.waitFor(t, "Token for "+registry+" (alice): ")
	if _, err := master.WriteString(token + "\r"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("add: %v; the terminal shows %q", err, strings.ReplaceAll(shown.String(), token, "<token>"))
		}
	case <-time.After(30 * time.Second):
		c.Process.Kill()
		t.Fatal("add still running 30s after the token was typed")
	}
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
	}
	// The terminal is left as it was: echo back on.
	if after, err := unix.IoctlGetTermios(int(master.Fd()), unix.TCGETS); err != nil {
		t.Error(err)
	} else if after.Lflag != before.Lflag || after.Iflag != before.Iflag {
		t.Errorf("add left the terminal's modes changed: lflag %#x iflag %#x, were %#x %#x",
			after.Lflag, after.Iflag, before.Lflag, before.Iflag)
	}
	if out := shown.String(); strings.Contains(out, token) || strings.Contains(out, token[:12]) {
		t.Errorf("the token was echoed: the terminal shows %q", strings.ReplaceAll(out, token, "<token>"))
	}
	if _, secret, ok := h.get(registry); !ok || secret != token {
		t.Errorf("get after add at a prompt: ok %v, got the typed token: %v", ok, secret == token)
	}
	out, _, ok := h.run("", "inspect", registry, "--json")
	if !ok || !strings.Contains(out, `"provider": "github"`) || !strings.Contains(out, "typed at a prompt") {
		t.Errorf("inspect after add at a prompt: %s", out)
	}
	h.run(registry, "erase")
}
