package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/credstoretest"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

// TestScript runs the scripts in testdata/script against the real binary,
// once per keychain of keychaintest.Keychains (a subtest each): every
// script with a private keychain (its own kernel keyring, or its own
// daemon on a private D-Bus session), state directory and docker config.
// Under -short only the keychains that need no daemon run. A line that
// holds for some keychains only is guarded by [keychain:NAME] (gnome-keyring,
// keyctl, ...) or [backend:NAME] (secretservice, keyctl).
//
// Refusals (scripts named *_refusals or refuse_*) are turned away before
// the keychain is reached; they run on the kernel keyring and gnome-keyring
// only, sparing the slower daemons a start each.
func TestScript(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "script")
	all, err := filepath.Glob(filepath.Join(dir, "*.txtar"))
	if err != nil || len(all) == 0 {
		t.Fatalf("no scripts in %s (%v)", dir, err)
	}
	var keychainBound []string
	for _, f := range all {
		name := filepath.Base(f)
		if !strings.HasSuffix(name, "_refusals.txtar") && !strings.HasPrefix(name, "refuse_") {
			keychainBound = append(keychainBound, f)
		}
	}
	for _, k := range keychaintest.Keychains {
		t.Run(k.Name, func(t *testing.T) {
			keychaintest.RequireKeychain(t, k.Name, testing.Short())
			files := all
			if k.Daemon && k.Name != keychaintest.ImplGnomeKeyring {
				files = keychainBound
			}
			testscript.Run(t, testscript.Params{
				Files:               files,
				RequireExplicitExec: true,
				Setup:               func(env *testscript.Env) error { return setupScript(env, k) },
				Condition:           scriptCondition(k),
				Cmds:                scriptCmds,
			})
		})
	}
}

func setupScript(env *testscript.Env, k keychaintest.Keychain) error {
	// Not under WorkDir: a long path would not fit a unix socket's name.
	dir, err := os.MkdirTemp("", "dcp-ts-")
	if err != nil {
		return err
	}
	kc, err := k.Start(dir)
	if err != nil {
		os.RemoveAll(dir)
		return err
	}
	env.Defer(func() {
		err := errors.Join(kc.Err(), kc.Stop())
		os.RemoveAll(dir)
		if err != nil {
			env.T().Fatal(err)
		}
	})
	for _, kv := range kc.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env.Setenv(k, v)
	}
	env.Setenv("HOME", filepath.Join(env.WorkDir, "home"))
	env.Setenv("DOCKER_CREDENTIAL_PAT_STATE_DIR", filepath.Join(env.WorkDir, "state"))
	env.Setenv("DOCKER_CONFIG", filepath.Join(env.WorkDir, ".docker"))
	return nil
}

// scriptCondition answers [keychain:NAME] and [backend:NAME] for the
// keychain k the scripts run against, and [user-bus]: this user has a
// session bus at /run/user/UID/bus, which the helper finds when it is told
// of no other (a script must not then test "no bus": the helper would use
// the Secret Service of the person running the tests).
func scriptCondition(k keychaintest.Keychain) func(cond string) (bool, error) {
	return func(cond string) (bool, error) {
		what, name, ok := strings.Cut(cond, ":")
		switch {
		case cond == "user-bus":
			fi, err := os.Stat("/run/user/" + strconv.Itoa(os.Getuid()) + "/bus")
			return err == nil && fi.Mode().Type() == fs.ModeSocket, nil
		case ok && what == "keychain":
			if _, known := keychaintest.Lookup(name); !known {
				return false, fmt.Errorf("unknown keychain %q", name)
			}
			return name == k.Name, nil
		case ok && what == "backend":
			if !slices.Contains(keychain.BackendNames, name) {
				return false, fmt.Errorf("unknown backend %q", name)
			}
			return name == k.Backend, nil
		}
		return false, fmt.Errorf("unknown condition %q", cond)
	}
}

// scriptCmds are commands for the scripts beyond testscript's own.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	// expand SRC DST: copy SRC to DST with $VAR and ${VAR} replaced by
	// the script's environment (archive files are not expanded).
	"expand": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: expand SRC DST")
		}
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(os.Expand(ts.ReadFile(args[0]), ts.Getenv)), 0o600))
	},
	// gentoken KIND VAR [EXPIRES]: generate a token of KIND (ghp, dckr_pat,
	// jwt, ecr) into $VAR; jwt and ecr take an expiry as a Go duration from
	// now (default 1h; negative for an expired token).
	"gentoken": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) < 2 || len(args) > 3 {
			ts.Fatalf("usage: gentoken KIND VAR [EXPIRES]")
		}
		exp := time.Hour
		if len(args) == 3 {
			d, err := time.ParseDuration(args[2])
			ts.Check(err)
			exp = d
		}
		at := time.Now().Add(exp)
		var tok string
		switch args[0] {
		case "ghp":
			tok = credstoretest.GitHub("ghp_")
		case "dckr_pat":
			tok = credstoretest.DockerHubPAT()
		case "jwt":
			tok = credstoretest.JWT(map[string]any{"exp": at.Unix(), "access": []map[string]any{{"type": "repository", "name": "team/app", "actions": []string{"pull"}}}})
		case "ecr":
			tok = credstoretest.ECR(at)
		default:
			ts.Fatalf("gentoken: unknown kind %q", args[0])
		}
		ts.Setenv(args[1], tok)
	},
}
