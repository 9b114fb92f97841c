package startup

import (
	"syscall"
	"testing"

	"github.com/docker-credential-pat/docker-credential-pat/credstore"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
)

func TestNamesMatch(t *testing.T) {
	for _, c := range [][2]string{
		{envBackend, credstore.EnvBackend},
		{envStateDir, credstore.EnvStateDir},
		{backendFile, credstore.BackendFile},
		{secretService, keychain.NameSecretService},
	} {
		if c[0] != c[1] {
			t.Errorf("startup uses %q where credstore and keychain use %q", c[0], c[1])
		}
	}
}

// stateDir finds the directory credstore.DefaultStateDir does.
func TestStateDirMatchesCredstore(t *testing.T) {
	for _, env := range []map[string]string{
		{envStateDir: "/s/state", "XDG_CONFIG_HOME": "/x", "HOME": "/h"},
		{envStateDir: "", "XDG_CONFIG_HOME": "/x", "HOME": "/h"},
		{envStateDir: "", "XDG_CONFIG_HOME": "", "HOME": "/h"},
		{envStateDir: "", "XDG_CONFIG_HOME": "relative", "HOME": "/h"},
		{envStateDir: "", "XDG_CONFIG_HOME": "", "HOME": ""},
	} {
		for k, v := range env {
			t.Setenv(k, v)
		}
		want, err := credstore.DefaultStateDir()
		got, ok := stateDir(syscall.Getenv)
		if ok != (err == nil) || ok && got != want {
			t.Errorf("with %v: stateDir = %q, %v; credstore's is %q, %v", env, got, ok, want, err)
		}
	}
}

func TestBusForGet(t *testing.T) {
	const bus = "unix:path=/run/user/1000/bus,guid=0123"
	const stateFile = "/home/u/.config/docker-credential-pat/backend"
	base := map[string]string{"HOME": "/home/u", busEnv: bus}
	with := func(kv ...string) map[string]string {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return env
	}
	get := []string{"/usr/local/bin/docker-credential-pat", "get"}
	for _, c := range []struct {
		name  string
		args  []string
		env   map[string]string
		state string // the backend file's text
		want  bool
	}{
		{"secretservice in the environment", get, with(envBackend, "secretservice"), "", true},
		{"auto chose the Secret Service last", get, with(), "secretservice", true},
		{"auto named", get, with(envBackend, "auto"), "secretservice", true},
		{"auto chose the kernel keyring last", get, with(), "keyctl", false},
		{"auto has chosen nothing yet", get, with(), "", false},
		{"another backend", get, with(envBackend, "keyctl"), "secretservice", false},
		{"store", []string{"docker-credential-pat", "store"}, with(envBackend, "secretservice"), "", false},
		{"version with auto", []string{"docker-credential-pat", "version"}, with(), "secretservice", false},
		{"list", []string{"docker-credential-pat", "list"}, with(envBackend, "secretservice"), "", false},
		{"get with flags", []string{"docker-credential-pat", "--backend", "keyctl", "get"}, with(envBackend, "secretservice"), "", false},
		{"no arguments", nil, with(envBackend, "secretservice"), "", false},
		{"no bus in the environment", get, with(envBackend, "secretservice", busEnv, ""), "", false},
		{"a bus that is not a unix socket", get, with(envBackend, "secretservice", busEnv, "tcp:host=127.0.0.1,port=1"), "", false},
		{"no state directory", get, with("HOME", ""), "secretservice", false},
	} {
		getenv := func(k string) (string, bool) { v, ok := c.env[k]; return v, ok }
		read := func(path string) string {
			if path != stateFile {
				t.Errorf("%s: read %s, want %s", c.name, path, stateFile)
			}
			if len(c.args) != 2 || c.args[1] != "get" {
				t.Errorf("%s: read the state file for %q", c.name, c.args)
			}
			return c.state
		}
		args := func() []string { return c.args }
		socket, ok := busForGet(getenv, args, read)
		if ok != c.want || ok && socket != "/run/user/1000/bus" {
			t.Errorf("%s: busForGet = %q, %v; want %v", c.name, socket, ok, c.want)
		}
	}
}

func TestTrimSpace(t *testing.T) {
	for in, want := range map[string]string{"secretservice\n": "secretservice", " \t\r\n": "", "a b\r\n": "a b", "": ""} {
		if got := trimSpace(in); got != want {
			t.Errorf("trimSpace(%q) = %q, want %q", in, got, want)
		}
	}
}
