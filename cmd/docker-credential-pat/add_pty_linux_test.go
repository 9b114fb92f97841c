package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
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

// ptyRun is the helper running on a pseudo-terminal of its own, as in a
// terminal emulator: what it shows is collected in shown.
type ptyRun struct {
	master *os.File
	shown  screen
	before unix.Termios // the terminal's modes before the helper ran
	exited chan error
	copied chan struct{}
	kill   func()
}

func startOnPTY(t *testing.T, h *helper, args ...string) *ptyRun {
	t.Helper()
	master, slave := openPTY(t)
	t.Cleanup(func() { master.Close() })
	before, err := unix.IoctlGetTermios(int(master.Fd()), unix.TCGETS)
	if err != nil {
		slave.Close()
		t.Fatal(err)
	}
	c := h.cmd("", args...)
	c.Stdin, c.Stdout, c.Stderr = slave, slave, slave
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := c.Start(); err != nil {
		slave.Close()
		t.Fatal(err)
	}
	slave.Close() // the child holds it now
	r := &ptyRun{master: master, before: *before, exited: make(chan error, 1), copied: make(chan struct{}),
		kill: func() { c.Process.Kill() }}
	go func() { r.exited <- c.Wait() }()
	go func() {
		defer close(r.copied)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			r.shown.Write(buf[:n])
			if err != nil { // EIO once the child has closed the slave
				return
			}
		}
	}()
	return r
}

// wait waits, boundedly, for the helper to exit and for what it showed.
func (r *ptyRun) wait(t *testing.T, after string) error {
	t.Helper()
	var err error
	select {
	case err = <-r.exited:
	case <-time.After(30 * time.Second):
		r.kill()
		t.Fatalf("still running 30s after %s", after)
	}
	select {
	case <-r.copied:
	case <-time.After(5 * time.Second):
	}
	return err
}

// checkRestored fails unless the terminal has the modes it had before the
// helper ran: echo back on.
func (r *ptyRun) checkRestored(t *testing.T) {
	t.Helper()
	if after, err := unix.IoctlGetTermios(int(r.master.Fd()), unix.TCGETS); err != nil {
		t.Error(err)
	} else if after.Lflag != r.before.Lflag || after.Iflag != r.before.Iflag {
		t.Errorf("the terminal's modes were left changed: lflag %#x iflag %#x, were %#x %#x",
			after.Lflag, after.Iflag, r.before.Lflag, r.before.Iflag)
	}
}

// `add` on a terminal asks for the token at a prompt that does not echo:
// a person types it, it is stored, and it never appears on the screen.
func TestAddPromptsWithoutEcho(t *testing.T) {
	h := newHelper(t, "keyctl")
	// The kernel keyring is shared by every test: a registry of our own.
	registry := "pty-" + strconv.Itoa(os.Getpid()) + ".example.com"
	token := credstoretest.GitHub("ghp_")
	r := startOnPTY(t, h, "add", registry, "--username", "alice", "--description", "typed at a prompt")

	r.shown.waitFor(t, "Token for "+registry+" (alice): ")
	if _, err := r.master.WriteString(token + "\r"); err != nil {
		t.Fatal(err)
	}
	if err := r.wait(t, "the token was typed"); err != nil {
		t.Fatalf("add: %v; the terminal shows %q", err, strings.ReplaceAll(r.shown.String(), token, "<token>"))
	}
	r.checkRestored(t)
	if out := r.shown.String(); strings.Contains(out, token) || strings.Contains(out, token[:12]) {
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

// Ctrl-C at the prompt ends add as a shell expects (status 130), with the
// terminal's echo back on and nothing stored; a token half typed before it
// is neither shown nor kept.
func TestAddPromptInterrupted(t *testing.T) {
	h := newHelper(t, "keyctl")
	registry := "pty-int-" + strconv.Itoa(os.Getpid()) + ".example.com"
	token := credstoretest.GitHub("ghp_")
	r := startOnPTY(t, h, "add", registry, "--username", "alice")

	r.shown.waitFor(t, "Token for "+registry+" (alice): ")
	if _, err := r.master.WriteString(token[:20] + "\x03"); err != nil { // VINTR: SIGINT to the helper
		t.Fatal(err)
	}
	err := r.wait(t, "Ctrl-C")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Errorf("add after Ctrl-C: %v, want exit status 130; the terminal shows %q", err, r.shown.String())
	}
	r.checkRestored(t)
	if strings.Contains(r.shown.String(), token[:12]) {
		t.Errorf("the half-typed token was echoed: %q", r.shown.String())
	}
	if _, _, ok := h.get(registry); ok {
		t.Error("a token was stored after Ctrl-C at the prompt")
		h.run(registry, "erase")
	}
}
