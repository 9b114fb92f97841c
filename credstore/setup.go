package credstore

import (
	"fmt"
	"maps"
	"os/exec"
	"runtime"
	"slices"
	"strings"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/dockerconfig"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/when"
)

// SetupOptions configure Setup. Zero values mean the defaults.
type SetupOptions struct {
	// DockerConfigDir holds config.json; default dockerconfig.DockerConfigDir().
	DockerConfigDir string
	// Migrate moves config.json's plaintext credentials into the store.
	Migrate bool
	// LookPath finds a program on PATH; default exec.LookPath.
	LookPath func(file string) (string, error)
}

// Setup makes docker keep credentials with this helper: it sets
// "credsStore": "pat" in config.json (see dockerconfig.DockerConfig.Save
// for the backup and the atomic write) and, with opts.Migrate, first moves
// the plaintext credentials into the store (see dockerconfig.Migrate).
//
// It returns, in order, what a person should be told: what moved, what was
// kept and why, what changed in config.json, and what still stands in the
// way (plaintext left behind, registries sent to other helpers, this
// program missing from PATH). An error means config.json was not changed,
// or, when migrating, that running Setup again finishes the job.
func (s *Store) Setup(opts SetupOptions) ([]Warning, error) {
	if opts.LookPath == nil {
		opts.LookPath = exec.LookPath
	}
	dir := opts.DockerConfigDir
	if dir == "" {
		d, err := dockerconfig.DockerConfigDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	cfg, err := dockerconfig.LoadDockerConfig(dir)
	if err != nil {
		return nil, err
	}
	var out []Warning
	say := func(hint, format string, args ...any) {
		out = append(out, Warning{Message: fmt.Sprintf(format, args...), Hint: hint})
	}
	prev := cfg.CredsStore()
	var res dockerconfig.MigrateResult
	if opts.Migrate {
		res, err = dockerconfig.Migrate(cfg, s, HelperName)
		if err != nil {
			return nil, err
		}
		for _, k := range res.Moved {
			say("", "moved the credentials for %s into the keychain", k)
		}
		for _, k := range res.Kept {
			say(k.Hint, "kept %s in config.json: %s", who(k.ServerURL, k.Username), k.Reason)
		}
	} else {
		cfg.SetCredsStore(HelperName)
		if err := cfg.Save(); err != nil {
			return nil, err
		}
		res.Backup = cfg.Backup()
		if prev != "" && prev != HelperName {
			res.PreviousCredsStore = prev
		}
	}

	switch {
	case prev == HelperName && res.Backup == "":
		say("", `%s already says "credsStore": "pat"`, cfg.Path())
	case res.Backup != "" && len(res.Moved) > 0:
		say("once docker works, delete it: rm "+res.Backup,
			`set "credsStore": "pat" in %s; the previous file, %s, still holds the moved credentials in plain text`, cfg.Path(), res.Backup)
	case res.Backup != "":
		say("", `set "credsStore": "pat" in %s (the previous file is %s)`, cfg.Path(), res.Backup)
	default:
		say("", `created %s with "credsStore": "pat"`, cfg.Path())
	}
	if p := res.PreviousCredsStore; p != "" {
		say("log in again to each registry: docker login REGISTRY",
			"credsStore was %q: docker no longer reads the credentials docker-credential-%s holds", p, p)
	}
	if !opts.Migrate {
		if plain, _ := cfg.PlaintextAuths(); len(plain) > 0 {
			say(s.Command("setup --migrate"),
				"%s still in plain text in config.json, where docker no longer looks", when.Plural(len(plain), "credential"))
		}
	}
	for _, h := range s.CredHelpers(cfg) {
		if h.Helper != HelperName {
			say("to keep it here too, remove "+h.Registry+" from credHelpers in "+cfg.Path(),
				"credHelpers sends %s to %s: %s does not see it", h.Registry, h.Program, s.program)
		}
	}
	if _, err := opts.LookPath(s.program); err != nil {
		say(InstallHint(s.program), "%s is not on PATH: docker fails every pull and push until it is", s.program)
	}
	return out, nil
}

// CredHelper is a credHelpers entry of config.json.
type CredHelper struct {
	Registry string // as config.json names it
	Helper   string // the helper's name, "pat" for this one
	Program  string // what docker runs: docker-credential-<helper>, or this program
}

// CredHelpers lists config.json's credHelpers, sorted by registry.
func (s *Store) CredHelpers(cfg *dockerconfig.DockerConfig) []CredHelper {
	helpers := cfg.CredHelpers()
	var out []CredHelper
	for _, reg := range slices.Sorted(maps.Keys(helpers)) {
		h := CredHelper{Registry: reg, Helper: helpers[reg], Program: "docker-credential-" + helpers[reg]}
		if h.Helper == HelperName {
			h.Program = s.program
		}
		out = append(out, h)
	}
	return out
}

// InstallHint says how to put program on PATH, as a command to paste on
// this system.
func InstallHint(program string) string { return installHintFor(runtime.GOOS, program) }

// installHintFor is InstallHint on goos. Windows: a PowerShell line, and a
// directory every user has on PATH without being an administrator.
// macOS: /usr/local/bin is on the default PATH (/etc/paths) but a new
// Apple silicon Mac may not have it yet.
func installHintFor(goos, program string) string {
	switch goos {
	case "windows":
		if !strings.HasSuffix(strings.ToLower(program), ".exe") {
			program += ".exe"
		}
		return `Copy-Item ` + program + ` "$env:LOCALAPPDATA\Microsoft\WindowsApps\"`
	case "darwin":
		return "sudo install -d /usr/local/bin && sudo install -m 0755 " + program + " /usr/local/bin/"
	default:
		return "sudo install -m 0755 " + program + " /usr/local/bin/"
	}
}
