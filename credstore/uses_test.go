package credstore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychainmem"
)

// A get counts its use in the entry's use record and leaves the index file
// as it was: its cost must not grow with the number of entries.
func TestGetLeavesIndexAlone(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	f.add("quay.io", "bob", tok2)
	before, err := os.ReadFile(f.s.IndexPath())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, _, err := f.s.Get("ghcr.io"); err != nil {
			t.Fatal(err)
		}
	}
	after, err := os.ReadFile(f.s.IndexPath())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("get rewrote the index:\nbefore %s\nafter  %s", before, after)
	}
	if e := f.entry("ghcr.io"); e.UseCount != 3 || e.LastUsedBy != "docker" || e.LastUsedAt == nil {
		t.Errorf("ghcr.io: useCount %d by %q at %v, want 3 uses by docker", e.UseCount, e.LastUsedBy, e.LastUsedAt)
	}
	if e := f.entry("quay.io"); e.UseCount != 0 {
		t.Errorf("quay.io: useCount %d, want 0", e.UseCount)
	}
	es, err := f.s.Entries()
	if err != nil || len(es) != 2 || es[0].Key != "ghcr.io" || es[0].UseCount != 3 {
		t.Errorf("Entries: %v, %v", es, err)
	}
	// Another write to the index keeps the count.
	f.add("docker.io", "carol", tok1)
	if e := f.entry("ghcr.io"); e.UseCount != 3 {
		t.Errorf("after another store: useCount %d, want 3", e.UseCount)
	}
}

// A new token starts from zero uses, a re-stored one keeps its count, and
// an erase takes the record with it.
func TestUseRecordFollowsTheToken(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	f.s.Get("ghcr.io")
	f.add("ghcr.io", "alice", tok1)
	if e := f.entry("ghcr.io"); e.UseCount != 1 {
		t.Errorf("same token stored again: useCount %d, want 1", e.UseCount)
	}
	rec := f.s.usePath("ghcr.io")
	stale, err := os.ReadFile(rec)
	if err != nil {
		t.Fatalf("no use record after a get: %v", err)
	}
	f.add("ghcr.io", "alice", tok2)
	if e := f.entry("ghcr.io"); e.UseCount != 0 || e.LastUsedAt != nil {
		t.Errorf("new token: useCount %d lastUsedAt %v, want none", e.UseCount, e.LastUsedAt)
	}
	// A record left for the old token (a process killed before it went)
	// does not count for the new one.
	if err := os.WriteFile(rec, stale, 0o600); err != nil {
		t.Fatal(err)
	}
	if e := f.entry("ghcr.io"); e.UseCount != 0 {
		t.Errorf("stale record counted: useCount %d", e.UseCount)
	}
	f.s.Get("ghcr.io")
	if e := f.entry("ghcr.io"); e.UseCount != 1 {
		t.Errorf("first use of the new token: useCount %d, want 1", e.UseCount)
	}
	if err := f.s.Delete("ghcr.io"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(rec); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("use record after erase: %v", err)
	}
}

