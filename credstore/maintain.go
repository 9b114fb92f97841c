package credstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/internal/statefile"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
)

// This file holds what the doctor needs of the store to check and mend it:
// the whole index, interrupted changes, the agreement of the index with the
// keychain, and the rebuild of an unreadable index. The doctor package
// judges and words; the store reads and writes.

// maxRebuildKeys bounds the keychain look-ups of an index rebuild.
const maxRebuildKeys = 500

// Program is this program's name as hints give it (Options.Program).
func (s *Store) Program() string { return s.program }

// Command is a command line of this program for a hint: "PROGRAM args".
func (s *Store) Command(args string) string { return s.program + " " + args }

// Context is the store's context (Options.Context).
func (s *Store) Context() context.Context { return s.ctx }

// Now is the store's clock (Options.Now).
func (s *Store) Now() time.Time { return s.now() }

// DefaultBackend is the name of the backend for new entries ("auto", ...).
func (s *Store) DefaultBackend() string { return s.backend }

// OpenDefault opens the backend for new entries, remembering it as
// backendFor does, and returns why auto chose it. Unlike backendFor it
// announces nothing: the doctor reports the choice itself.
func (s *Store) OpenDefault() (keychain.Backend, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, reason, err := s.open(s.backend)
	if err != nil {
		return nil, reason, err
	}
	s.backends[s.backend] = b
	s.backends[b.Name()] = b
	return b, reason, nil
}

// AllEntries returns every entry of the index, those a killed process left
// half stored or half erased (State set) included, sorted by key.
func (s *Store) AllEntries() ([]*Entry, error) {
	x, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	return x.all()
}

// SweepUses drops the use records of erased entries (a process killed
// between the erase and the record's removal); they hold no secret.
func (s *Store) SweepUses() error {
	return s.locked(func(x *index) error { s.sweepUses(x); return nil })
}

// FinishInterrupted finishes, as the next write would, the stores and
// erases a killed process left half done.
func (s *Store) FinishInterrupted() error {
	return s.locked(func(x *index) error {
		s.repair(x)
		return x.write(true)
	})
}

// Audit is what CheckKeychain found. Registries are as a person types them.
type Audit struct {
	Checked     int              // entries whose keychain item was read, or found missing
	Missing     []string         // entries whose secret the keychain no longer holds
	MissingKeys []string         // their keys
	Differs     []string         // entries whose item holds another token or user
	Unreadable  []string         // entries whose item is not this program's
	Unreachable map[string]error // backends that could not be read, by name ("" for entries naming none)
	Lost        []string         // items under extra keys that the index does not list
	LostKeys    []string         // their keys
}

// CheckKeychain reads the keychain item of every entry list would name and
// compares it with the entry, and looks under the extra keys (those
// config.json names) for items the index lost.
func (s *Store) CheckKeychain(ctx context.Context, extra []string) (Audit, error) {
	var a Audit
	all, err := s.AllEntries()
	if err != nil {
		return a, err
	}
	a.Unreachable = map[string]error{}
	inIndex := map[string]bool{}
	for _, e := range all {
		inIndex[e.Key] = true
		if !e.listable() {
			continue
		}
		if _, down := a.Unreachable[e.Backend]; down {
			continue
		}
		b, err := s.backendFor(e.Backend)
		if err == nil {
			var item []byte
			item, err = b.Get(ctx, e.Key)
			if err == nil {
				a.Checked++
				p, perr := decodePayload(item)
				switch {
				case perr != nil:
					a.Unreadable = append(a.Unreadable, e.Registry())
				case !s.fingerprintMatches(b, e.Fingerprint, token.NewSecret(p.Secret)) || p.Username != e.Username:
					a.Differs = append(a.Differs, e.Registry())
				}
				continue
			}
			if errors.Is(err, keychain.ErrNotFound) {
				a.Checked++
				a.Missing = append(a.Missing, e.Registry())
				a.MissingKeys = append(a.MissingKeys, e.Key)
				continue
			}
		}
		a.Unreachable[e.Backend] = err
	}
	// Items the index does not list, under the extra keys.
	if b, err := s.backendFor(""); err == nil {
		now := s.now().UTC()
		for _, key := range extra {
			if inIndex[key] || slices.Contains(a.LostKeys, key) {
				continue
			}
			if _, err := s.itemEntry(ctx, b, key, now, false); err == nil {
				a.Lost = append(a.Lost, registryurl.Display(key))
				a.LostKeys = append(a.LostKeys, key)
			}
		}
	}
	return a, nil
}

