package main

import (
	"fmt"
	"maps"
	"os/exec"
	"slices"

	"github.com/docker-credential-pat/docker-credential-pat/credstore"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/dockerconfig"
)

func init() { commands["setup"] = &command{run: runSetup, help: setupHelp} }

const setupHelp = `Usage: docker-credential-pat setup [--migrate] [--docker-config DIR]

Make docker keep credentials with docker-credential-pat: set "credsStore": "pat"
in docker's config.json. Every other key stays as it is; the previous file is
kept beside it as config.json.bak-<time>, and the new one replaces it
atomically.

With --migrate, the credentials docker left in plain text in config.json
(auths entries with "auth" or "identitytoken") move into the keychain when
they are access tokens, and leave config.json. Passwords stay where they
are, listed with how to replace each by a token. Nothing is lost if it is
interrupted: every token is in the keychain before config.json changes.
Without --migrate, docker no longer reads those plain-text credentials once
credsStore is set: migrate them, or log in again.

Flags:
      --migrate           move plain-text tokens from config.json into the keychain
      --docker-config DIR docker's configuration directory (default: $DOCKER_CONFIG or ~/.docker)
` + commonFlagsHelp + `
Examples:
  docker-credential-pat setup
  docker-credential-pat setup --migrate
  docker-credential-pat setup --migrate --docker-config /home/ci/.docker
`

func runSetup(a *app, args []string) int {
	fs := a.flags("setup")
	migrate := fs.Bool("migrate", false, "")
	dir := fs.String("docker-config", "", "")
	if code, ok := a.parse(fs, args, setupHelp); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return a.usage("setup", "setup takes no arguments")
	}
	if fs.Changed("docker-config") && *dir == "" {
		return a.usage("setup", "--docker-config needs a directory")
	}
	if *dir == "" {
		d, err := dockerconfig.DockerConfigDir()
		if err != nil {
			return a.fail(err, "")
		}
		*dir = d
	}
	cfg, err := dockerconfig.LoadDockerConfig(*dir)
	if err != nil {
		return a.fail(err, "")
	}
	prev := cfg.CredsStore()
	var res dockerconfig.MigrateResult
	if *migrate {
		s, err := a.store()
		if err != nil {
			return a.storeErr(err)
		}
		res, err = dockerconfig.Migrate(cfg, s, credstore.HelperName)
		if err != nil {
			return a.fail(err, "")
		}
		for _, k := range res.Moved {
			a.warn(credstore.Warning{Message: "moved the credentials for " + clean(k) + " into the keychain"})
		}
		for _, k := range res.Kept {
			who := clean(k.ServerURL)
			if k.Username != "" {
				who += " (" + clean(k.Username) + ")"
			}
			a.warn(credstore.Warning{Message: "kept " + who + " in config.json: " + clean(k.Reason), Hint: clean(k.Hint)})
		}
	} else {
		cfg.SetCredsStore(credstore.HelperName)
		if err := cfg.Save(); err != nil {
			return a.fail(err, "")
		}
		res.Backup = cfg.Backup()
		if prev != "" && prev != credstore.HelperName {
			res.PreviousCredsStore = prev
		}
	}

	switch {
	case prev == credstore.HelperName && res.Backup == "":
		a.warn(credstore.Warning{Message: fmt.Sprintf(`%s already says "credsStore": "pat"`, cfg.Path())})
	case res.Backup != "" && len(res.Moved) > 0:
		a.warn(credstore.Warning{
			Message: fmt.Sprintf(`set "credsStore": "pat" in %s; the previous file, %s, still holds the moved credentials in plain text`, cfg.Path(), res.Backup),
			Hint:    "once docker works, delete it: rm " + res.Backup,
		})
	case res.Backup != "":
		a.warn(credstore.Warning{Message: fmt.Sprintf(`set "credsStore": "pat" in %s (the previous file is %s)`, cfg.Path(), res.Backup)})
	default:
		a.warn(credstore.Warning{Message: fmt.Sprintf(`created %s with "credsStore": "pat"`, cfg.Path())})
	}
	if res.PreviousCredsStore != "" {
		a.warn(credstore.Warning{
			Message: fmt.Sprintf("credsStore was %q: docker no longer reads the credentials docker-credential-%s holds", res.PreviousCredsStore, res.PreviousCredsStore),
			Hint:    "log in again to each registry: docker login REGISTRY",
		})
	}
	if !*migrate {
		if plain, _ := cfg.PlaintextAuths(); len(plain) > 0 {
			a.warn(credstore.Warning{
				Message: fmt.Sprintf("%d credential(s) remain in plain text in config.json; docker no longer reads them", len(plain)),
				Hint:    "docker-credential-pat setup --migrate",
			})
		}
	}
	helpers := cfg.CredHelpers()
	for _, reg := range slices.Sorted(maps.Keys(helpers)) {
		if h := helpers[reg]; h != credstore.HelperName {
			a.warn(credstore.Warning{
				Message: fmt.Sprintf("credHelpers sends %s to docker-credential-%s: docker-credential-pat does not see it", clean(reg), clean(h)),
				Hint:    "to keep it here too, remove " + clean(reg) + " from credHelpers in " + cfg.Path(),
			})
		}
	}
	if _, err := exec.LookPath(credstore.HelperProgram); err != nil {
		a.warn(credstore.Warning{
			Message: credstore.HelperProgram + " is not on PATH: docker fails every pull and push until it is",
			Hint:    "sudo install -m 0755 " + credstore.HelperProgram + " /usr/local/bin/",
		})
	}
	return 0
}
