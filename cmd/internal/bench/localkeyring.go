package main

// A stand-in for keychaintest.StartSecretService until that lands: a private
// dbus-daemon and an unlocked gnome-keyring in dir. Replaced, not kept.

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type secretService struct {
	env  []string
	dbus *exec.Cmd
	gk   *exec.Cmd
}

func startSecretService(dir string) (*secretService, error) {
	home := filepath.Join(dir, "home")
	run := filepath.Join(dir, "run")
	for _, d := range []string{home, run} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	s := &secretService{}
	addr := "unix:path=" + filepath.Join(run, "bus")
	s.dbus = exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--address="+addr, "--print-address=1")
	out, err := s.dbus.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.dbus.Start(); err != nil {
		return nil, err
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case a, ok := <-lines:
		if !ok {
			s.Stop()
			return nil, errors.New("dbus-daemon printed no address")
		}
		addr = strings.TrimSpace(a)
	case <-time.After(10 * time.Second):
		s.Stop()
		return nil, errors.New("dbus-daemon did not start in 10s")
	}
	s.env = []string{"HOME=" + home, "XDG_RUNTIME_DIR=" + run, "DBUS_SESSION_BUS_ADDRESS=" + addr,
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share")}
	s.gk = exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	s.gk.Env = append(os.Environ(), s.env...)
	s.gk.Stdin = strings.NewReader("bench-keyring-password")
	if err := s.gk.Start(); err != nil {
		s.Stop()
		return nil, err
	}
	// Wait until the daemon owns org.freedesktop.secrets, asking the bus
	// (not the service, which D-Bus activation would start a second time).
	deadline := time.Now().Add(15 * time.Second)
	for {
		probe := exec.Command("dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
			"/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets")
		probe.Env = append(os.Environ(), s.env...)
		if out, err := probe.Output(); err == nil && strings.Contains(string(out), "boolean true") {
			break
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("gnome-keyring did not answer in 15s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s, nil
}

func (s *secretService) Env() []string { return append([]string(nil), s.env...) }

func (s *secretService) Stop() error {
	for _, c := range []*exec.Cmd{s.gk, s.dbus} {
		if c == nil || c.Process == nil {
			continue
		}
		_ = c.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = c.Process.Kill()
			<-done
		}
	}
	return nil
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}
