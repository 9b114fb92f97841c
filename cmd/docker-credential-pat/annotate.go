package main

import (
	"errors"
	"fmt"

	"github.com/docker-credential-pat/docker-credential-pat/credstore"
)

const annotateHelp = `Usage: docker-credential-pat annotate REGISTRY [--scope S]... [--description TEXT] [--expires DATE|DURATION|never]

Edit what is recorded about the token stored for REGISTRY. The token itself
is not touched. Give at least one flag; what is not given stays as it is.

Flags:
      --scope S               what the token may do; replaces the recorded list. Repeat
                              for several; --scope '' clears it. The form
                              repository:NAME:ACTIONS (repository:myteam/myapi:pull,push)
                              is understood; anything else is kept as free text
      --description TEXT      what the token is for; --description '' clears it
      --expires DATE|DURATION when the token expires: 2026-12-31 (the start of that day,
                              UTC), an RFC 3339 time, from now: 90d, 2w, 1y, 12h; or never
` + commonFlagsHelp + `
Examples:
  docker-credential-pat annotate docker.io --scope repository:alice/app:pull --expires 2026-12-31
  docker-credential-pat annotate ghcr.io --description 'CI pushes for myteam' --expires 30d
  docker-credential-pat annotate ghcr.io --scope '' --expires never
`

func runAnnotate(a *app, args []string) int {
	fs := a.flags("annotate")
	scopes := fs.StringArray("scope", nil, "")
	description := fs.String("description", "", "")
	expires := fs.String("expires", "", "")
	if code, ok := a.parse(fs, args, annotateHelp); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return a.usage("annotate", "annotate takes one registry")
	}
	registry := fs.Arg(0)
	m, err := parseMeta(fs, *scopes, *description, *expires, a.now())
	if err != nil {
		return a.usage("annotate", err.Error())
	}
	if !m.set["scope"] && !m.set["description"] && !m.set["expires"] {
		return a.usage("annotate", "nothing to change: give --scope, --description or --expires")
	}
	s, err := a.store()
	if err != nil {
		return a.fail(err, "")
	}
	e, err := s.Annotate(registry, func(e *credstore.Entry) error { m.apply(e); return nil })
	if errors.Is(err, credstore.ErrNotFound) {
		return a.notFound(registry)
	}
	if err != nil {
		return a.fail(err, "")
	}
	a.warn(credstore.Warning{Message: fmt.Sprintf("updated %s", who(e))})
	return 0
}
