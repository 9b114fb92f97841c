package credstore

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
)

// This file holds the token lifecycle for people: annotate, remove and
// prune entries, and parse what people type for expiries, durations and
// scopes.

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

// Scope is what a token may do. The distribution form
// "repository:NAME:ACTIONS" (and "registry:catalog:*") is understood as a
// resource type, name and actions; anything else is free text.
type Scope struct {
	Type    string   // "repository", "registry"; "" for free text
	Name    string   // repository name, possibly with a host and port
	Actions []string // "pull", "push", "delete", "*", ...
	Text    string   // free text, when Type is ""
}

// maxScope bounds one scope's length.
const maxScope = 1024

// scopeTypes are the resource types of the distribution token scope.
var scopeTypes = map[string]bool{"repository": true, "registry": true}

// actionOrder is the order actions are shown in.
var actionOrder = map[string]int{"pull": 1, "push": 2, "delete": 3, "*": 4}

// ParseScope reads one scope. "repository:myteam/myapi:push,pull" is
// understood as the distribution form and shown as
// "repository:myteam/myapi:pull,push"; text that does not start with a
// distribution resource type is kept as it is. Empty text, control
// characters and a malformed distribution scope are refused.
func ParseScope(s string) (Scope, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Scope{}, errors.New("empty scope")
	}
	if len(t) > maxScope {
		return Scope{}, fmt.Errorf("scope longer than %d bytes", maxScope)
	}
	if strings.IndexFunc(t, unicode.IsControl) >= 0 {
		return Scope{}, errors.New("scope with control characters")
	}
	typ, rest, ok := strings.Cut(t, ":")
	if !ok || !scopeTypes[strings.ToLower(typ)] {
		return Scope{Text: t}, nil
	}
	bad := fmt.Errorf("scope %q: want %s:NAME:ACTIONS such as repository:myteam/myapi:pull,push", t, strings.ToLower(typ))
	// The name may hold a host:port; the actions follow the last colon.
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 || i == len(rest)-1 {
		return Scope{}, bad
	}
	name, list := rest[:i], rest[i+1:]
	if strings.ContainsAny(name, " \t") {
		return Scope{}, bad
	}
	var actions []string
	seen := map[string]bool{}
	for _, a := range strings.Split(list, ",") {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "" || strings.ContainsAny(a, " :") {
			return Scope{}, bad
		}
		if !seen[a] {
			seen[a] = true
			actions = append(actions, a)
		}
	}
	sortActions(actions)
	return Scope{Type: strings.ToLower(typ), Name: name, Actions: actions}, nil
}

// sortActions puts known actions first, in their usual order, and keeps
// the order of the others.
func sortActions(a []string) {
	rank := func(s string) int {
		if r, ok := actionOrder[s]; ok {
			return r
		}
		return len(actionOrder) + 1
	}
	for i := 1; i < len(a); i++ { // insertion sort: stable and tiny
		for j := i; j > 0 && rank(a[j]) < rank(a[j-1]); j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// String shows the scope as it is stored: "repository:myteam/myapi:pull"
// or the free text.
func (sc Scope) String() string {
	if sc.Type == "" {
		return sc.Text
	}
	return sc.Type + ":" + sc.Name + ":" + strings.Join(sc.Actions, ",")
}

// RevokeURL is the page where the token in e can be revoked at its
// provider, judged by e.Provider or else by the registry host; "" when it
// is not known or there is nothing to revoke. See RevokeHint.
func RevokeURL(e *Entry) string {
	url, _ := revokeAt(e)
	return url
}

// RevokeHint says, for a person, where and how to revoke the token in e:
// "revoke it at https://github.com/settings/tokens".
func RevokeHint(e *Entry) string {
	url, how := revokeAt(e)
	switch {
	case url != "" && how != "":
		return "revoke it at " + url + " (" + how + ")"
	case url != "":
		return "revoke it at " + url
	case how != "":
		return how
	}
	return "revoke it in " + e.Registry() + "'s settings"
}

// revokeAt returns the revocation page and a note on what to look for.
func revokeAt(e *Entry) (url, how string) {
	host, err := registryurl.Host(e.ServerURL)
	if e.ServerURL == "" || err != nil {
		host, _ = registryurl.Host(e.Key)
	}
	return token.RevokeAt(e.Provider, host, e.Username)
}

// maxDescription bounds a description.
const maxDescription = 1024

// CheckDescription refuses a description with control characters or too
// long to show.
func CheckDescription(d string) error {
	if len(d) > maxDescription || !utf8.ValidString(d) || strings.ContainsFunc(d, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return fmt.Errorf("invalid description: it must be valid UTF-8 without control characters, at most %d bytes", maxDescription)
	}
	return nil
}
