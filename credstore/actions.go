package credstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/hint"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/when"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
)

// Add stores creds, replacing any entry under the same canonical key (also
// when the username changed). It is the protocol's store.
func (s *Store) Add(creds *credentials.Credentials) error {
	if creds.ServerURL == "" {
		return credentials.NewErrCredentialsMissingServerURL()
	}
	if creds.Username == "" {
		return credentials.NewErrCredentialsMissingUsername()
	}
	return s.Put(creds.ServerURL, creds.Username, token.NewSecret(creds.Secret), nil)
}

// Put stores a secret for serverURL under username. edit, if not nil,
// fills in metadata (scope, description, expiry) on the new entry.
func (s *Store) Put(serverURL, username string, secret token.Secret, edit func(*Entry)) error {
	key, err := registryurl.Canonical(serverURL)
	if err != nil {
		return err
	}
	if secret.IsZero() {
		return errors.New("no secret given")
	}
	now := s.now().UTC()
	if err := s.checkDir(); err != nil { // the policy decides what is stored
		return err
	}
	policy, err := token.LoadPolicy(s.dir)
	if err != nil {
		return err
	}
	class, secret, err := policy.Check(serverURL, username, secret, now)
	if err != nil {
		return err
	}
	return s.locked(func(x *index) error {
		s.repair(x)
		old, err := x.get(key)
		if err != nil {
			return err
		}
		e := &Entry{Key: key, Scope: []string{}}
		if old != nil {
			prev := *old
			e = &prev
		}
		if e.Backend == "" || (old != nil && old.State == stateErasing) {
			b, err := s.backendFor("")
			if err != nil {
				return err
			}
			e.Backend = b.Name()
		}
		b, err := s.backendFor(e.Backend)
		if err != nil {
			return err
		}
		fp, err := s.fingerprint(b, secret)
		if err != nil {
			return err
		}
		sameToken := old != nil && old.Username == username && s.fingerprintMatches(b, old.Fingerprint, secret)
		if !sameToken {
			*e = Entry{Key: key, Backend: e.Backend, Scope: []string{}, CreatedAt: now}
		}
		applyClass(e, class, !sameToken)
		e.Locator = "" // the Set below makes a new item
		e.ServerURL, e.Username, e.Fingerprint, e.UpdatedAt = serverURL, username, fp, now
		if edit != nil {
			edit(e)
		}
		// Record the intent durably before touching the keychain, so a
		// process killed in between leaves something the next run mends.
		pending := *e
		pending.State, pending.Listed = stateStoring, old != nil && old.listable()
		x.put(&pending)
		if err := x.write(true); err != nil {
			return err
		}
		data, err := encodePayload(serverURL, username, secret)
		if err != nil {
			return err
		}
		loc, err := keychain.SetAt(s.ctx, b, key, data)
		if err != nil {
			if old != nil {
				x.put(old)
			} else {
				x.remove(key)
			}
			_ = x.write(true)
			return err
		}
		e.State, e.Listed, e.Locator = "", false, loc
		x.put(e)
		if err := x.write(true); err != nil {
			return err
		}
		s.keepLearned(b, "") // the pull after a login guesses its session
		if !sameToken {
			// A record from zero, over the replaced token's, so that the
			// first get after a login rewrites it in place rather than
			// creating it (0.05-0.1 ms).
			// The old record is read, as updateUse does, but never
			// counts: the same token under another username is new too.
			start := *e
			start.Locator = ""
			rec := start
			_ = s.updateUse(&rec, func(r *Entry) { *r = start })
		} else if u := readUse(s.usePath(key)); u != nil && (u.Locator != "" || u.Fingerprint != fp) {
			// The record's place is the replaced item's: let the index's
			// stand. A record under an earlier fingerprint of the same
			// token (a bare hash) moves to the keyed one.
			_ = s.updateUse(&Entry{Key: key, Fingerprint: old.Fingerprint}, func(r *Entry) { r.Locator, r.Fingerprint = "", fp })
		}
		return nil
	})
}

