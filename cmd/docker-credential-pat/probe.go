package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore"
)

const probeHelp = `Usage: docker-credential-pat probe REGISTRY --repository REPO [--json] [--timeout DURATION]

Ask REGISTRY which actions the token stored for it is granted on REPO, the
way docker's token flow does: GET /v2/, then the token endpoint its
challenge names with scope repository:REPO:pull,push,delete. The granted
actions are printed and recorded as the token's scope for REPO
(repository:REPO:ACTIONS), replacing what was recorded for REPO before.

Registries that use Basic auth only do not say what a credential may do:
probe reports whether they accept it and leaves the scope as it is.

REGISTRY without a scheme is reached over https; a registry on this
machine (localhost, 127.0.0.1, ::1) that answers in plain HTTP is retried
over http, as docker does. The token is sent only to the registry and its
token endpoint, never over plain HTTP unless both are on this machine, and
never along a redirect to another scheme, host or port. Probing counts
as a use of the token, by "docker-credential-pat probe".

Flags:
      --repository REPO   the repository to ask about, e.g. myteam/myapi (required)
      --json              print the result as a JSON object
      --timeout DURATION  bound on the whole probe (default 30s)
` + commonFlagsHelp + `
Examples:
  docker-credential-pat probe ghcr.io --repository myteam/myapi
  docker-credential-pat probe docker.io --repository alice/app --json
  docker-credential-pat probe localhost:5000 --repository team/app
`

// probeJSON is what probe --json prints.
type probeJSON struct {
	Registry      string   `json:"registry"`
	Repository    string   `json:"repository"`
	Endpoint      string   `json:"endpoint"`
	Scheme        string   `json:"scheme"`
	Authenticated bool     `json:"authenticated"`
	Granted       []string `json:"granted"`
	Scope         string   `json:"scope"`
	Recorded      bool     `json:"recorded"`
	EntryScope    []string `json:"entryScope"`
}

func runProbe(a *app, args []string) int {
	fs := a.flags("probe")
	repo := fs.String("repository", "", "")
	asJSON := fs.Bool("json", false, "")
	timeoutText := fs.String("timeout", "30s", "")
	if code, ok := a.parse(fs, args, probeHelp); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return a.usage("probe", "probe takes one registry")
	}
	if *repo == "" {
		return a.usage("probe", "name the repository: --repository REPO")
	}
	timeout, err := time.ParseDuration(*timeoutText)
	if err != nil || timeout <= 0 {
		return a.usage("probe", "--timeout: want a duration such as 30s")
	}
	registry := fs.Arg(0)
	if !looksLikeRegistry(registry) {
		return a.usage("probe", "that is not a registry address: want a host name with a dot or a port, or localhost, such as ghcr.io")
	}
	s, err := a.store()
	if err != nil {
		return a.fail(err, "")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res, err := s.ProbeStored(ctx, nil, registry, *repo)
	if errors.Is(err, credstore.ErrNotFound) {
		return a.notFound(registry)
	}
	if err != nil {
		return a.fail(fmt.Errorf("probe %s: %w", showArg(registry), err), "")
	}
	return a.showProbe(res, *asJSON)
}

// showProbe prints what the probe found: JSON on stdout, or a table there
// and what was recorded on stderr.
func (a *app) showProbe(res credstore.ProbeReport, asJSON bool) int {
	e := res.Entry
	if asJSON {
		out := probeJSON{Registry: res.Registry, Repository: res.Repository, Endpoint: res.Endpoint, Scheme: res.Scheme,
			Authenticated: res.Authenticated, Granted: res.Granted, Scope: res.Scope, Recorded: res.Recorded, EntryScope: e.Scope}
		if out.Granted == nil {
			out.Granted = []string{}
		}
		if out.EntryScope == nil {
			out.EntryScope = []string{}
		}
		if err := writeJSON(a.stdout, out); err != nil {
			return a.fail(err, "")
		}
		return 0
	}
	t := newTable(a.stdout, "Registry:", clean(e.Registry()))
	line := func(k, v string) { t.row(k+":", v) }
	line("Username", orDash(clean(e.Username)))
	line("Repository", clean(res.Repository))
	line("Endpoint", clean(res.Endpoint))
	switch res.Scheme {
	case "bearer":
		line("Auth", "token ("+clean(res.Realm)+")")
		if len(res.Granted) == 0 {
			line("Granted", "nothing")
		} else {
			line("Granted", strings.Join(res.Granted, ", "))
		}
	case "basic":
		accepted := "the registry accepted the token"
		if !res.Authenticated {
			accepted = "not checked"
		}
		line("Auth", "basic only: "+accepted)
		line("Granted", "unknown: a Basic-auth registry does not say what a token may do")
	default:
		line("Auth", "none: the registry asks for no credentials")
		line("Granted", "unknown")
	}
	if err := t.flush(); err != nil {
		return a.fail(err, "")
	}
	switch {
	case res.Recorded && res.Scope != "":
		a.warn(credstore.Warning{Message: "recorded the scope " + clean(res.Scope) + " for " + who(e)})
	case res.Recorded:
		a.warn(credstore.Warning{Message: fmt.Sprintf("the token for %s is granted nothing on %s; recorded no scope for it", who(e), clean(res.Repository)),
			Hint: "check the token's permissions at its provider, or the repository name"})
	default:
		a.warn(credstore.Warning{Message: "scope unchanged: " + clean(res.Endpoint) + " does not say what a token may do",
			Hint: "record it by hand: " + name + " annotate " + clean(e.Registry()) + " --scope repository:" + clean(res.Repository) + ":ACTIONS"})
	}
	return 0
}