// sweepUses removes records no entry has, and keeps the others.
func TestSweepUses(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	f.s.Get("ghcr.io")
	orphan := f.s.usePath("gone.example.com")
	if err := os.WriteFile(orphan, []byte(`{"key":"gone.example.com"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var n int
	err := f.s.locked(func(x *index) error { n = f.s.sweepUses(x); return nil })
	if err != nil || n != 1 {
		t.Fatalf("sweep removed %d (%v), want 1", n, err)
	}
	if _, err := os.Stat(orphan); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("orphan still there: %v", err)
	}
	if e := f.entry("ghcr.io"); e.UseCount != 1 {
		t.Errorf("kept record: useCount %d, want 1", e.UseCount)
	}
}

// lookupIndex finds one entry in the layout encode writes, says a missing
// key is missing, reads any other layout through readIndex, and never
// takes a damaged file for an empty one.
func TestLookupIndex(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	f.add("quay.io", "bob", tok2)
	path := f.s.IndexPath()
	e, exists, err := lookupIndex(path, "quay.io")
	if err != nil || !exists || e == nil || e.Username != "bob" || e.Key != "quay.io" {
		t.Fatalf("lookup quay.io = %+v, %v, %v", e, exists, err)
	}
	if e, exists, err := lookupIndex(path, "quay.i"); e != nil || !exists || err != nil {
		t.Errorf("lookup of a prefix of a key = %+v, %v, %v; want a miss", e, exists, err)
	}
	if e, exists, err := lookupIndex(filepath.Join(f.dir, "none.json"), "quay.io"); e != nil || exists || err != nil {
		t.Errorf("lookup in no file = %+v, %v, %v", e, exists, err)
	}
	// Another layout: one line of JSON, as a person might write it.
	other := `{"version":1,"entries":{"quay.io":{"serverURL":"quay.io","username":"carol"}}}`
	if err := os.WriteFile(path, []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	if e, exists, err := lookupIndex(path, "quay.io"); err != nil || !exists || e == nil || e.Username != "carol" {
		t.Errorf("lookup in another layout = %+v, %v, %v", e, exists, err)
	}
	// The right layout with the entry's line damaged, and a truncated file.
	good, _ := readIndex(path)
	good.write(false)
	data, _ := os.ReadFile(path)
	damaged := strings.Replace(string(data), `"username":"carol"`, `"username":carol"`, 1)
	for name, content := range map[string]string{"damaged line": damaged, "truncated": string(data[:len(data)-5])} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := lookupIndex(path, "quay.io"); !errors.Is(err, ErrIndexCorrupt) {
			t.Errorf("%s: lookup = %v, want ErrIndexCorrupt", name, err)
		}
	}
}

// A get tells the keychain where the store put the item, or where the
// last use of the same token found it (keychain.Locator), and records
// where it found it; a store of the key starts again from where its Set
// put the new item; an entry being replaced starts from no place.
func TestGetStartsWhereTheItemIs(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	lastAt := func() string {
		t.Helper()
		calls := f.kc.Calls()
		for i := len(calls) - 1; i >= 0; i-- {
			if calls[i].Op == "get" {
				return calls[i].At
			}
		}
		t.Fatal("no get reached the keychain")
		return ""
	}
	get := func() {
		t.Helper()
		if _, s, err := f.s.Get("ghcr.io"); err != nil || s != tok1 && s != tok2 {
			t.Fatalf("get = %v", err)
		}
	}
	place := f.kc.Place("ghcr.io")
	if e := f.entry("ghcr.io"); e.Locator != place {
		t.Fatalf("entry after a store: locator %q, want %q", e.Locator, place)
	}
	get()
	if at := lastAt(); at != place {
		t.Errorf("first get after a store was told %q, want %q", at, place)
	}
	// A place learnt by a get (the item moved: another client replaced
	// it, say) is kept in the use record and used by the next get.
	f.kc.Put("ghcr.io", mustPayload(t, "ghcr.io", "alice", tok1))
	moved := f.kc.Place("ghcr.io")
	get()
	if u := readUse(f.s.usePath("ghcr.io")); u == nil || u.Locator != moved {
		t.Fatalf("use record after a get: %+v, want locator %q", u, moved)
	}
	get()
	if at := lastAt(); at != moved {
		t.Errorf("get after the item moved was told %q, want %q", at, moved)
	}
	if e := f.entry("ghcr.io"); e.UseCount != 3 || e.Locator != moved {
		t.Errorf("entry: useCount %d locator %q", e.UseCount, e.Locator)
	}

	// The same token stored again: the new item's place, and the count kept.
	f.add("ghcr.io", "alice", tok1)
	place = f.kc.Place("ghcr.io")
	get()
	if at := lastAt(); at != place {
		t.Errorf("get after the same token was stored again was told %q, want %q", at, place)
	}
	if e := f.entry("ghcr.io"); e.UseCount != 4 {
		t.Errorf("same token stored again: useCount %d, want 4", e.UseCount)
	}
	// A new token: its item's place.
	f.add("ghcr.io", "alice", tok2)
	place = f.kc.Place("ghcr.io")
	get()
	if at := lastAt(); at != place {
		t.Errorf("first get of a new token was told %q, want %q", at, place)
	}

	// While a store of the key is in flight (the index says storing), the
	// place of the item being replaced is neither used nor recorded.
	err := f.s.locked(func(x *index) error {
		e, err := x.get("ghcr.io")
		if err != nil {
			return err
		}
		e.State, e.Listed, e.Locator = stateStoring, true, "memory/stale"
		x.put(e)
		return x.write(false)
	})
	if err != nil {
		t.Fatal(err)
	}
	get()
	if at := lastAt(); at != "" {
		t.Errorf("get during a store was told %q, want no place", at)
	}
	if u := readUse(f.s.usePath("ghcr.io")); u == nil || u.Locator != "" {
		t.Errorf("use record after a get during a store: %+v, want no locator", u)
	}
}

func mustPayload(t *testing.T, url, user, secret string) []byte {
	t.Helper()
	data, err := encodePayload(url, user, token.NewSecret(secret))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// warmingBackend is a memory keychain that says when it is warmed, and
// whether that was before a get asked it for an item.
type warmingBackend struct {
	*keychainmem.Memory
	warmed chan string
}

func (w warmingBackend) Warm(context.Context) { w.warmed <- w.Name() }

func (w warmingBackend) GetAt(ctx context.Context, key, at string, holds func([]byte) bool) ([]byte, string, error) {
	w.warmed <- "get"
	return w.Memory.GetAt(ctx, key, at, holds)
}

// A get warms up (connects, greets) the backend it will most likely use,
// before it reads the index: the one named for new entries, or, for auto,
// the one auto chose last. It does so itself, not on a goroutine that
// could start after its own call.
func TestGetWarmsTheBackend(t *testing.T) {
	for _, backend := range []string{"memory", "auto"} {
		t.Run(backend, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			w := warmingBackend{keychainmem.NewMemory(), make(chan string, 10)}
			s, err := New(Options{StateDir: dir, Backend: backend,
				Open: func(string) (keychain.Backend, string, error) { return w, "", nil }})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Put("ghcr.io", "alice", token.NewSecret(tok1), nil); err != nil {
				t.Fatal(err)
			}
			if backend == "auto" {
				if err := os.WriteFile(filepath.Join(dir, BackendFile), []byte("memory\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			calls := func() []string {
				var calls []string
				for len(w.warmed) > 0 {
					calls = append(calls, <-w.warmed)
				}
				return calls
			}
			if _, secret, err := s.Get("ghcr.io"); err != nil || secret != tok1 {
				t.Fatalf("get = %v", err)
			}
			if got := calls(); !slices.Equal(got, []string{"memory", "get"}) {
				t.Errorf("calls to the backend: %q, want it warmed (memory) before the get", got)
			}
			if _, _, err := s.Get("quay.io"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("get of a key not stored = %v", err)
			}
			if got := calls(); !slices.Equal(got, []string{"memory"}) {
				t.Errorf("calls to the backend for a miss: %q, want one warm-up and nothing else", got)
			}
		})
	}
}

// placeMixup is a keychain whose every place holds the item of the key
// "quay.io", as a stale place reused by another key's item would: it
// serves that data only if holds takes it, as the Secret Service does.
type placeMixup struct{ *keychainmem.Memory }

func (p placeMixup) GetAt(ctx context.Context, key, at string, holds func([]byte) bool) ([]byte, string, error) {
	if at != "" && holds != nil {
		if data, ok := p.Raw("quay.io"); ok && holds(data) {
			return data, at, nil
		}
	}
	return p.Memory.GetAt(ctx, key, "", nil)
}

// What a get gives the keychain to tell its data from another key's takes
// only its own key's payload.
func TestGetHoldsItsOwnKey(t *testing.T) {
	kc := placeMixup{keychainmem.NewMemory()}
	s, err := New(Options{StateDir: filepath.Join(t.TempDir(), "state"),
		Open: func(string) (keychain.Backend, string, error) { return kc, "", nil }})
	if err != nil {
		t.Fatal(err)
	}
	for url, secret := range map[string]string{"https://ghcr.io/": tok1, "quay.io": tok2} {
		if err := s.Put(url, "alice", token.NewSecret(secret), nil); err != nil {
			t.Fatal(err)
		}
	}
	for url, want := range map[string]string{"ghcr.io": tok1, "https://quay.io/v2/": tok2} {
		if _, secret, err := s.Get(url); err != nil || secret != want {
			t.Errorf("get %s = %v, and another key's secret: %v", url, err, secret != want)
		}
	}
}

// A use rewrites its record in place: the same file, no temporary file
// and no rename (a rename over a file costs a get 0.5 ms on ext4), and a
// shorter record over a longer one leaves no trailing bytes a reader
// would choke on. A record too long to write in one page is replaced
// whole instead.
func TestUseRecordRewrittenInPlace(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	long := f.store(Caller{PID: 1, Name: strings.Repeat("a-long-program-name-", 5)})
	if _, _, err := long.Get("ghcr.io"); err != nil {
		t.Fatal(err)
	}
	p := f.s.usePath("ghcr.io")
	before, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.Get("ghcr.io"); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("the use record was replaced by another file, not rewritten in place")
	}
	if after.Size() != before.Size() {
		t.Errorf("record is %d bytes after a shorter rewrite, want the old %d (padded)", after.Size(), before.Size())
	}
	if u := readUse(p); u == nil || u.UseCount != 2 || u.LastUsedBy != "docker" {
		t.Fatalf("record after the shorter rewrite: %+v, want 2 uses, last by docker", u)
	}
	if e := f.entry("ghcr.io"); e.UseCount != 2 || e.LastUsedBy != "docker" {
		t.Errorf("entry: %d uses, last by %q; want 2 by docker", e.UseCount, e.LastUsedBy)
	}
	names, _ := os.ReadDir(filepath.Dir(p))
	if len(names) != 1 {
		t.Errorf("uses/ holds %d files, want the one record: %v", len(names), names)
	}

	// Past one page the record is replaced whole, and still reads back.
	huge := f.store(Caller{PID: 1, Name: strings.Repeat("x", maxInPlace)})
	if _, _, err := huge.Get("ghcr.io"); err != nil {
		t.Fatal(err)
	}
	if u := readUse(p); u == nil || u.UseCount != 3 || len(u.LastUsedBy) != maxInPlace {
		t.Fatalf("record after a long rewrite: %+v, want 3 uses", u)
	}
	if _, _, err := f.s.Get("ghcr.io"); err != nil {
		t.Fatal(err)
	}
	if u := readUse(p); u == nil || u.UseCount != 4 || u.LastUsedBy != "docker" {
		t.Fatalf("record after shrinking from a long one: %+v, want 4 uses by docker", u)
	}
}

// A store of a new token starts its use record from zero, so that the
// first get after a login rewrites it in place rather than creating it;
// a new token for the key starts again from zero.
func TestStoreStartsTheUseRecord(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	p := f.s.usePath("ghcr.io")
	stored, err := os.Stat(p)
	if err != nil {
		t.Fatalf("no use record after the store: %v", err)
	}
	u := readUse(p)
	if e := f.entry("ghcr.io"); u == nil || u.Key != "ghcr.io" || u.Fingerprint != e.Fingerprint || u.UseCount != 0 || u.Locator != "" {
		t.Fatalf("record after the store: %+v, want ghcr.io's token from zero, no place", u)
	}
	if _, _, err := f.s.Get("ghcr.io"); err != nil {
		t.Fatal(err)
	}
	if used, err := os.Stat(p); err != nil || !os.SameFile(stored, used) {
		t.Errorf("the first get replaced the store's record (%v), not rewrote it in place", err)
	}
	if e := f.entry("ghcr.io"); e.UseCount != 1 {
		t.Errorf("after one get: %d uses", e.UseCount)
	}
	// The same token under another username is a new entry too: its
	// record starts from zero, whatever the old one counted.
	f.add("ghcr.io", "bob", tok1)
	if e := f.entry("ghcr.io"); e.UseCount != 0 || e.LastUsedAt != nil {
		t.Errorf("the token stored again for bob starts with %d uses, last %v", e.UseCount, e.LastUsedAt)
	}
	if _, _, err := f.s.Get("ghcr.io"); err != nil {
		t.Fatal(err)
	}
	f.add("ghcr.io", "alice", tok2)
	if u := readUse(p); u == nil || u.UseCount != 0 || u.Fingerprint != f.entry("ghcr.io").Fingerprint {
		t.Errorf("record after a new token: %+v, want it from zero", u)
	}
	if e := f.entry("ghcr.io"); e.UseCount != 0 || e.LastUsedAt != nil {
		t.Errorf("a new token starts with %d uses, last %v", e.UseCount, e.LastUsedAt)
	}
}
