package main

import (
	"sort"

	"github.com/docker-credential-pat/docker-credential-pat/credstore"
)

const lsHelp = `Usage: docker-credential-pat ls [--json] [--expired] [--expiring-within DURATION] [--unused-for DURATION]

List the stored tokens: registry, username, provider and kind, scope, expiry,
last use and use count. Never the tokens themselves.

Expired tokens show "expired ... ago"; tokens expiring within 7 days are
marked "(soon)". Reading every credential at once (docker build does) is
not counted as a use.

With filters, only the tokens matching any of them are listed.

Flags:
      --json                      print a JSON array of entry objects (times in RFC 3339 UTC or null)
      --expired                   tokens that have expired
      --expiring-within DURATION  tokens not yet expired that expire within DURATION (90d, 2w, 12h)
      --unused-for DURATION       tokens not used for DURATION (never used: since they were stored)
` + commonFlagsHelp + `
Examples:
  docker-credential-pat ls
  docker-credential-pat ls --expiring-within 14d
  docker-credential-pat ls --unused-for 90d
  docker-credential-pat ls --json | jq -r '.[] | select(.useCount == 0) | .serverURL'
`

func runLs(a *app, args []string) int {
	fs := a.flags("ls")
	asJSON := fs.Bool("json", false, "")
	expired := fs.Bool("expired", false, "")
	expiring := fs.String("expiring-within", "", "")
	unused := fs.String("unused-for", "", "")
	if code, ok := a.parse(fs, args, lsHelp); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return a.usage("ls", "ls takes no arguments")
	}
	f := credstore.Filter{Expired: *expired}
	var err error
	if f.ExpiringWithin, err = durationFlag(fs, "expiring-within", *expiring); err != nil {
		return a.usage("ls", err.Error())
	}
	if f.UnusedFor, err = durationFlag(fs, "unused-for", *unused); err != nil {
		return a.usage("ls", err.Error())
	}
	s, err := a.store()
	if err != nil {
		return a.fail(err, "")
	}
	all, err := s.Entries()
	if err != nil {
		return a.fail(err, "")
	}
	now := a.now()
	var shown []*credstore.Entry
	for _, e := range all {
		if f.Match(e, now) {
			shown = append(shown, e)
		}
	}
	sort.SliceStable(shown, func(i, j int) bool {
		ri, rj := shown[i].Registry(), shown[j].Registry()
		return ri < rj || ri == rj && shown[i].Key < shown[j].Key
	})
	if *asJSON {
		if err := writeJSON(a.stdout, shown); err != nil {
			return a.fail(err, "")
		}
		return 0
	}
	switch {
	case len(all) == 0:
		a.warn(credstore.Warning{Message: "no tokens stored yet",
			Hint: "docker login REGISTRY, or: " + name + " add REGISTRY --username NAME"})
		return 0
	case len(shown) == 0:
		a.warn(credstore.Warning{Message: "no tokens match"})
		return 0
	}
	if err := entryTable(a.stdout, shown, now); err != nil {
		return a.fail(err, "")
	}
	return 0
}
