package main

import (
	"errors"
	"fmt"

	"github.com/docker-credential-pat/docker-credential-pat/credstore"
)

const rmHelp = `Usage: docker-credential-pat rm REGISTRY...

Remove the tokens stored for each REGISTRY from this machine, as docker
logout does, and say where to revoke each at its provider: a removed token
still works until it is revoked there.

Flags:
` + commonFlagsHelp + `
Examples:
  docker-credential-pat rm ghcr.io
  docker-credential-pat rm docker.io registry.example.com:5000
`

func runRm(a *app, args []string) int {
	fs := a.flags("rm")
	if code, ok := a.parse(fs, args, rmHelp); !ok {
		return code
	}
	if fs.NArg() == 0 {
		return a.usage("rm", "name at least one registry")
	}
	s, err := a.store()
	if err != nil {
		return a.fail(err, "")
	}
	code := 0
	for _, registry := range fs.Args() {
		e, err := s.Remove(registry)
		switch {
		case errors.Is(err, credstore.ErrNotFound):
			code = a.notFound(registry)
		case err != nil:
			code = a.fail(fmt.Errorf("%s: %w", showArg(registry), err), "")
		default:
			a.warn(credstore.Warning{Message: "removed " + who(e) + " from this machine", Hint: credstore.RevokeHint(e)})
		}
	}
	return code
}
