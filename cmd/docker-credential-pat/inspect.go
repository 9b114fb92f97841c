package main

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore"
)

const inspectHelp = `Usage: docker-credential-pat inspect REGISTRY [--json]

Show everything known about the token stored for REGISTRY: provider and
kind, scope, description, when it was stored and updated, when it expires,
when and by what it was last used, how often, the fingerprint (a keyed
hash, under a random key kept in the keychain, that tells tokens apart
without revealing them, even a weak one), the keychain backend holding it
and where to revoke it. Never the token itself.

Flags:
      --json              print the entry object (times in RFC 3339 UTC or null)
` + commonFlagsHelp + `
Examples:
  docker-credential-pat inspect ghcr.io
  docker-credential-pat inspect docker.io --json
`

func runInspect(a *app, args []string) int {
	fs := a.flags("inspect")
	asJSON := fs.Bool("json", false, "")
	if code, ok := a.parse(fs, args, inspectHelp); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return a.usage("inspect", "inspect takes one registry")
	}
	registry := fs.Arg(0)
	s, err := a.store()
	if err != nil {
		return a.fail(err, "")
	}
	e, err := s.Lookup(registry)
	if errors.Is(err, credstore.ErrNotFound) {
		return a.notFound(registry)
	}
	if err != nil {
		return a.fail(err, "")
	}
	if *asJSON {
		if err := writeJSON(a.stdout, e); err != nil {
			return a.fail(err, "")
		}
		return 0
	}
	if err := inspectText(a, e, a.now()); err != nil {
		return a.fail(err, "")
	}
	return 0
}

// inspectText writes one entry as aligned "Key: value" lines.
func inspectText(a *app, e *credstore.Entry, now time.Time) error {
	t := newTable(a.stdout, "Registry:", clean(e.Registry()))
	line := func(k, v string) { t.row(k+":", v) }
	line("Server URL", clean(e.ServerURL))
	line("Username", orDash(clean(e.Username)))
	line("Provider", orDash(clean(e.Provider)))
	line("Kind", orDash(clean(e.Kind)))
	if e.Confidence != "" {
		line("Confidence", clean(e.Confidence))
	}
	label := "Scope:"
	if len(e.Scope) == 0 {
		t.row(label, "-")
	}
	for _, sc := range e.Scope {
		t.row(label, clean(sc))
		label = ""
	}
	line("Description", orDash(clean(e.Description)))
	line("Created", absTime(e.CreatedAt, now))
	line("Updated", absTime(e.UpdatedAt, now))
	switch {
	case e.ExpiresAt == nil:
		line("Expires", "never")
	case e.Expired(now):
		line("Expires", absTime(*e.ExpiresAt, now)+", expired")
	case e.ExpiresAt.Sub(now) <= soonWindow:
		line("Expires", absTime(*e.ExpiresAt, now)+", soon")
	default:
		line("Expires", absTime(*e.ExpiresAt, now))
	}
	if e.LastUsedAt == nil {
		line("Last used", "never")
	} else {
		used := absTime(*e.LastUsedAt, now)
		if e.LastUsedBy != "" {
			used += " by " + clean(e.LastUsedBy)
		}
		line("Last used", used)
	}
	line("Uses", strconv.FormatInt(e.UseCount, 10))
	bulk := strconv.FormatInt(e.BulkReads, 10)
	if e.LastBulkReadAt != nil {
		bulk += ", last " + absTime(*e.LastBulkReadAt, now)
	}
	line("Bulk reads", bulk)
	line("Fingerprint", orDash(clean(e.Fingerprint)))
	line("Backend", orDash(clean(e.Backend)))
	if e.State != "" {
		line("State", fmt.Sprintf("%s (an interrupted change; the next write finishes it)", clean(e.State)))
	}
	if url := credstore.RevokeURL(e); url != "" {
		line("Revoke at", url)
	} else {
		line("Revoke", credstore.RevokeHint(e))
	}
	return t.flush()
}
