package keychaintest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// Bounds on the harness's waits.
const (
	startTimeout = 15 * time.Second // bus address, then secrets service ready
	stopTimeout  = 5 * time.Second  // per daemon, after SIGTERM, before SIGKILL
	pollEvery    = 20 * time.Millisecond
	callTimeout  = 2 * time.Second // one D-Bus call made by the harness
)

const (
	secretsName     = "org.freedesktop.secrets"
	secretsPath     = dbus.ObjectPath("/org/freedesktop/secrets")
	defaultAlias    = dbus.ObjectPath("/org/freedesktop/secrets/aliases/default")
	serviceIface    = "org.freedesktop.Secret.Service"
	collectionIface = "org.freedesktop.Secret.Collection"
)

// SecretService is a private D-Bus session bus, and usually a Secret
// Service implementation serving org.freedesktop.secrets on it
// (gnome-keyring-daemon, KeePassXC or kwalletd5), all kept under one
// directory. Stop ends every process it started.
//
// The bus reads only its own configuration (no system or desktop service
// files), so nothing on it is ever started by D-Bus activation: the only
// processes are the two the harness started itself, by PID.
type SecretService struct {
	dir     string
	home    string
	runtime string // XDG_RUNTIME_DIR; the bus socket is runtime/bus
	addr    string // DBUS_SESSION_BUS_ADDRESS

	impl     string // Impl's answer
	password []byte // gnome-keyring's, for Restart

	mu  sync.Mutex
	bus *daemon
	svc *daemon // the Secret Service; nil for StartBus
}

// Implementations a SecretService runs (Impl).
const (
	ImplGnomeKeyring = "gnome-keyring"
	ImplKeePassXC    = "keepassxc"
	ImplKWallet      = "kwallet"
)

// Impl is the Secret Service implementation running on the bus
// (ImplGnomeKeyring, ImplKeePassXC, ImplKWallet), or "" for StartBus.
func (s *SecretService) Impl() string { return s.impl }

// daemon is one process the harness started and waits for.
type daemon struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once cmd.Wait returned
	err  error         // cmd.Wait's result, valid after done
	out  *tail         // its stderr (and stdout when not read), last bytes
	// killOnly: it ignores SIGTERM (KeePassXC), so Stop sends SIGKILL.
	killOnly bool
}

// Available reports why the harness cannot run gnome-keyring here, or ""
// when it can.
func Available() string {
	return missing(program{"gnome-keyring-daemon", "gnome-keyring"})
}

// program is an executable a harness needs and the Debian package that has
// it.
type program struct{ bin, pkg string }