// Get returns the username and secret stored for serverURL. It is the
// protocol's get: an expired token, a locked or unreachable keychain are
// not found (docker then pulls anonymously), with a warning for the user.
// The keychain call and the wait for the index lock, to record the use,
// share one deadline: the store's timeout (and minLockWait).
func (s *Store) Get(serverURL string) (string, string, error) {
	deadline := time.Now().Add(s.timeout)
	key, err := registryurl.Canonical(serverURL)
	if err != nil {
		return "", "", err
	}
	now := s.now().UTC()
	s.warmUp()
	e, exists, err := s.lookup(key)
	dirOK := err == nil // the state directory is ours (checkDir), its index readable
	if err != nil {
		fix := hint.First(err)
		if fix == "" {
			fix = s.Command("doctor --repair")
		}
		s.warn(Warning{Message: fmt.Sprintf("%v: serving from the keychain", err), Hint: fix})
		e, exists = nil, false
	}
	if e == nil && exists {
		// Every keychain item of ours has an index entry (a store records
		// its intent first), so a readable index that lacks the key is a
		// miss without asking the keychain: anonymous pulls stay fast.
		return "", "", ErrNotFound
	}
	backend := ""
	if e != nil {
		if e.State == stateErasing {
			return "", "", ErrNotFound
		}
		if e.Expired(now) {
			s.warn(Warning{
				Message: fmt.Sprintf("the token for %s expired at %s", e.Who(), e.ExpiresAt.Format("2006-01-02 15:04 MST")),
				Hint:    fmt.Sprintf("create a new token, then: docker login -u %s --password-stdin %s", e.Username, registryurl.Display(e.ServerURL)),
			})
			return "", "", ErrNotFound
		}
		backend = e.Backend
	}
	b, err := s.backendFor(backend)
	if err != nil {
		s.warnKeychain(err)
		return "", "", ErrNotFound
	}
	warmJSON()
	at := ""
	if e != nil && e.State == "" {
		// Where the store put the item, or where the last use of this
		// token found it.
		readUse(s.usePath(key)).applyTo(e)
		at = e.Locator
	}
	learned := ""
	if dirOK {
		learned = s.resume(b)
	}
	data, found, err := keychain.GetAt(s.ctx, b, key, at, func(data []byte) bool {
		p, err := decodePayload(data)
		if err != nil {
			return false
		}
		k, err := registryurl.Canonical(p.ServerURL)
		return err == nil && k == key
	})
	if err != nil {
		if !errors.Is(err, keychain.ErrNotFound) {
			s.warnKeychain(err)
		}
		return "", "", ErrNotFound
	}
	if dirOK {
		s.keepLearned(b, learned)
	}
	p, err := decodePayload(data)
	if err != nil {
		s.warn(Warning{Message: fmt.Sprintf("the keychain item for %s is unreadable: %v", key, err),
			Hint: "log in again: docker login " + registryurl.Display(serverURL)})
		return "", "", ErrNotFound
	}
	if e != nil {
		if e.State != "" {
			found = "" // the item may be the one being replaced
		}
		s.recordUse(e, now, found, time.Until(deadline))
	}
	return p.Username, p.Secret, nil
}

// lookup reads key's entry, as lookupIndex, from a state directory that
// checkDir accepts.
func (s *Store) lookup(key string) (*Entry, bool, error) {
	if err := s.checkDir(); err != nil {
		return nil, false, err
	}
	return lookupIndex(s.IndexPath(), key)
}

// warmUp starts the keychain's part of a get before the index is read:
// the backend the entry most likely names, connected and greeted without
// waiting for an answer (see keychain.Warmer), as its round trips are the
// longest chain of a get.
func (s *Store) warmUp() {
	name := s.backend
	if name == "auto" {
		// What auto chose last time (see announceChoice); else nothing:
		// opening auto probes, which only a get that needs it should pay.
		if name = s.lastChoice(); name == "auto" {
			name = ""
		}
	}
	if name == "" {
		return
	}
	if b, err := s.backendFor(name); err == nil {
		keychain.Warm(s.ctx, b)
	}
}

// warmJSON has encoding/json build its view of the use record, which it
// builds on first use (0.5 ms of CPU measured here): a get does it once the
// index has the key, while the keychain's answers are on their way, so
// that counting the use after them does not; a miss never needs it. On
// the get's own goroutine: on a second one it took CPU that dbus-daemon
// and the Secret Service needed for their answers (on two cores), and the
// get was slower.
func warmJSON() {
	var u useRecord
	_ = json.Unmarshal([]byte(`{}`), &u)
	_, _ = json.Marshal(u)
	var m listMarker
	_ = json.Unmarshal([]byte(`{}`), &m)
}

