package main

import (
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/when"
)

const pruneHelp = `Usage: docker-credential-pat prune [--expired] [--unused-for DURATION] [--dry-run]

Remove the tokens that have expired, or that have not been used for a
while, and say where to revoke each at its provider. A token matching any
of the flags given is removed. Reading every credential at once (docker
build does) is not a use; a token never used counts from when it was stored.

Flags:
      --expired               remove expired tokens
      --unused-for DURATION   remove tokens not used for DURATION: 90d, 2w, 1y (m is minutes: write months as days)
      --dry-run               only list what would be removed
` + commonFlagsHelp + `
Examples:
  docker-credential-pat prune --expired
  docker-credential-pat prune --unused-for 90d --dry-run
  docker-credential-pat prune --expired --unused-for 1y
`

func runPrune(a *app, args []string) int {
	fs := a.flags("prune")
	expired := fs.Bool("expired", false, "")
	unused := fs.String("unused-for", "", "")
	dryRun := fs.Bool("dry-run", false, "")
	if code, ok := a.parse(fs, args, pruneHelp); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return a.usage("prune", "prune takes no arguments: to remove one token, use rm")
	}
	f := credstore.Filter{Expired: *expired}
	var err error
	if f.UnusedFor, err = durationFlag(fs, "unused-for", *unused); err != nil {
		return a.usage("prune", err.Error())
	}
	if f.IsZero() {
		return a.usage("prune", "say what to prune: --expired, --unused-for DURATION, or both")
	}
	s, err := a.store()
	if err != nil {
		return a.fail(err, "")
	}
	now := a.now()
	pruned, err := s.Prune(f, *dryRun)
	verb := "removed "
	if *dryRun {
		verb = "would remove "
	}
	for _, e := range pruned {
		a.warn(credstore.Warning{Message: verb + who(e) + ": " + pruneReason(e, f, now), Hint: credstore.RevokeHint(e)})
	}
	if err != nil {
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range joined.Unwrap() {
				a.fail(e, "")
			}
			return 1
		}
		return a.fail(err, "")
	}
	if len(pruned) == 0 {
		a.warn(credstore.Warning{Message: "nothing to prune"})
	}
	return 0
}

// pruneReason says why e matched f.
func pruneReason(e *credstore.Entry, f credstore.Filter, now time.Time) string {
	if f.Expired && e.Expired(now) {
		return "expired " + when.Relative(*e.ExpiresAt, now)
	}
	if e.LastUsedAt == nil {
		return "never used, stored " + when.Relative(e.CreatedAt, now)
	}
	return "last used " + when.Relative(*e.LastUsedAt, now)
}