// DropMissing removes from the index the entries under keys whose secret
// the keychain no longer holds, looking again under the lock, and returns
// their registries.
func (s *Store) DropMissing(keys []string) ([]string, error) {
	var dropped []string
	err := s.locked(func(x *index) error {
		for _, key := range keys {
			e, err := x.get(key)
			if err != nil || e == nil || !e.listable() {
				continue
			}
			b, err := s.backendFor(e.Backend)
			if err != nil {
				continue
			}
			// Look again under the lock: a login may have stored it meanwhile.
			if _, err := b.Get(s.ctx, key); errors.Is(err, keychain.ErrNotFound) {
				x.remove(key)
				dropped = append(dropped, e.Registry())
			}
		}
		return x.write(true)
	})
	return dropped, err
}

// Relist lists again the items of the default backend under keys that the
// index does not list, and returns their registries.
func (s *Store) Relist(keys []string) ([]string, error) {
	var added []string
	now := s.now().UTC()
	err := s.locked(func(x *index) error {
		b, err := s.backendFor("")
		if err != nil {
			return err
		}
		for _, key := range keys {
			if cur, err := x.get(key); err != nil || cur != nil {
				continue
			}
			e, err := s.itemEntry(s.ctx, b, key, now, true)
			if err != nil {
				continue
			}
			x.put(e)
			added = append(added, registryurl.Display(key))
		}
		return x.write(true)
	})
	return added, err
}

