//go:build linux

package keychaintest

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func alive(pid int) bool {
	// A zombie still answers kill(0); read its state instead.
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && syscall.Kill(pid, 0) == nil
}

// startUnmanaged starts a SecretService that the test stops itself (unlike
// Start's, Stop is not left to a cleanup); the directory goes at the end.
func startUnmanaged(t *testing.T) *SecretService {
	t.Helper()
	Require(t, testing.Short())
	dir, err := os.MkdirTemp("", "dcp-ss-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s, err := StartSecretService(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStartLockStop(t *testing.T) {
	s := startUnmanaged(t)
	pids := s.PIDs()
	if len(pids) != 2 {
		t.Fatalf("PIDs = %v, want the bus and the keyring", pids)
	}
	for _, pid := range pids {
		if !alive(pid) {
			t.Fatalf("pid %d not running after start", pid)
		}
	}
	if locked, err := s.Locked(); err != nil || locked {
		t.Fatalf("after start: locked=%v err=%v, want unlocked", locked, err)
	}

	// A real libsecret client sees the service through Env.
	if _, err := exec.LookPath("secret-tool"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "secret-tool", "store", "--label=harness check", "service", "keychaintest")
		cmd.Env = append(s.Env(), "PATH="+os.Getenv("PATH"))
		cmd.Stdin = strings.NewReader("x")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("secret-tool store through Env(): %v: %s", err, out)
		}
	}

	if err := s.Lock(); err != nil {
		t.Fatal(err)
	}
	if locked, err := s.Locked(); err != nil || !locked {
		t.Fatalf("after Lock: locked=%v err=%v, want locked", locked, err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d still running after Stop", pid)
		}
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestSetenvRestores(t *testing.T) {
	s := &SecretService{addr: "unix:path=/nonexistent/bus", home: "/h", runtime: "/r"}
	t.Setenv("HOME", "/before")
	os.Unsetenv("DBUS_SESSION_BUS_ADDRESS")
	restore := s.Setenv()
	if got := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); got != s.addr {
		t.Fatalf("DBUS_SESSION_BUS_ADDRESS = %q", got)
	}
	if got := os.Getenv("HOME"); got != "/h" {
		t.Fatalf("HOME = %q", got)
	}
	restore()
	if _, ok := os.LookupEnv("DBUS_SESSION_BUS_ADDRESS"); ok {
		t.Error("DBUS_SESSION_BUS_ADDRESS still set after restore")
	}
	if got := os.Getenv("HOME"); got != "/before" {
		t.Errorf("HOME = %q after restore", got)
	}
}

func TestStartBusWithoutKeyring(t *testing.T) {
	Require(t, testing.Short())
	dir, err := os.MkdirTemp("", "dcp-ss-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := StartBus(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if len(s.PIDs()) != 1 {
		t.Fatalf("PIDs = %v, want only the bus", s.PIDs())
	}
	_, err = s.Locked()
	if err == nil || !strings.Contains(err.Error(), "org.freedesktop.secrets") {
		t.Fatalf("Locked on a bus without a keyring: %v, want a name-not-provided error", err)
	}
}

func tryRequire(short bool) *fakeTB {
	return run(func(tb TB) { Require(tb, short) })
}

func TestRequireSkipsOrFails(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no daemons here
	t.Setenv("CI", "")
	if why := Available(); !strings.Contains(why, "gnome-keyring-daemon") || !strings.Contains(why, "apt-get install") {
		t.Fatalf("Available() = %q, want the missing daemons and the fix", why)
	}
	if f := tryRequire(false); !strings.HasPrefix(f.skipped, "skipped tests on gnome-keyring: missing ") || f.failed != "" {
		t.Errorf("outside CI: skipped %q failed %q, want a skip", f.skipped, f.failed)
	}
	if f := tryRequire(true); !strings.Contains(f.skipped, "-short") {
		t.Errorf("-short: skipped %q", f.skipped)
	}
	t.Setenv("CI", "true")
	if f := tryRequire(false); f.failed == "" || f.skipped != "" {
		t.Errorf("CI=true: skipped %q failed %q, want a failure", f.skipped, f.failed)
	}
	if f := tryRequire(true); f.skipped == "" {
		t.Errorf("CI=true -short: want a skip, got failed %q", f.failed)
	}
}

// Goroutines that lock their OS thread and end (as the keyctl backend's
// calls do) terminate their threads; the daemons must survive that, since
// Linux sends Pdeathsig when the thread that started them exits.
func TestDaemonsSurviveThreadExits(t *testing.T) {
	s := Start(t, testing.Short())
	for i := 0; i < 64; i++ {
		done := make(chan struct{})
		go func() {
			runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
			close(done)
		}()
		<-done
	}
	time.Sleep(200 * time.Millisecond) // let the killed threads' signals land, if any
	for _, pid := range s.PIDs() {
		if err := syscall.Kill(pid, 0); err != nil {
			t.Errorf("daemon %d died after threads exited: %v", pid, err)
		}
	}
	if _, err := s.Locked(); err != nil {
		t.Errorf("the Secret Service stopped answering: %v", err)
	}
}

// A daemon that dies under a test is reported with how it ended, and Stop
// still cleans up after it.
func TestErrReportsADeadDaemon(t *testing.T) {
	s := startUnmanaged(t)
	defer s.Stop()
	if err := s.Err(); err != nil {
		t.Fatalf("Err with both daemons running: %v", err)
	}
	pids := s.PIDs()
	if err := syscall.Kill(pids[1], syscall.SIGABRT); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	err := s.Err()
	if err == nil || !strings.Contains(err.Error(), "gnome-keyring-daemon") || !strings.Contains(err.Error(), "abort") {
		t.Fatalf("Err after the keyring daemon was killed: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop after a daemon died: %v", err)
	}
	if syscall.Kill(pids[0], 0) == nil {
		t.Errorf("bus %d still running after Stop", pids[0])
	}
}
