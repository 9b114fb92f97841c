package credstore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/hint"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/probe"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
)

// ProbeReport is what ProbeStored learned and did.
type ProbeReport struct {
	probe.Result
	// Entry is the entry as recorded, or as it was if nothing was.
	Entry *Entry
	// Recorded reports that the registry said what the token may do on
	// Repository and the entry's scope for it was replaced by Scope.
	Recorded bool
}

// ProbeStored asks registry which actions the token stored for it is
// granted on repository (see probe.Run) and records the answer as the entry's
// scope for that repository, replacing what was recorded for it: the
// distribution form repository:REPO:ACTIONS, or nothing when the registry
// grants nothing there. Registries that use Basic auth only, or none, do
// not say what a credential may do: the scope is left as it is.
//
// Sending the token counts as a use, by "PROGRAM probe". An expired entry
// is not probed. ctx bounds the whole probe; client nil is
// probe.NewClient(). The report's Entry is nil only when there is none.
func (s *Store) ProbeStored(ctx context.Context, client *http.Client, registry, repository string) (ProbeReport, error) {
	res, e, err := s.probeStored(ctx, client, registry, repository)
	if errors.Is(err, probe.ErrScopeUnknown) {
		err = hint.Wrap(err, "set the scope by hand: "+s.Command("annotate "+registryurl.Display(res.Registry)+" --scope "+res.Asked))
	}
	return ProbeReport{Result: res, Entry: e, Recorded: err == nil && res.Scheme == "bearer"}, s.Own(err)
}

func (s *Store) probeStored(ctx context.Context, client *http.Client, registry, repository string) (probe.Result, *Entry, error) {
	e, err := s.Lookup(registry)
	if err != nil {
		return probe.Result{}, nil, err
	}
	now := s.now().UTC()
	if e.Expired(now) {
		return probe.Result{}, e, hint.Wrap(
			fmt.Errorf("the token for %s expired at %s", e.Who(), e.ExpiresAt.Format(time.RFC3339)),
			fmt.Sprintf("create a new token, then: docker login -u %s --password-stdin %s", e.Username, e.Registry()))
	}
	b, err := s.backendFor(e.Backend)
	if err != nil {
		return probe.Result{}, e, err
	}
	item, err := b.Get(s.ctx, e.Key)
	if errors.Is(err, keychain.ErrNotFound) {
		return probe.Result{}, e, hint.Wrap(fmt.Errorf("the keychain no longer holds the token for %s", e.Registry()),
			s.Command("doctor --repair")+", then log in again: docker login "+e.Registry())
	}
	if err != nil {
		return probe.Result{}, e, err
	}
	p, err := decodePayload(item)
	if err != nil {
		return probe.Result{}, e, fmt.Errorf("the keychain item for %s: %w", e.Registry(), err)
	}
	target := registry
	if !strings.Contains(registry, "://") && strings.HasPrefix(strings.ToLower(e.ServerURL), "http://") {
		target = e.ServerURL // stored as plain HTTP on purpose
	}
	res, perr := probe.Run(ctx, client, target, p.Username, token.NewSecret(p.Secret), repository)
	sent := res.Scheme == "bearer" || res.Scheme == "basic" && !token.NewSecret(p.Secret).IsZero()
	record := perr == nil && res.Scheme == "bearer"
	if !sent && !record {
		return res, e, perr
	}
	var out *Entry
	err = s.locked(func(x *index) error {
		cur, err := x.get(e.Key)
		if err != nil || cur == nil || !cur.listable() || cur.Fingerprint != e.Fingerprint {
			return err // replaced or removed meanwhile: nothing of ours to record
		}
		c := *cur
		if err := s.updateUse(&c, func(c *Entry) {
			c.UseCount++
			c.LastUsedAt, c.LastUsedBy = timePtr(now), s.Command("probe")
		}); err != nil {
			return err
		}
		out = &c
		if !record {
			return nil
		}
		c.Scope = replaceRepositoryScope(cur.Scope, res.Repository, res.Scope)
		c.UpdatedAt = now
		x.put(&c)
		return x.write(true)
	})
	if err != nil && perr == nil {
		return res, e, err
	}
	if out == nil {
		out = e
	}
	return res, out, perr
}

// replaceRepositoryScope returns scopes without those naming repository in
// the distribution form, plus scope if it is not "".
func replaceRepositoryScope(scopes []string, repository, scope string) []string {
	out := []string{}
	for _, s := range scopes {
		if sc, err := token.ParseScope(s); err == nil && sc.Type == "repository" && sc.Name == repository {
			continue
		}
		out = append(out, s)
	}
	if scope != "" {
		out = append(out, scope)
	}
	return out
}
