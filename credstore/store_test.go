package credstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/credstoretest"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/hint"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychainmem"
)

// clock is an injected, settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	t     *testing.T
	dir   string
	kc    *keychainmem.Memory
	clock *clock
	warns []Warning
	s     *Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: filepath.Join(t.TempDir(), "state"), kc: keychainmem.NewMemory(),
		clock: &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}}
	f.s = f.store(Caller{PID: 4242, Name: "docker"})
	return f
}

// store opens another Store on the same state and keychain, as a second
// process would.
func (f *fixture) store(c Caller) *Store {
	s, err := New(Options{
		StateDir: f.dir,
		Open: func(name string) (keychain.Backend, string, error) {
			return f.kc, "", nil
		},
		Now:    f.clock.now,
		Caller: c,
		Warn:   func(w Warning) { f.warns = append(f.warns, w) },
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// keys are the keychain's keys but the fingerprint key's.
func (f *fixture) keys() []string {
	return slices.DeleteFunc(f.kc.Keys(), func(k string) bool { return k == fingerprintKeyItem })
}

func (f *fixture) add(url, user, secret string) {
	f.t.Helper()
	if err := f.s.Add(&credentials.Credentials{ServerURL: url, Username: user, Secret: secret}); err != nil {
		f.t.Fatalf("store %s: %v", url, err)
	}
}

func (f *fixture) entry(url string) *Entry {
	f.t.Helper()
	e, err := f.s.Lookup(url)
	if err != nil {
		f.t.Fatalf("lookup %s: %v", url, err)
	}
	return e
}

func (f *fixture) list() map[string]string {
	f.t.Helper()
	m, err := f.s.List()
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

const tok1, tok2 = "dckr_pat_AAAAAAAAAAAAAAAAAAAAAAAAAAA", "dckr_pat_BBBBBBBBBBBBBBBBBBBBBBBBBBB"

func TestRoundTrip(t *testing.T) {
	f := newFixture(t)
	f.add("https://ghcr.io/", "alice", tok1)
	f.add("localhost:5000", "bob", tok2)
	user, secret, err := f.s.Get("ghcr.io")
	if err != nil || user != "alice" || secret != tok1 {
		t.Fatalf("get = %q, %q, %v", user, secret, err)
	}
	if got, want := f.list(), map[string]string{"https://ghcr.io/": "alice", "localhost:5000": "bob"}; !equalMaps(got, want) {
		t.Errorf("list = %v, want %v (server URLs exactly as stored)", got, want)
	}
	if _, _, err := f.s.Get("localhost:5001"); !credentials.IsErrCredentialsNotFound(err) {
		t.Errorf("get of another port = %v, want not found", err)
	}
	if err := f.s.Delete("http://ghcr.io"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.Get("ghcr.io"); !credentials.IsErrCredentialsNotFound(err) {
		t.Errorf("get after erase = %v, want not found", err)
	}
	if err := f.s.Delete("ghcr.io"); !credentials.IsErrCredentialsNotFound(err) {
		t.Errorf("second erase = %v, want not found", err)
	}
	if got := f.keys(); len(got) != 1 || got[0] != "localhost:5000" {
		t.Errorf("keychain keys = %v", got)
	}
}

func TestHubAliasesShareOneEntry(t *testing.T) {
	f := newFixture(t)
	f.add("https://index.docker.io/v1/", "alice", tok1)
	for _, alias := range []string{"docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1", "https://registry-1.docker.io/v2/"} {
		if u, s, err := f.s.Get(alias); err != nil || u != "alice" || s != tok1 {
			t.Errorf("get %s = %q, %v", alias, u, err)
		}
	}
	f.add(registryurl.HubAccessTokenKey, "alice", credstoretest.JWT(map[string]any{"iss": "https://login.docker.com/", "exp": f.clock.now().Add(time.Hour).Unix()}))
	if _, s, _ := f.s.Get("docker.io"); s != tok1 {
		t.Error("the OAuth access-token entry replaced the Hub entry")
	}
	f.add("docker.io", "alice2", tok2)
	if got := f.list(); len(got) != 2 || got["docker.io"] != "alice2" || got[registryurl.HubAccessTokenKey] != "alice" {
		t.Errorf("list = %v: want one Hub entry, replaced, and the access-token entry", got)
	}
}

func TestReplaceKeepsOneEntry(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	created := f.entry("ghcr.io").CreatedAt
	f.clock.add(time.Hour)
	f.add("https://ghcr.io", "alice", tok1) // docker login stores again on every login
	e := f.entry("ghcr.io")
	if !e.CreatedAt.Equal(created) || !e.UpdatedAt.After(created) {
		t.Errorf("same token stored again: createdAt %v (want %v kept), updatedAt %v", e.CreatedAt, created, e.UpdatedAt)
	}
	f.clock.add(time.Hour)
	f.add("ghcr.io", "carol", tok2)
	e = f.entry("ghcr.io")
	if e.Username != "carol" || !e.CreatedAt.After(created) || !f.s.fingerprintMatches(f.kc, e.Fingerprint, token.NewSecret(tok2)) {
		t.Errorf("new token: %+v", e)
	}
	if got := f.list(); len(got) != 1 {
		t.Errorf("list = %v, want one entry", got)
	}
}

func TestIndexHoldsNoSecretAndIsPrivate(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	_, _, _ = f.s.Get("ghcr.io")
	_, _ = f.s.List()
	filepath.Walk(f.dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if fi.IsDir() {
			if fi.Mode().Perm() != 0o700 {
				t.Errorf("%s: mode %v, want 0700", p, fi.Mode().Perm())
			}
			return nil
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: mode %v, want no group/other access", p, fi.Mode().Perm())
		}
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte(tok1)) || bytes.Contains(b, []byte(tok1[9:])) {
			t.Errorf("%s holds the secret", p)
		}
		return nil
	})
}

func TestUseAndBulkReads(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	if _, _, err := f.s.Get("ghcr.io"); err != nil {
		t.Fatal(err)
	}
	e := f.entry("ghcr.io")
	if e.UseCount != 1 || e.LastUsedBy != "docker" || e.LastUsedAt == nil || !e.LastUsedAt.Equal(f.clock.now()) {
		t.Fatalf("after one get: %+v", e)
	}
	// docker build: list, then get for every key, from the same process:
	// bulk reads, not uses, for every key (the first get is undone).
	f.add("quay.io", "bob", tok2)
	build := f.store(Caller{PID: 777, Name: "docker"})
	if _, err := build.List(); err != nil {
		t.Fatal(err)
	}
	f.clock.add(time.Second)
	for _, u := range []string{"ghcr.io", "quay.io"} {
		if _, _, err := build.Get(u); err != nil {
			t.Fatal(err)
		}
	}
	e = f.entry("ghcr.io")
	if e.UseCount != 1 || e.BulkReads != 1 || e.LastUsedBy != "docker" || !e.LastUsedAt.Equal(f.clock.now().Add(-time.Second)) {
		t.Errorf("after a bulk read: useCount %d bulkReads %d lastUsed %v by %q; want the earlier use kept", e.UseCount, e.BulkReads, e.LastUsedAt, e.LastUsedBy)
	}
	if q := f.entry("quay.io"); q.UseCount != 0 || q.BulkReads != 1 || q.LastUsedAt != nil {
		t.Errorf("quay.io after a bulk read: useCount %d bulkReads %d lastUsedAt %v", q.UseCount, q.BulkReads, q.LastUsedAt)
	}
	// regctl: list, then get of the one registry it needs: a use.
	regctl := f.store(Caller{PID: 900, Name: "regctl"})
	if _, err := regctl.List(); err != nil {
		t.Fatal(err)
	}
	_, _, _ = regctl.Get("quay.io")
	if q := f.entry("quay.io"); q.UseCount != 1 || q.LastUsedBy != "regctl" {
		t.Errorf("a single get after a list: useCount %d by %q, want a use by regctl", q.UseCount, q.LastUsedBy)
	}
	// Another process, or the same one much later, is a use again.
	other := f.store(Caller{PID: 778, Name: "crane"})
	_, _, _ = other.Get("ghcr.io")
	f.clock.add(time.Minute)
	_, _, _ = build.Get("ghcr.io")
	if e = f.entry("ghcr.io"); e.UseCount != 3 || e.BulkReads != 1 || e.LastUsedBy != "docker" {
		t.Errorf("after two more uses: useCount %d bulkReads %d by %q", e.UseCount, e.BulkReads, e.LastUsedBy)
	}
}

func TestConcurrentUsesAreAllCounted(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	var wg sync.WaitGroup
	const n = 40
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s := f.store(Caller{PID: 10000 + i, Name: "docker"})
			if _, _, err := s.Get("ghcr.io"); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if got := f.entry("ghcr.io").UseCount; got != n {
		t.Errorf("useCount = %d after %d concurrent gets", got, n)
	}
}

func TestExpiredTokenIsNotServed(t *testing.T) {
	f := newFixture(t)
	exp := f.clock.now().Add(3 * 24 * time.Hour)
	if err := f.s.Put("ghcr.io", "alice", token.NewSecret(tok1), func(e *Entry) { e.ExpiresAt = &exp }); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.Get("ghcr.io"); err != nil {
		t.Fatal(err)
	}
	if len(f.warns) != 1 || !strings.Contains(f.warns[0].Message, "expires in 3 days") {
		t.Errorf("want one reminder, got %v", f.warns)
	}
	_, _, _ = f.s.Get("ghcr.io")
	if len(f.warns) != 1 {
		t.Errorf("reminded twice in a day: %v", f.warns)
	}
	f.clock.add(4 * 24 * time.Hour)
	_, _, err := f.s.Get("ghcr.io")
	if !credentials.IsErrCredentialsNotFound(err) {
		t.Fatalf("expired get = %v, want not found", err)
	}
	if last := f.warns[len(f.warns)-1]; !strings.Contains(last.Message, "expired at") || !strings.Contains(last.Hint, "docker login -u alice") {
		t.Errorf("expired warning = %+v", last)
	}
}

func TestKeychainFailureLeavesNoEntry(t *testing.T) {
	f := newFixture(t)
	f.kc.FailNext("set", &keychain.Error{Backend: "memory", Kind: keychain.ErrLocked, Hint: "unlock it"})
	err := f.s.Add(&credentials.Credentials{ServerURL: "ghcr.io", Username: "alice", Secret: tok1})
	if !errors.Is(err, keychain.ErrLocked) || hint.First(err) != "unlock it" {
		t.Fatalf("store on a locked keychain = %v", err)
	}
	if got := f.list(); len(got) != 0 {
		t.Errorf("list names a credential that was never stored: %v", got)
	}
	// And a failed replace keeps the old entry.
	f.add("ghcr.io", "alice", tok1)
	f.kc.FailNext("set", &keychain.Error{Backend: "memory", Kind: keychain.ErrTimeout})
	if err := f.s.Add(&credentials.Credentials{ServerURL: "ghcr.io", Username: "bob", Secret: tok2}); err == nil {
		t.Fatal("store succeeded on a failing keychain")
	}
	if u, s, err := f.s.Get("ghcr.io"); u != "alice" || s != tok1 || err != nil {
		t.Errorf("after a failed replace get = %q, %v", u, err)
	}
}

func TestLockedKeychainGetIsNotFound(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	f.kc.FailNext("get", &keychain.Error{Backend: "memory", Kind: keychain.ErrLocked, Hint: "unlock it"})
	if _, _, err := f.s.Get("ghcr.io"); !credentials.IsErrCredentialsNotFound(err) {
		t.Fatalf("get on a locked keychain = %v, want not found", err)
	}
	if len(f.warns) != 1 || !strings.Contains(f.warns[0].Message, "locked") || f.warns[0].Hint != "unlock it" {
		t.Errorf("warnings = %+v", f.warns)
	}
}

// A process killed between any two steps of store or erase leaves a state
// the next run mends, and list never names what get cannot return.
func TestRepairAfterKill(t *testing.T) {
	f := newFixture(t)
	f.add("a.example", "u", tok1)
	f.add("b.example", "u", tok1)
	f.add("c.example", "u", tok1)
	x, err := readIndex(f.s.IndexPath())
	if err != nil {
		t.Fatal(err)
	}
	mark := func(key, state string) {
		e, _ := x.get(key)
		e.State = state
		x.put(e)
	}
	mark("a.example", stateStoring) // killed after the intent, before the keychain: new entry
	if err := f.kc.Delete(context.Background(), "a.example"); err != nil {
		t.Fatal(err)
	}
	mark("b.example", stateStoring) // killed after the keychain write
	mark("c.example", stateErasing) // killed after the erase mark
	if err := x.write(true); err != nil {
		t.Fatal(err)
	}
	got := f.list()
	for url := range got {
		if _, _, err := f.s.Get(url); err != nil {
			t.Errorf("list names %s but get fails: %v", url, err)
		}
	}
	f.add("d.example", "u", tok2) // any write repairs
	if got, want := f.list(), map[string]string{"b.example": "u", "d.example": "u"}; !equalMaps(got, want) {
		t.Errorf("after repair list = %v, want %v", got, want)
	}
	if keys := f.keys(); strings.Join(keys, " ") != "b.example d.example" {
		t.Errorf("keychain after repair = %v", keys)
	}
}

func TestCorruptIndex(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	if err := os.WriteFile(f.s.IndexPath(), []byte(`{"version":1,"entries":{"ghcr.io":{"serverURL":`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := f.s.List()
	if !errors.Is(err, ErrIndexCorrupt) || !strings.Contains(err.Error(), f.s.IndexPath()) {
		t.Errorf("list on a corrupt index = %v; want ErrIndexCorrupt naming the file", err)
	}
	if err := f.s.Add(&credentials.Credentials{ServerURL: "x.io", Username: "u", Secret: tok2}); !errors.Is(err, ErrIndexCorrupt) {
		t.Errorf("store on a corrupt index = %v", err)
	}
	if u, s, err := f.s.Get("ghcr.io"); err != nil || u != "alice" || s != tok1 {
		t.Errorf("get on a corrupt index = %q, %v; want it served from the keychain", u, err)
	}
	if len(f.warns) == 0 || !strings.Contains(f.warns[0].Message, "index.json") {
		t.Errorf("no warning naming the index: %v", f.warns)
	}
}

func TestUnknownFieldsSurvive(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	f.add("quay.io", "bob", tok2)
	path := f.s.IndexPath()
	data, _ := os.ReadFile(path)
	data = bytes.Replace(data, []byte(`"version": 1,`), []byte(`"future": {"x": [1,2]}, "version": 1,`), 1)
	data = bytes.Replace(data, []byte(`{"serverURL":"ghcr.io"`), []byte(`{"color":"blue","serverURL":"ghcr.io"`), 1)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, _ = f.s.Get("ghcr.io") // rewrites the ghcr.io entry
	f.add("quay.io", "carol", tok1)
	data, _ = os.ReadFile(path)
	for _, want := range []string{`"future": {"x":[1,2]}`, `"color":"blue"`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("index lost %s:\n%s", want, data)
		}
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("index is not JSON: %v", err)
	}
}

func TestListWithManyEntries(t *testing.T) {
	f := newFixture(t)
	x := &index{path: f.s.IndexPath(), top: map[string]json.RawMessage{}, entries: map[string]*indexEntry{}}
	for i := 0; i < 1000; i++ {
		u := fmt.Sprintf("registry-%d.example.com", i)
		x.put(&Entry{Key: u, ServerURL: u, Username: "u", Scope: []string{}})
	}
	if err := f.s.ensureDir(); err != nil {
		t.Fatal(err)
	}
	if err := x.write(false); err != nil {
		t.Fatal(err)
	}
	if got := f.list(); len(got) != 1000 || got["registry-999.example.com"] != "u" {
		t.Errorf("list of 1000 = %d entries", len(got))
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestStoreAppliesThePolicy(t *testing.T) {
	f := newFixture(t)
	err := f.s.Add(&credentials.Credentials{ServerURL: "https://index.docker.io/v1/", Username: "alice", Secret: "correct horse battery staple"})
	if !errors.Is(err, token.ErrPassword) || len(hint.Of(err)) == 0 {
		t.Fatalf("store of a Docker Hub password = %v, hints %q", err, hint.Of(err))
	}
	if keys := f.keys(); len(keys) != 0 || len(f.list()) != 0 {
		t.Fatalf("a refused password was stored: %v", keys)
	}
	f.add("docker.io", "alice", tok1+"\n") // a trailing newline is trimmed
	e := f.entry("docker.io")
	if e.Provider != token.ProviderDockerHub || e.Kind != "personal access token" || !f.s.fingerprintMatches(f.kc, e.Fingerprint, token.NewSecret(tok1)) {
		t.Errorf("entry = provider %q kind %q fingerprint %q", e.Provider, e.Kind, e.Fingerprint)
	}
	if _, s, _ := f.s.Get("docker.io"); s != tok1 {
		t.Errorf("stored %q, want the token without its newline", s)
	}
	exp := f.clock.now().Add(2 * time.Hour).Truncate(time.Second)
	f.add("example.azurecr.io", "<token>", credstoretest.JWT(map[string]any{"exp": exp.Unix(), "access": []map[string]any{{"type": "repository", "name": "app", "actions": []string{"pull"}}}}))
	e = f.entry("example.azurecr.io")
	if e.ExpiresAt == nil || !e.ExpiresAt.Equal(exp) || strings.Join(e.Scope, ",") != "repository:app:pull" {
		t.Errorf("JWT entry: expiresAt %v scope %v", e.ExpiresAt, e.Scope)
	}
}

func benchStore(b *testing.B, n int) *fixture {
	t := &testing.T{}
	f := &fixture{t: t, dir: filepath.Join(b.TempDir(), "state"), kc: keychainmem.NewMemory(),
		clock: &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}}
	f.s = f.store(Caller{PID: 4242, Name: "docker"})
	x := &index{path: f.s.IndexPath(), top: map[string]json.RawMessage{}, entries: map[string]*indexEntry{}}
	for i := 0; i < n; i++ {
		u := fmt.Sprintf("registry-%d.example.com", i)
		now := f.clock.now()
		x.put(&Entry{Key: u, ServerURL: u, Username: "u", Scope: []string{"repository:team/app:pull"}, Provider: token.ProviderGitHub,
			Kind: "personal access token", CreatedAt: now, UpdatedAt: now, LastUsedAt: &now, LastUsedBy: "docker", Backend: "memory",
			Fingerprint: "sha256:0123456789ab"})
		data, _ := encodePayload(u, "u", token.NewSecret(tok1))
		f.kc.Put(u, data)
	}
	if err := f.s.ensureDir(); err != nil {
		b.Fatal(err)
	}
	if err := x.write(false); err != nil {
		b.Fatal(err)
	}
	return f
}

// BenchmarkList and BenchmarkGet measure the in-process cost at 1,000
// entries: what list and get add to a process start.
func BenchmarkList1000(b *testing.B) {
	f := benchStore(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.s.List(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet1000(b *testing.B) {
	f := benchStore(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := f.s.Get("registry-500.example.com"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStore1000(b *testing.B) {
	f := benchStore(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		if err := f.s.Put("registry-500.example.com", "u", token.NewSecret(tok2), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// A process that holds the lock and stops (SIGSTOP) does not hang the
// others: they give up after the store's timeout, the keychain calls',
// with a line naming the lock; a get within its one deadline.
func TestLockWaitIsBounded(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	f.s.timeout = 300 * time.Millisecond // as Options.Timeout sets it
	unlock, err := lockState(f.dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	err = f.s.Add(&credentials.Credentials{ServerURL: "quay.io", Username: "bob", Secret: tok2})
	var le *LockError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), indexLockFile) || hint.First(err) == "" ||
		le.Waited != 300*time.Millisecond || !strings.Contains(err.Error(), "for more than 300ms") {
		t.Fatalf("store while the lock is held = %v", err)
	}
	// get still serves the token; only the use count is lost, with a warning.
	if _, s, err := f.s.Get("ghcr.io"); err != nil || s != tok1 {
		t.Fatalf("get while the lock is held = %v", err)
	}
	if len(f.warns) == 0 || !strings.Contains(f.warns[len(f.warns)-1].Message, "could not record the use") {
		t.Errorf("warnings = %v", f.warns)
	}
	msg := f.warns[len(f.warns)-1].Message
	if d, err := time.ParseDuration(msg[strings.LastIndex(msg, " ")+1:]); err != nil || d > 300*time.Millisecond {
		t.Errorf("get's warning %q: it waits for the lock only until its deadline", msg)
	}
	// The two waits that gave up may get the lock once it is free: they
	// must let it go at once, or the next store would wait in vain.
	unlock()
	f.s.timeout = 5 * time.Second
	if err := f.s.Add(&credentials.Credentials{ServerURL: "quay.io", Username: "bob", Secret: tok2}); err != nil {
		t.Fatalf("store once the lock is free = %v", err)
	}
	runtime.GC() // lockedfile panics in a finalizer on a file left unclosed
	runtime.GC()
}

// The keychain's hint for a failure it does not know names no program;
// the store names its own: Options.Program.
func TestOwnNamesTheProgram(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	s, err := New(Options{StateDir: f.dir, Program: "my-pat",
		Open: func(string) (keychain.Backend, string, error) { return f.kc, "", nil },
		Warn: func(w Warning) { f.warns = append(f.warns, w) }})
	if err != nil {
		t.Fatal(err)
	}
	f.kc.FailNext("get", &keychain.Error{Backend: "memory", Op: "get", Kind: keychain.ErrUnavailable, Hint: keychain.HintDoctor})
	if _, _, err := s.Get("ghcr.io"); err != ErrNotFound {
		t.Fatalf("get with a failing keychain: %v", err)
	}
	if n := len(f.warns); n == 0 || f.warns[n-1].Hint != "run `my-pat doctor` for details" {
		t.Errorf("warnings %+v, want the hint naming my-pat", f.warns)
	}
}

// The list marker is rewritten in place, as use records are (each get of
// a bulk read writes it): the same file all along, and a shorter marker
// over a longer one still reads back.
func TestListMarkerRewrittenInPlace(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	f.add("quay.io", "bob", tok2)
	build := f.store(Caller{PID: 777, Name: "docker"})
	p := filepath.Join(f.s.dir, listMarkerFile)
	var first os.FileInfo
	same := func(step string) {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if first == nil {
			first = fi
		} else if !os.SameFile(first, fi) {
			t.Errorf("%s replaced the list marker with another file", step)
		}
	}
	if _, err := build.List(); err != nil {
		t.Fatal(err)
	}
	same("list")
	for _, u := range []string{"ghcr.io", "quay.io"} {
		if _, _, err := build.Get(u); err != nil {
			t.Fatal(err)
		}
		same("get " + u)
	}
	if m := build.recentList(); m == nil || m.Gets != 2 || m.First != "ghcr.io" {
		t.Fatalf("marker after two gets: %+v", m)
	}
	// A new list writes a shorter marker over the longer one.
	if _, err := build.List(); err != nil {
		t.Fatal(err)
	}
	same("second list")
	if m := build.recentList(); m == nil || m.Gets != 0 || m.First != "" {
		t.Fatalf("marker after the second list: %+v, want a fresh one", m)
	}
	before := f.entry("quay.io").UseCount
	if _, _, err := build.Get("quay.io"); err != nil {
		t.Fatal(err)
	}
	if got := f.entry("quay.io").UseCount; got != before+1 {
		t.Errorf("the first get after the second list counted %d uses, want a use", got-before)
	}
}
