package credstore

import (
	"errors"
	"fmt"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
)

// This file holds the token lifecycle for people: annotate, remove and
// prune entries.

// Annotate edits the metadata of the entry for serverURL: edit may change
// scope, description and expiry; the token and what identifies it stay as
// they are. It returns the entry as written, or ErrNotFound.
func (s *Store) Annotate(serverURL string, edit func(*Entry) error) (*Entry, error) {
	return s.withEntry(serverURL, func(x *index, key string, cur *Entry) (*Entry, error) {
		if cur == nil || !cur.listable() {
			return nil, ErrNotFound
		}
		e := *cur
		e.Scope = append([]string{}, cur.Scope...)
		if err := edit(&e); err != nil {
			return nil, err
		}
		// Metadata only: whatever edit did, the identity stays.
		e.Key, e.ServerURL, e.Username, e.Fingerprint = cur.Key, cur.ServerURL, cur.Username, cur.Fingerprint
		e.Backend, e.State, e.Listed, e.CreatedAt = cur.Backend, cur.State, cur.Listed, cur.CreatedAt
		if e.Scope == nil {
			e.Scope = []string{}
		}
		if e.ExpiresAt != nil {
			e.ExpiresAt = timePtr(*e.ExpiresAt)
		}
		e.UpdatedAt = s.now().UTC()
		x.put(&e)
		if err := x.write(true); err != nil {
			return nil, err
		}
		c := e
		return &c, nil
	})
}

// withEntry runs fn, under the index lock and after finishing interrupted
// changes, with the entry for serverURL (nil if there is none) and its
// canonical key, and returns what fn returns.
func (s *Store) withEntry(serverURL string, fn func(x *index, key string, e *Entry) (*Entry, error)) (*Entry, error) {
	key, err := registryurl.Canonical(serverURL)
	if err != nil {
		return nil, err
	}
	var out *Entry
	err = s.locked(func(x *index) error {
		s.repair(x)
		e, err := x.get(key)
		if err != nil {
			return err
		}
		out, err = fn(x, key, e)
		return err
	})
	return out, err
}

// Remove erases the credentials for serverURL, as the protocol's erase
// does, and returns what was removed so that the caller can say where to
// revoke the token. A keychain item without an index entry (an index lost
// or rebuilt) is removed too; its entry then holds only the key, server URL
// and backend.
func (s *Store) Remove(serverURL string) (*Entry, error) {
	return s.withEntry(serverURL, func(x *index, key string, e *Entry) (*Entry, error) {
		if e == nil {
			b, err := s.backendFor("")
			if err != nil {
				return nil, err
			}
			if err := b.Delete(s.ctx, key); err != nil {
				if errors.Is(err, keychain.ErrNotFound) {
					return nil, ErrNotFound
				}
				return nil, err
			}
			return &Entry{Key: key, ServerURL: serverURL, Backend: b.Name(), Scope: []string{},
				Provider: token.ProviderUnknown, Kind: "unknown"}, nil
		}
		removed := *e
		if err := s.erase(x, e); err != nil {
			return nil, err
		}
		removed.State, removed.Listed = "", false
		return &removed, nil
	})
}

// Filter selects entries by expiry and use. An entry matches when any of
// the conditions that are set holds; the zero Filter matches every entry.
type Filter struct {
	Expired        bool          // the token has expired
	ExpiringWithin time.Duration // the token has not expired but will within this
	UnusedFor      time.Duration // no use (bulk reads aside) for at least this; never used counts from CreatedAt
}

// IsZero reports whether f sets no condition.
func (f Filter) IsZero() bool { return f == Filter{} }

// Match reports whether e matches f at now.
func (f Filter) Match(e *Entry, now time.Time) bool {
	if f.IsZero() {
		return true
	}
	if f.Expired && e.Expired(now) {
		return true
	}
	if f.ExpiringWithin > 0 && e.ExpiresAt != nil && !e.Expired(now) && e.ExpiresAt.Sub(now) <= f.ExpiringWithin {
		return true
	}
	if f.UnusedFor > 0 && now.Sub(e.LastUse()) >= f.UnusedFor {
		return true
	}
	return false
}

// LastUse is when the token was last used, or when it was stored if it
// never was. Bulk reads (docker reading every credential) are not uses.
func (e *Entry) LastUse() time.Time {
	if e.LastUsedAt != nil {
		return *e.LastUsedAt
	}
	return e.CreatedAt
}

// ErrNoFilter refuses a prune that would select nothing in particular.
var ErrNoFilter = errors.New("no condition given: say which tokens to prune (expired, or unused for how long)")

// Prune removes every entry matching f and returns them, sorted by key.
// With dryRun it removes nothing and returns what it would remove. The
// zero Filter is refused with ErrNoFilter. If a removal fails, Prune goes
// on with the others and returns what it removed with the errors.
func (s *Store) Prune(f Filter, dryRun bool) ([]*Entry, error) {
	if f.IsZero() {
		return nil, ErrNoFilter
	}
	now := s.now().UTC()
	var out []*Entry
	var errs []error
	err := s.locked(func(x *index) error {
		if !dryRun {
			s.repair(x)
		}
		all, err := x.all()
		if err != nil {
			return err
		}
		for _, e := range all {
			if !e.listable() || !f.Match(e, now) {
				continue
			}
			c := *e
			if !dryRun {
				if err := s.erase(x, e); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", c.Registry(), err))
					continue
				}
			}
			c.State, c.Listed = "", false
			out = append(out, &c)
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	return out, errors.Join(errs...)
}
