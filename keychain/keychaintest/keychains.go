package keychaintest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Keychain is one real keychain implementation the helper is tested
// against: how to tell whether it can run here and how to start a private
// one. The CLI's scripts run once per entry of Keychains.
type Keychain struct {
	// Name says which implementation: "keyctl", "gnome-keyring", ...
	Name string
	// Backend is the helper's backend that talks to it
	// (DOCKER_CREDENTIAL_PAT_BACKEND): "keyctl", "secretservice" or
	// "wincred".
	Backend string
	// Daemon is true when a daemon must be started: such a keychain is
	// left out under -short (make unit).
	Daemon bool

	available func() string                       // why it cannot run here, or ""
	start     func(dir string) (*Instance, error) // dir exists, short path
}

// Instance is a running private keychain: a kernel keyring of its own, or
// daemons on a private session bus.
type Instance struct {
	Keychain Keychain
	// SecretService is the bus and daemon for a Secret Service
	// implementation, nil for the kernel keyring.
	SecretService *SecretService

	env  []string
	stop func() error
	err  func() error
}

// KeyctlRingEnv names the kernel keyring in which a helper under test keeps
// its keyctl items; the test's main passes it to keychain.UseKeyctlRing.
const KeyctlRingEnv = "DCP_TEST_KEYCTL_RING"

// Keychains are the keychains every CLI script runs against, the kernel
// keyring first (it needs no daemon, so make unit runs it).
var Keychains = []Keychain{
	{Name: "keyctl", Backend: "keyctl", available: keyctlAvailable, start: startKeyctl},
	{Name: ImplGnomeKeyring, Backend: "secretservice", Daemon: true, available: Available, start: secretService(StartSecretService)},
	{Name: ImplKeePassXC, Backend: "secretservice", Daemon: true, available: KeePassXCAvailable,
		start: secretService(func(dir string) (*SecretService, error) { return StartKeePassXCDir(dir, KeePassXCOptions{}) })},
	// The wallet opened as pam_kwallet opens it at login, with no display:
	// its collection says Locked until the helper unlocks it, which needs
	// no dialog.
	{Name: ImplKWallet, Backend: "secretservice", Daemon: true, available: KWalletAvailable,
		start: secretService(func(dir string) (*SecretService, error) { return StartKWalletDir(dir, KWalletOptions{}) })},
	{Name: "wine", Backend: "wincred", Daemon: true, available: WineAvailable, start: startWineKeychain},
}

// Lookup returns the keychain called name.
func Lookup(name string) (Keychain, bool) {
	for _, k := range Keychains {
		if k.Name == name {
			return k, true
		}
	}
	return Keychain{}, false
}

// Available reports why k cannot run on this machine, or "" when it can.
func (k Keychain) Available() string { return k.available() }

// Start starts a private instance of k whose files live under dir (which
// must exist and be short: a bus socket goes in it). On error nothing is
// left running.
func (k Keychain) Start(dir string) (*Instance, error) {
	if why := k.available(); why != "" {
		return nil, fmt.Errorf("keychaintest: %s: %s", k.Name, why)
	}
	i, err := k.start(dir)
	if err != nil {
		return nil, err
	}
	i.Keychain = k
	return i, nil
}

// Env returns the variables that make the helper use this instance:
// DOCKER_CREDENTIAL_PAT_BACKEND and those of its bus or keyring. For Wine,
// PATH: the helper found first on it is a script that runs the Windows
// build under Wine (see StartWine and WindowsHelper).
func (i *Instance) Env() []string {
	return append([]string{"DOCKER_CREDENTIAL_PAT_BACKEND=" + i.Keychain.Backend}, i.env...)
}

// Err reports a daemon that died before Stop, nil while all run.
func (i *Instance) Err() error {
	if i.err == nil {
		return nil
	}
	return i.err()
}

// Stop ends every process the instance started and removes what it left
// in the keychain. Safe to call twice.
func (i *Instance) Stop() error { return i.stop() }

// RequireKeychain skips the test when the keychain called name cannot run
// here, or under -short (pass testing.Short()) when it needs a daemon;
// with CI=true a keychain that cannot run fails the test instead.
func RequireKeychain(t TB, name string, short bool) Keychain {
	t.Helper()
	k, ok := Lookup(name)
	if !ok {
		t.Fatal("keychaintest: no keychain called " + name)
	}
	require(t, short && k.Daemon, k.Name, k.Available())
	return k
}

// StartKeychain calls RequireKeychain, starts a private instance in a fresh
// temporary directory and stops it (and removes the directory) when the
// test ends. A daemon that died before then fails the test.
func StartKeychain(t TB, name string, short bool) *Instance {
	t.Helper()
	return startManaged(t, RequireKeychain(t, name, short).Start)
}

// NewKeyctlRing returns the name of a fresh test keyring, unique to this
// process and call: "docker-credential-pat-test-<pid>-<random>".
func NewKeyctlRing() string {
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("docker-credential-pat-test-%d-%s", os.Getpid(), hex.EncodeToString(b))
}

// checkRing refuses a keyring that is not a test keyring, so that no test
// ever removes the user's real one.
func checkRing(ring string) error {
	if !strings.HasPrefix(ring, "docker-credential-pat-test-") {
		return fmt.Errorf("keychaintest: %q is not a test keyring (docker-credential-pat-test-...)", ring)
	}
	return nil
}

func startKeyctl(dir string) (*Instance, error) {
	ring := NewKeyctlRing()
	return &Instance{
		// A session bus address where no bus listens: were the helper to
		// look for a Secret Service (backend auto), it would find none,
		// never the user's own on /run/user/<uid>/bus.
		env:  []string{KeyctlRingEnv + "=" + ring, "DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(dir, "no-bus")},
		stop: func() error { return RemoveKeyctlRing(ring) },
	}, nil
}

// secretService turns a starter of a Secret Service implementation into
// a Keychain's.
func secretService(start func(dir string) (*SecretService, error)) func(string) (*Instance, error) {
	return func(dir string) (*Instance, error) {
		ss, err := start(dir)
		if err != nil {
			return nil, err
		}
		return &Instance{SecretService: ss, env: ss.Env(), stop: ss.Stop, err: ss.Err}, nil
	}
}

// startWineKeychain starts a Wine prefix under dir and puts first on PATH
// a docker-credential-pat that runs the Windows build of the helper in it.
func startWineKeychain(dir string) (*Instance, error) {
	exe, err := WindowsHelper()
	if err != nil {
		return nil, err
	}
	w, err := StartWine(dir)
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o700); err != nil {
		return nil, errors.Join(err, w.Stop())
	}
	if _, err := w.WriteWrapper(bin, "docker-credential-pat", exe); err != nil {
		return nil, errors.Join(err, w.Stop())
	}
	return &Instance{
		env:  []string{"PATH=" + bin + string(filepath.ListSeparator) + os.Getenv("PATH")},
		stop: w.Stop,
		err:  w.Err,
	}, nil
}