// missing reports which of progs (and dbus-daemon) are not installed, as a
// line ending in "; run: " and the command that installs them (as Skip
// puts it), or "" when all are.
func missing(progs ...program) string {
	if runtime.GOOS != "linux" {
		return "the Secret Service harness runs on Linux only"
	}
	var names, pkgs []string
	for _, p := range append([]program{{"dbus-daemon", "dbus"}}, progs...) {
		if _, err := exec.LookPath(p.bin); err != nil {
			names = append(names, fmt.Sprintf("%s (package %s)", p.bin, p.pkg))
			if !slices.Contains(pkgs, p.pkg) {
				pkgs = append(pkgs, p.pkg)
			}
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "missing " + strings.Join(names, " and ") + "; run: " + Apt(pkgs...)
}

// StartSecretService starts a private D-Bus session bus and, on it,
// gnome-keyring-daemon with only the secrets component, its login keyring
// created and unlocked with a throwaway password. HOME, XDG_RUNTIME_DIR and
// XDG_DATA_HOME of the daemons are under dir (which must exist and should be
// short: the bus socket is dir/run/bus). It returns once
// org.freedesktop.secrets answers and the default collection exists and is
// unlocked, or an error after at most a few seconds; on error nothing is left
// running.
func StartSecretService(dir string) (*SecretService, error) {
	return startImpl(dir, ImplGnomeKeyring, Available(), (*SecretService).startKeyring)
}

// startImpl starts a private bus under dir and, with start, the Secret
// Service impl on it, unless why says it cannot run; on error nothing is
// left running.
func startImpl(dir, impl, why string, start func(*SecretService) error) (*SecretService, error) {
	if why != "" {
		return nil, errors.New(why)
	}
	s, err := startBus(dir, "")
	if err != nil {
		return nil, err
	}
	s.impl = impl
	if err := start(s); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// StartBus starts only the private session bus, without a Secret Service.
// If serviceDir is not empty, the bus lists the D-Bus service files in it as
// activatable (to test discovery; nothing there is ever started unless a
// client asks for the name).
func StartBus(dir, serviceDir string) (*SecretService, error) {
	return startBus(dir, serviceDir)
}

func startBus(dir, serviceDir string) (*SecretService, error) {
	if why := missing(); why != "" {
		return nil, errors.New(why)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	s := &SecretService{
		dir:     abs,
		home:    filepath.Join(abs, "home"),
		runtime: filepath.Join(abs, "run"),
	}
	for _, d := range []string{s.home, s.runtime, filepath.Join(abs, "data"), filepath.Join(abs, "config"), filepath.Join(abs, "cache"), filepath.Join(abs, "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	socket := filepath.Join(s.runtime, "bus")
	if len(socket) > 100 { // sun_path is 108 bytes
		return nil, fmt.Errorf("keychaintest: bus socket path too long (%d bytes): %s", len(socket), socket)
	}
	conf := filepath.Join(abs, "session.conf")
	if err := os.WriteFile(conf, []byte(busConfig(socket, serviceDir)), 0o600); err != nil {
		return nil, err
	}

	// --nofork keeps the bus our child, so Stop can wait for it.
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	cmd.Env = s.daemonEnv("")
	cmd.Dir = abs
	cmd.SysProcAttr = sysProcAttr()
	// Our own pipe, not StdoutPipe: Wait (which runs as soon as the daemon
	// starts) must not close it under the reader.
	stdout, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = w
	d, err := s.start("dbus-daemon", cmd)
	w.Close()
	if err != nil {
		stdout.Close()
		return nil, err
	}
	s.bus = d

	lines := make(chan string, 1)
	go func() {
		defer stdout.Close()
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		// dbus-daemon prints nothing more; drain until it exits.
		for sc.Scan() {
		}
	}()
	select {
	case line, ok := <-lines:
		if !ok || line == "" {
			_ = s.Stop()
			return nil, fmt.Errorf("keychaintest: dbus-daemon printed no address: %s", d.out)
		}
		s.addr = strings.TrimSpace(line)
	case <-time.After(startTimeout):
		_ = s.Stop()
		return nil, fmt.Errorf("keychaintest: dbus-daemon printed no address in %v: %s", startTimeout, d.out)
	}
	return s, nil
}

// busConfig is a session bus configuration that listens on socket, allows
// everything (like the stock session.conf) and activates only services from
// serviceDir.
func busConfig(socket, serviceDir string) string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path=` + xmlEscape(socket) + `</listen>
  <auth>EXTERNAL</auth>
`)
	if serviceDir != "" {
		b.WriteString("  <servicedir>" + xmlEscape(serviceDir) + "</servicedir>\n")
	}
	b.WriteString(`  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`)
	return b.String()
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

func (s *SecretService) startKeyring() error {
	if s.password == nil {
		s.password = make([]byte, 16)
		if _, err := rand.Read(s.password); err != nil {
			return err
		}
	}
	password := s.password
	cmd := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	cmd.Env = s.daemonEnv(s.addr)
	cmd.Dir = s.home
	cmd.SysProcAttr = sysProcAttr()
	// --unlock reads the password from stdin up to EOF; it is a throwaway
	// that unlocks a keyring living only under dir.
	cmd.Stdin = strings.NewReader(hex.EncodeToString(password))
	d, err := s.start("gnome-keyring-daemon", cmd)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.svc = d
	s.mu.Unlock()
	return s.waitFor(d, "the default collection unlocked", s.unlocked)
}

// unlocked is nil once the default collection exists and is unlocked.
func (s *SecretService) unlocked(ctx context.Context) error {
	locked, err := s.defaultLocked(ctx)
	if err == nil && locked {
		return errors.New("default collection is locked")
	}
	return err
}

// waitFor polls ready until it returns nil, d exits, or startTimeout
// passes.
func (s *SecretService) waitFor(d *daemon, what string, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		select {
		case <-d.done:
			return fmt.Errorf("keychaintest: %s exited early (%v): %s", d.name, d.err, d.out)
		default:
		}
		last := ready(ctx)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("keychaintest: %s: not %s in %v: %v: %s", d.name, what, startTimeout, last, d.out)
		case <-time.After(pollEvery):
		}
	}
}

// daemonEnv is the environment of a daemon: nothing from this process but
// PATH, so no display, no desktop bus and no real home leak in.
func (s *SecretService) daemonEnv(addr string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + s.home,
		"XDG_RUNTIME_DIR=" + s.runtime,
		"XDG_DATA_HOME=" + filepath.Join(s.dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(s.dir, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(s.dir, "cache"),
		// KeePassXC runs once per user: its lock file and socket live in
		// TMPDIR. A private one lets several run side by side.
		"TMPDIR=" + filepath.Join(s.dir, "tmp"),
		"LANG=C.UTF-8",
		"QT_QPA_PLATFORM=offscreen", // KeePassXC and kwalletd5 are Qt programs
	}
	if addr != "" {
		env = append(env, "DBUS_SESSION_BUS_ADDRESS="+addr)
	}
	return env
}

func (s *SecretService) start(name string, cmd *exec.Cmd) (*daemon, error) {
	return startDaemon(name, cmd)
}

// startDaemon starts cmd and waits for it in the background; its output
// goes to the daemon's tail unless cmd has a Stdout.
func startDaemon(name string, cmd *exec.Cmd) (*daemon, error) {
	d := &daemon{name: name, cmd: cmd, done: make(chan struct{}), out: &tail{max: 4096}}
	cmd.Stderr = d.out
	if cmd.Stdout == nil { // keep stdout too, unless the caller reads it
		cmd.Stdout = d.out
	}
	started := make(chan error, 1)
	go func() {
		// Pdeathsig (procattr_linux.go) fires when the thread that started
		// the daemon exits, not the process. A goroutine elsewhere that
		// locks its thread and ends (the keyctl backend does) terminates
		// that thread: had the daemon been started from it, the daemon
		// would die mid-test. So the daemon is started from a thread that
		// this goroutine keeps until the daemon is gone.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		d.err = cmd.Wait()
		close(d.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("keychaintest: start %s: %w", name, err)
	}
	return d, nil
}

// Env returns the variables to give a child process so that it uses this
// Secret Service: DBUS_SESSION_BUS_ADDRESS, HOME and XDG_RUNTIME_DIR.
func (s *SecretService) Env() []string {
	return []string{
		"DBUS_SESSION_BUS_ADDRESS=" + s.addr,
		"HOME=" + s.home,
		"XDG_RUNTIME_DIR=" + s.runtime,
	}
}

// Addr is the bus address (the value of DBUS_SESSION_BUS_ADDRESS).
func (s *SecretService) Addr() string { return s.addr }

// Setenv sets Env's variables in this process and returns a func restoring
// the previous values. Not safe alongside other goroutines reading the
// environment. godbus keeps one shared session connection per process: use
// one harness at a time in a process, and Stop it (which drops that
// connection) before starting the next.
func (s *SecretService) Setenv() func() {
	type saved struct {
		key, val string
		ok       bool
	}
	var old []saved
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		prev, ok := os.LookupEnv(k)
		old = append(old, saved{k, prev, ok})
		os.Setenv(k, v)
	}
	return func() {
		for _, o := range old {
			if o.ok {
				os.Setenv(o.key, o.val)
			} else {
				os.Unsetenv(o.key)
			}
		}
	}
}

// connectBus opens a private connection to the bus; the caller closes it.
func (s *SecretService) connectBus(ctx context.Context) (*dbus.Conn, error) {
	conn, err := dbus.Dial(s.addr, dbus.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	if err := conn.Auth(nil); err != nil {
		conn.Close()
		return nil, err
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// connect opens a private connection to the bus and greets the Secret
// Service; the caller closes it.
func (s *SecretService) connect(ctx context.Context) (*dbus.Conn, error) {
	conn, err := s.connectBus(ctx)
	if err != nil {
		return nil, err
	}
	// A first message that needs gnome-keyring's per-client record can
	// abort the daemon (see keychain's greet): read the Service's
	// Collections property first, as the backend does.
	var v dbus.Variant
	err = conn.Object(secretsName, secretsPath).
		CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, serviceIface, "Collections").Store(&v)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// defaultLocked reports the Locked property of the default collection.
func (s *SecretService) defaultLocked(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	conn, err := s.connect(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	var v dbus.Variant
	err = conn.Object(secretsName, defaultAlias).
		CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, collectionIface, "Locked").Store(&v)
	if err != nil {
		return false, err
	}
	locked, ok := v.Value().(bool)
	if !ok {
		return false, fmt.Errorf("keychaintest: Locked is %s, not a boolean", v.Signature())
	}
	return locked, nil
}

// Lock locks the default collection (as a screen lock would) and checks
// that it is locked.
func (s *SecretService) Lock() error {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	conn, err := s.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	err = conn.Object(secretsName, secretsPath).
		CallWithContext(ctx, serviceIface+".Lock", 0, []dbus.ObjectPath{defaultAlias}).Store(&locked, &prompt)
	if err != nil {
		return fmt.Errorf("keychaintest: lock: %w", err)
	}
	if prompt != "/" {
		return fmt.Errorf("keychaintest: lock wants a prompt (%s)", prompt)
	}
	if ok, err := s.defaultLocked(ctx); err != nil || !ok {
		return fmt.Errorf("keychaintest: default collection still unlocked after Lock (%v)", err)
	}
	return nil
}

// Locked reports whether the default collection is locked.
func (s *SecretService) Locked() (bool, error) {
	return s.defaultLocked(context.Background())
}

// Err reports a daemon that is no longer running although Stop was not
// called (a crash: gnome-keyring-daemon aborts on some bad input), with its
// exit status and the end of its output; nil while all run.
func (s *SecretService) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, d := range []*daemon{s.bus, s.svc} {
		if d == nil {
			continue
		}
		select {
		case <-d.done:
			errs = append(errs, fmt.Errorf("keychaintest: %s (pid %d) exited during the test (%v): %s",
				d.name, d.cmd.Process.Pid, d.err, d.out))
		default:
		}
	}
	return errors.Join(errs...)
}

// Restart stops gnome-keyring-daemon and starts it again on the same bus,
// keyring files and password, as a daemon restarts between two runs of a
// client: the same items, under whatever object paths the new daemon
// gives them, and none of the old daemon's sessions.
func (s *SecretService) Restart() error {
	if s.impl != ImplGnomeKeyring {
		return fmt.Errorf("keychaintest: Restart is for %s, not %s", ImplGnomeKeyring, s.impl)
	}
	s.mu.Lock()
	d := s.svc
	s.svc = nil
	s.mu.Unlock()
	if d != nil {
		if err := d.stop(); err != nil {
			return err
		}
	}
	return s.startKeyring()
}

// Kill ends the Secret Service at once with SIGKILL, as a crash would,
// and waits for it; Err does not report it. The bus stays up.
func (s *SecretService) Kill() error {
	s.mu.Lock()
	d := s.svc
	s.svc = nil
	s.mu.Unlock()
	if d == nil {
		return errors.New("keychaintest: no Secret Service to kill")
	}
	return d.kill()
}

// Stop ends the Secret Service, then the bus: SIGTERM (SIGKILL for
// KeePassXC, which ignores it), then SIGKILL if it has not exited within a
// few seconds, waiting for each. Safe to call twice.
func (s *SecretService) Stop() error {
	s.mu.Lock()
	k, b := s.svc, s.bus
	s.svc, s.bus = nil, nil
	s.mu.Unlock()
	var errs []error
	for _, d := range []*daemon{k, b} {
		if d != nil {
			errs = append(errs, d.stop())
		}
	}
	return errors.Join(errs...)
}

func (d *daemon) stop() error {
	select {
	case <-d.done:
		return nil // already gone
	default:
	}
	if d.killOnly {
		return d.kill()
	}
	_ = d.cmd.Process.Signal(terminate)
	select {
	case <-d.done:
		return nil
	case <-time.After(stopTimeout):
	}
	return d.kill()
}

// kill sends SIGKILL and waits for the daemon to be gone.
func (d *daemon) kill() error {
	_ = d.cmd.Process.Kill()
	select {
	case <-d.done:
		return nil
	case <-time.After(stopTimeout):
		return fmt.Errorf("keychaintest: %s (pid %d) did not exit after SIGKILL", d.name, d.cmd.Process.Pid)
	}
}

// PIDs returns the process ids of the running daemons (bus first).
func (s *SecretService) PIDs() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var pids []int
	for _, d := range []*daemon{s.bus, s.svc} {
		if d != nil {
			pids = append(pids, d.cmd.Process.Pid)
		}
	}
	return pids
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.buf))
	if s == "" {
		return "(no output)"
	}
	return strings.ReplaceAll(s, "\n", "; ")
}

// TB is the part of testing.TB that Start uses (this package does not
// import testing).
type TB interface {
	Helper()
	Skip(args ...any)
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
}

// Require skips the test under -short (pass testing.Short()) or when
// Available says the harness cannot run here, except with CI=true, where a
// missing dependency fails the test: CI never silently skips the real Secret
// Service.
func Require(t TB, short bool) {
	t.Helper()
	require(t, short, ImplGnomeKeyring, Available())
}

// require skips (or, with CI=true, fails) a test of what, which cannot run
// because of why ("" when it can), as Skip does when why names its fix.
func require(t TB, short bool, what, why string) {
	t.Helper()
	if short {
		t.Skip("real " + what + " test skipped in -short mode")
	}
	if why == "" {
		return
	}
	why, fix, ok := strings.Cut(why, "; run: ")
	if !ok { // not Linux: nothing to install
		t.Skip("real " + what + " test skipped: " + why)
	}
	Skip(t, "tests on "+what, why, fix)
}

// Start calls Require, starts a SecretService in a fresh temporary directory
// and stops it (and removes the directory) when the test ends. A daemon
// that died before then fails the test (see Err): whatever the test saw
// next was not about the code under test.
func Start(t TB, short bool) *SecretService {
	t.Helper()
	Require(t, short)
	return startManaged(t, StartSecretService)
}

// startManaged runs start in a fresh temporary directory and stops what it
// started (and removes the directory) when the test ends, failing the test
// if a daemon died before then.
func startManaged[S interface {
	Err() error
	Stop() error
}](t TB, start func(dir string) (S, error)) S {
	t.Helper()
	// Not t.TempDir: long test names would make the bus socket path
	// longer than a unix socket allows.
	dir, err := os.MkdirTemp("", "dcp-ss-")
	if err != nil {
		t.Fatal(err)
	}
	s, err := start(dir)
	if err != nil {
		os.RemoveAll(dir)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Err(); err != nil {
			t.Errorf("%v", err)
		}
		err := s.Stop()
		os.RemoveAll(dir)
		if err != nil {
			t.Fatal(err)
		}
	})
	return s
}