// warnKeychain turns a keychain failure into a warning with its fix.
func (s *Store) warnKeychain(err error) {
	s.warn(Warning{Message: err.Error() + ": answering not found", Hint: hint.First(s.Own(err))})
}

// recordUse counts a get of e as a use, or as a bulk read when it is the
// second or later get of a caller that just listed (see listMarker), in
// e's use record, with where the keychain found the item (locator); and
// reminds of a token that expires soon. Losing the last use to a power
// cut is fine; losing one to a race is not, hence the lock, waited for at
// most wait: what is left of get's deadline. The caller read e from the
// index, in the directory checkDir accepted.
func (s *Store) recordUse(e *Entry, now time.Time, locator string, wait time.Duration) {
	unlock, err := lockState(s.dir, wait)
	if err != nil {
		s.warn(Warning{Message: fmt.Sprintf("could not record the use of %s: %v", e.Key, err)})
		return
	}
	defer unlock()
	m := s.recentList()
	if m == nil || m.Gets == 0 {
		err = s.updateUse(e, func(e *Entry) {
			if m != nil {
				m.Gets, m.First, m.PrevAt, m.PrevBy = 1, e.Key, e.LastUsedAt, e.LastUsedBy
				s.writeListMarker(*m)
			}
			e.UseCount++
			e.LastUsedAt = timePtr(now)
			e.LastUsedBy = s.caller.Name
			e.Locator = locator
		})
	} else {
		if m.Gets == 1 {
			// The first get after the list was the start of a bulk read.
			if first, _, ferr := lookupIndex(s.IndexPath(), m.First); ferr == nil && first != nil {
				_ = s.updateUse(first, func(first *Entry) {
					if first.UseCount > 0 {
						first.UseCount--
						first.LastUsedAt, first.LastUsedBy = m.PrevAt, m.PrevBy
						first.BulkReads++
						first.LastBulkReadAt = timePtr(m.At)
					}
				})
			}
		}
		m.Gets++
		s.writeListMarker(*m)
		err = s.updateUse(e, func(e *Entry) {
			e.BulkReads++
			e.LastBulkReadAt = timePtr(now)
			e.Locator = locator
		})
	}
	if err != nil {
		s.warn(Warning{Message: fmt.Sprintf("could not record the use of %s: %v", e.Key, err)})
	}
	s.remind(e, now)
}

// remind warns, at most once a day, about a token that expires soon. e
// carries its use record; the caller holds the index lock.
func (s *Store) remind(e *Entry, now time.Time) {
	if e.ExpiresAt == nil || e.ExpiresAt.Sub(now) > ReminderWindow {
		return
	}
	if e.ReminderAt != nil && now.Sub(*e.ReminderAt) < 24*time.Hour {
		return
	}
	s.warn(Warning{
		Message: fmt.Sprintf("the token for %s expires %s", e.Who(), when.Relative(*e.ExpiresAt, now)),
		Hint:    fmt.Sprintf("create a new token, then: docker login -u %s --password-stdin %s", e.Username, registryurl.Display(e.ServerURL)),
	})
	_ = s.updateUse(e, func(e *Entry) { e.ReminderAt = timePtr(now) })
}

// Delete erases the credentials for serverURL. It is the protocol's erase.
func (s *Store) Delete(serverURL string) error {
	_, err := s.Remove(serverURL)
	return err
}

// erase removes e from the keychain and the index; x is held locked.
func (s *Store) erase(x *index, e *Entry) error {
	prev := *e
	e.State = stateErasing
	x.put(e)
	if err := x.write(true); err != nil {
		return err
	}
	b, err := s.backendFor(e.Backend)
	if err == nil {
		err = b.Delete(s.ctx, e.Key)
	}
	if err != nil && !errors.Is(err, keychain.ErrNotFound) {
		x.put(&prev)
		_ = x.write(true)
		return err
	}
	x.remove(e.Key)
	if err := x.write(true); err != nil {
		return err
	}
	s.dropUse(e.Key)
	return nil
}

