package main

import (
	"os"

	"github.com/docker-credential-pat/docker-credential-pat/credstore"
)

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
      --docker-config DIR docker's configuration directory, which must exist
                          (default: $DOCKER_CONFIG or ~/.docker)
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
	// A directory that is not there is not created: the value may be a
	// mistyped path or a pasted token, and is not echoed either.
	if st, err := os.Stat(*dir); fs.Changed("docker-config") && (err != nil || !st.IsDir()) {
		return a.usage("setup", "--docker-config must name an existing directory; nothing was written")
	}
	s, err := a.store()
	if err != nil {
		return a.fail(err, "")
	}
	said, err := s.Setup(credstore.SetupOptions{DockerConfigDir: *dir, Migrate: *migrate})
	for _, w := range said {
		a.warn(credstore.Warning{Message: clean(w.Message), Hint: clean(w.Hint)})
	}
	if err != nil {
		return a.fail(err, "")
	}
	return 0
}