// RebuildIndex moves an unreadable index aside and writes a new one with
// an entry for every keychain item it can find: under the keys the old
// file's text names, and under extra. What the old file still says about
// an entry (one entry a line, as the index is written) is kept where the
// keychain item matches it.
func (s *Store) RebuildIndex(extra []string) (aside string, rebuilt []string, err error) {
	now := s.now().UTC()
	if err := s.ensureDir(); err != nil {
		return "", nil, err
	}
	unlock, err := lockState(s.dir, s.timeout)
	if err != nil {
		return "", nil, err
	}
	defer unlock()
	path := s.IndexPath()
	if x, err := s.readIndex(); err == nil {
		if _, err := x.all(); err == nil {
			return "", nil, errors.New("the index was repaired meanwhile")
		}
	}
	data, err := statefile.ReadFile(path, maxIndexFile)
	if err != nil {
		return "", nil, err
	}
	aside = path + ".corrupt-" + now.Format("20060102T150405Z")
	if _, err := os.Lstat(aside); err == nil {
		aside = fmt.Sprintf("%s-%d", aside, now.UnixNano()%1e6)
	}
	if err := os.Rename(path, aside); err != nil {
		return "", nil, err
	}
	salvaged := salvageEntries(data)
	keys := keysInText(data)
	keys = append(keys, extra...)
	for k := range salvaged {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	keys = slices.Compact(keys)
	if len(keys) > maxRebuildKeys {
		keys = keys[:maxRebuildKeys]
	}
	backends := []string{""}
	for _, n := range backendsInText(data) {
		backends = append(backends, n)
	}
	x, err := readIndex(path) // missing now: an empty index
	if err != nil {
		return aside, nil, err
	}
	for _, key := range keys {
		for _, bn := range backends {
			b, err := s.backendFor(bn)
			if err != nil {
				continue
			}
			e, err := s.itemEntry(s.ctx, b, key, now, true)
			if keychainDown(err) {
				// A rebuild without the entries a locked, gone or
				// silent keychain holds would lose them from the index:
				// the damaged index goes back where it was instead.
				if rerr := os.Rename(aside, path); rerr != nil {
					return aside, nil, fmt.Errorf("%w (the damaged index stays at %s: %v)", err, aside, rerr)
				}
				return "", nil, err
			}
			if err != nil {
				continue
			}
			if old := salvaged[key]; old != nil && old.Username == e.Username && s.sameItem(b, key, old.Fingerprint) {
				keep := *old
				keep.Key, keep.Backend, keep.State, keep.Listed = key, b.Name(), "", false
				if keep.Scope == nil {
					keep.Scope = []string{}
				}
				e = &keep
			}
			x.put(e)
			rebuilt = append(rebuilt, registryurl.Display(e.ServerURL))
			break
		}
	}
	if err := x.write(true); err != nil {
		return aside, nil, err
	}
	return aside, rebuilt, nil
}

// keychainDown reports whether err is the keychain failing to answer, as
// opposed to not holding the item (or holding one that is not ours).
func keychainDown(err error) bool {
	var ke *keychain.Error
	return errors.As(err, &ke) && !errors.Is(err, keychain.ErrNotFound)
}

// sameItem reports whether the item b holds under key has the secret
// whose fingerprint is fp.
func (s *Store) sameItem(b keychain.Backend, key, fp string) bool {
	item, err := b.Get(s.ctx, key)
	if err != nil {
		return false
	}
	p, err := decodePayload(item)
	return err == nil && s.fingerprintMatches(b, fp, token.NewSecret(p.Secret))
}

// itemEntry makes an index entry from the item b holds under key; with
// fingerprint, its fingerprint too (making b's key if need be: the caller
// then holds the index lock).
func (s *Store) itemEntry(ctx context.Context, b keychain.Backend, key string, now time.Time, fingerprint bool) (*Entry, error) {
	item, err := b.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	p, err := decodePayload(item)
	if err != nil {
		return nil, err
	}
	if k, err := registryurl.Canonical(p.ServerURL); err != nil || k != key {
		return nil, errors.New("the item names another registry")
	}
	secret := token.NewSecret(p.Secret)
	e := &Entry{Key: key, ServerURL: p.ServerURL, Username: p.Username, Backend: b.Name(), Scope: []string{},
		CreatedAt: now, UpdatedAt: now}
	if fingerprint {
		if e.Fingerprint, err = s.fingerprint(b, secret); err != nil {
			return nil, err
		}
	}
	applyClass(e, token.Classify(p.ServerURL, p.Username, secret), true)
	return e, nil
}

// jsonStrings matches the JSON strings of a text, for keys to look up.
// Regexps used by doctor and probe compile on first use, not at start-up:
// every get would pay for them (this one, with {1,1000}, costs ~20 ms).
var jsonStrings = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`"((?:[^"\\\x00-\x1f]|\\.){1,1000})"`)
})

// keysInText returns the canonical registry keys named in a damaged index.
func keysInText(data []byte) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range jsonStrings().FindAll(data, -1) {
		var s string
		if json.Unmarshal(m, &s) != nil {
			continue
		}
		key, err := registryurl.Canonical(s)
		if err != nil {
			continue
		}
		host, err := registryurl.Host(key)
		if err != nil || !(strings.ContainsAny(host, ".:") || host == "localhost") {
			continue
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, key)
		}
	}
	return out
}

var backendField = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`"backend"\s*:\s*"([a-z]{1,32})"`)
})

// backendsInText returns the backend names a damaged index mentions.
func backendsInText(data []byte) []string {
	var out []string
	for _, m := range backendField().FindAllSubmatch(data, -1) {
		if n := string(m[1]); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// salvageEntries reads the entry lines of a damaged index that are still
// whole, as encode writes them: `    "key": {...},`.
func salvageEntries(data []byte) map[string]*Entry {
	out := map[string]*Entry{}
	for _, line := range bytes.Split(data, []byte("\n")) {
		key, raw, ok := splitMember(bytes.TrimPrefix(line, []byte("    ")))
		if !ok || len(raw) < 2 || raw[0] != '{' {
			continue
		}
		var e Entry
		if json.Unmarshal(raw, &e) != nil {
			continue
		}
		out[key] = &e
	}
	return out
}