// List maps every stored server URL, as it was stored, to its username.
// It reads the index alone, decoding only what it prints: docker runs it
// before every classic build.
func (s *Store) List() (map[string]string, error) {
	x, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(x.entries))
	for key, ie := range x.entries {
		var e listEntry
		if ie.e != nil {
			e = listEntry{ie.e.ServerURL, ie.e.Username, ie.e.State, ie.e.Listed}
		} else if u, n, ok := scanListEntry(ie.raw); ok {
			e = listEntry{ServerURL: u, Username: n}
		} else if err := json.Unmarshal(ie.raw, &e); err != nil {
			return nil, corrupt(x.path, fmt.Errorf("entry %q: %v", key, err))
		}
		if (&Entry{State: e.State, Listed: e.Listed}).listable() {
			out[e.ServerURL] = e.Username
		}
	}
	s.markList()
	return out, nil
}

// scanListEntry reads serverURL and username from an entry the way
// json.Marshal(Entry) writes it, {"serverURL":"…","username":"…",…,
// without a JSON decoder. Anything else (escapes, another field order,
// a state) is left to encoding/json: ok is false.
func scanListEntry(raw []byte) (serverURL, username string, ok bool) {
	rest, ok := bytes.CutPrefix(raw, []byte(`{"serverURL":"`))
	if !ok {
		return "", "", false
	}
	url, rest, ok := bytes.Cut(rest, []byte(`","username":"`))
	if !ok || bytes.IndexByte(url, '"') >= 0 || bytes.IndexByte(url, '\\') >= 0 {
		return "", "", false
	}
	user, rest, ok := bytes.Cut(rest, []byte(`",`))
	if !ok || bytes.IndexByte(user, '"') >= 0 || bytes.IndexByte(user, '\\') >= 0 || bytes.Contains(rest, []byte(`"state":`)) {
		return "", "", false
	}
	if !utf8.Valid(url) || !utf8.Valid(user) {
		return "", "", false // encoding/json would replace the bad bytes
	}
	return string(url), string(user), true
}

// listEntry is the part of an Entry that list needs.
type listEntry struct {
	ServerURL string `json:"serverURL"`
	Username  string `json:"username"`
	State     string `json:"state"`
	Listed    bool   `json:"listed"`
}

// repair finishes what a killed process left half done: a store whose
// keychain write may or may not have happened, an erase that may not have
// reached the keychain. x is held locked; the caller writes it.
func (s *Store) repair(x *index) {
	for key, ie := range x.entries {
		if ie.e == nil && !bytes.Contains(ie.raw, []byte(`"state"`)) {
			continue
		}
		e, err := x.get(key)
		if err != nil || e == nil || e.State == "" {
			continue
		}
		b, err := s.backendFor(e.Backend)
		if err != nil {
			continue
		}
		switch e.State {
		case stateStoring:
			data, err := b.Get(s.ctx, key)
			switch {
			case err == nil:
				if p, perr := decodePayload(data); perr == nil {
					if fp, err := s.fingerprint(b, token.NewSecret(p.Secret)); err == nil {
						e.Fingerprint = fp
					}
					e.Username, e.ServerURL = p.Username, p.ServerURL
				}
				e.State, e.Listed = "", false
				x.put(e)
			case errors.Is(err, keychain.ErrNotFound):
				x.remove(key)
			}
		case stateErasing:
			if err := b.Delete(s.ctx, key); err == nil || errors.Is(err, keychain.ErrNotFound) {
				x.remove(key)
			}
		}
	}
}

// Lookup returns the entry for serverURL, or ErrNotFound.
func (s *Store) Lookup(serverURL string) (*Entry, error) {
	key, err := registryurl.Canonical(serverURL)
	if err != nil {
		return nil, err
	}
	x, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	e, err := x.get(key)
	if err != nil {
		return nil, err
	}
	if e == nil || !e.listable() {
		return nil, ErrNotFound
	}
	return e, nil
}

// Entries returns every entry list would name, sorted by key.
func (s *Store) Entries() ([]*Entry, error) {
	x, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	all, err := x.all()
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, e := range all {
		if e.listable() {
			out = append(out, e)
		}
	}
	return out, nil
}

// applyClass records what the classifier learnt of the token. For a token
// stored again, what a person annotated (scope, expiry) is kept unless the
// token itself says otherwise.
func applyClass(e *Entry, c token.Classification, fresh bool) {
	e.Provider, e.Kind, e.Confidence = orUnknown(c.Provider), orUnknown(c.Kind), c.Confidence
	if !c.ExpiresAt.IsZero() {
		e.ExpiresAt = timePtr(c.ExpiresAt)
	}
	if len(c.Scope) > 0 || fresh {
		e.Scope = append([]string{}, c.Scope...)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return token.ProviderUnknown
	}
	return s
}
