// Package startup is the helper's start-up work, done from one init that
// runs before most packages' inits (it imports syscall and this module's
// syscall-only packages; inits run in the order of their import paths
// where their imports allow), in the order that pays:
//
//  1. When the process is docker's get on the Secret Service, its
//     connection to the session bus, with the handshake, Hello and the
//     greeting, goes out first (package earlybus). dbus-daemon and the
//     Secret Service answer it, on the other core, while this process
//     maps itself in and runs the other inits, and package keychain takes
//     the connection over when the get needs it (the same socket, the
//     same bytes). This is what the get would send a millisecond later
//     (credstore's warmUp), and nothing more: no secret, no call that
//     needs the Secret Service's per-client state.
//  2. The code, read-only data and first stretch of heap are mapped in
//     (package prefault).
//
// The helper's main package imports it for that side effect.
package startup

import (
	"syscall"

	"github.com/docker-credential-pat/docker-credential-pat/cmd/internal/prefault"
	"github.com/docker-credential-pat/docker-credential-pat/keychain/earlybus"
)

func init() {
	if socket, ok := busForGet(syscall.Getenv, readCmdline, readState); ok {
		earlybus.Dial(socket, earlybus.Handshake(syscall.Geteuid(), earlybus.Greeting))
	}
	prefault.Populate()
}

// The names credstore and keychain use (TestNamesMatch).
const (
	envBackend    = "DOCKER_CREDENTIAL_PAT_BACKEND"
	envStateDir   = "DOCKER_CREDENTIAL_PAT_STATE_DIR"
	stateDirName  = "docker-credential-pat"
	backendFile   = "backend"
	secretService = "secretservice"
	busEnv        = "DBUS_SESSION_BUS_ADDRESS"
)

// busForGet returns the session bus's socket when args are docker's get
// (the program and "get", nothing else) on the Secret Service: the
// backend in the environment, or, when that is unset or auto, the one
// auto chose last (the state directory's backend file, as readState
// reads it); and the environment names the bus, a unix socket. That is
// when credstore's warmUp connects. Anything else, a get run by hand with
// flags among them, leaves connecting to the get. Every command runs
// this: the environment is looked at first, then the arguments (read from
// /proc), and the state file last, for a get only.
func busForGet(getenv func(string) (string, bool), args func() []string, readState func(path string) string) (string, bool) {
	addr, _ := getenv(busEnv)
	socket, ok := earlybus.Socket(addr)
	if !ok {
		return "", false
	}
	backend, _ := getenv(envBackend)
	if backend != secretService && backend != "" && backend != "auto" {
		return "", false
	}
	if a := args(); len(a) != 2 || a[1] != "get" {
		return "", false
	}
	if backend != secretService {
		dir, ok := stateDir(getenv)
		if !ok || readState(dir+"/"+backendFile) != secretService {
			return "", false
		}
	}
	return socket, true
}

// stateDir is credstore.DefaultStateDir: $DOCKER_CREDENTIAL_PAT_STATE_DIR,
// or docker-credential-pat in os.UserConfigDir on Linux ($XDG_CONFIG_HOME
// if absolute, else $HOME/.config).
func stateDir(getenv func(string) (string, bool)) (string, bool) {
	if d, _ := getenv(envStateDir); d != "" {
		return d, true
	}
	base, _ := getenv("XDG_CONFIG_HOME")
	switch {
	case base == "":
		home, _ := getenv("HOME")
		if home == "" {
			return "", false
		}
		base = home + "/.config"
	case base[0] != '/':
		return "", false
	}
	return base + "/" + stateDirName, true
}

// trimSpace is strings.TrimSpace for ASCII (package strings would put this
// package's init after unicode's tables).
func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t' || s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}
