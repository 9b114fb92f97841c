package keychain

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

// countCalls counts the method calls named member on the bus at addr, as
// a monitor sees them (see recordCalls).
func countCalls(t *testing.T, addr, member string) func() int64 {
	t.Helper()
	calls := recordCalls(t, addr, member)
	return func() int64 {
		t.Helper()
		return int64(len(calls()))
	}
}

// recordCalls records the method calls named member on the bus at addr, as
// a monitor sees them. What it returns includes every call answered
// before it was asked for: it sends a marker call from a connection of its
// own and waits until the monitor has seen it, which the bus sends the
// monitor after the copies of every call it routed before (under load a
// copy trailed an answer by more than the 100 ms this once slept).
func recordCalls(t *testing.T, addr, member string) func() []*dbus.Message {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	marker, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { marker.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rules := []string{"type='method_call',member='" + member + "'", "type='method_call',path_namespace='" + markerPath + "'"}
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.Monitoring.BecomeMonitor", 0, rules, uint32(0)).Err; err != nil {
		t.Fatalf("BecomeMonitor: %v", err)
	}
	msgs := make(chan *dbus.Message, 64)
	conn.Eavesdrop(msgs) // after the answer, which Eavesdrop would take
	// godbus's Close closes the channel but leaves it set, and its reader
	// may still send a message it was dispatching: "send on closed
	// channel" killed the test binary (CI). Unset it first (the reader
	// checks it under the same lock), then close it here; Close, the
	// cleanup above, runs after this one.
	t.Cleanup(func() {
		conn.Eavesdrop(nil)
		close(msgs)
	})
	var (
		mu    sync.Mutex
		calls []*dbus.Message
		seen  int64 // the last marker
	)
	go func() {
		for m := range msgs {
			path, _ := m.Headers[dbus.FieldPath].Value().(dbus.ObjectPath)
			name, _ := m.Headers[dbus.FieldMember].Value().(string)
			mu.Lock()
			if k, ok := strings.CutPrefix(string(path), markerPath+"/m"); ok {
				if i, err := strconv.ParseInt(k, 10, 64); err == nil {
					seen = i
				}
			} else if name == member {
				calls = append(calls, m)
			}
			mu.Unlock()
		}
	}()
	var sent int64
	return func() []*dbus.Message {
		t.Helper()
		sent++
		path := dbus.ObjectPath(markerPath + "/m" + strconv.FormatInt(sent, 10))
		marker.Object("org.freedesktop.DBus", path).Go("org.freedesktop.DBus.Peer.Ping", dbus.FlagNoReplyExpected, nil)
		for range 1000 {
			mu.Lock()
			done, got := seen >= sent, slices.Clone(calls)
			mu.Unlock()
			if done {
				return got
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("the monitor did not see marker %s within 10 s", path)
		return nil
	}
}

// markerPath is where countCalls's marker calls go.
const markerPath = "/org/dockercredentialpat/marker"

// countCalls's monitor connection is closed at cleanup while the bus is
// still sending it copies of calls. godbus's Close raced its own reader
// there (send on closed channel), which killed the whole test binary in
// CI; without the helper's own cleanup this fails in a few dozen rounds.
func TestCountCallsClosesUnderTraffic(t *testing.T) {
	s := keychaintest.Start(t, testing.Short())
	spam, err := dbus.Connect(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer spam.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 1_000_000 {
			select {
			case <-stop:
				return
			default:
			}
			spam.BusObject().Go("org.freedesktop.DBus.GetId", dbus.FlagNoReplyExpected, nil)
		}
	}()
	defer wg.Wait()
	defer close(stop)
	for range 50 {
		t.Run("monitor", func(t *testing.T) {
			countCalls(t, s.Addr(), "GetId")
			time.Sleep(2 * time.Millisecond) // copies arrive; then the cleanup closes
		})
	}
}

// GetAt reads the item at its place without a search, and never the
// secret of a place that is not key's current item: one a newer store
// swept, one deleted, another key's, another collection's, a damaged
// place. Each of those falls back to the search (or to not found) and
// says where the item is now. On every implementation, with the item's
// attributes telling whose it is, and with the caller's holds.
func TestEachSecretServiceGetAt(t *testing.T) {
	for _, impl := range implementations {
		for _, verify := range []string{"attributes", "holds"} {
			t.Run(impl.name+"/"+verify, func(t *testing.T) { testGetAt(t, impl.name, impl.start(t), verify) })
		}
	}
}

func testGetAt(t *testing.T, impl string, s *keychaintest.SecretService, verify string) {
	// The data of key k is "k=...": what holds checks.
	holds := func(key string) func([]byte) bool {
		if verify == "attributes" {
			return nil
		}
		return func(data []byte) bool { return bytes.HasPrefix(data, []byte(key+"=")) }
	}
	getAt := func(ctx context.Context, b Backend, key, at string) ([]byte, string, error) {
		return GetAt(ctx, b, key, at, holds(key))
	}
	{
		{
			use(t, s)
			searches := countCalls(t, s.Addr(), "SearchItems")
			b := WithTimeout(NewOS(), 10*time.Second)
			ctx := context.Background()
			one, two := []byte("one.example="+testToken(t)), []byte("two.example="+testToken(t))
			// A store says where the new item is, unless the service
			// created it through a prompt (KeePassXC): a get then says.
			set := func(b Backend, key string, data []byte) string {
				t.Helper()
				at, err := SetAt(ctx, b, key, data)
				if err != nil {
					t.Fatal(err)
				}
				if at == "" {
					t.Logf("%s: SetAt of %s says no place", impl, key)
					if _, at, err = getAt(ctx, b, key, ""); err != nil {
						t.Fatal(err)
					}
				}
				return at
			}
			p1, p2 := set(b, "one.example", one), set(b, "two.example", two)
			if p1 == "" || p2 == "" || p1 == p2 {
				t.Fatalf("places %q and %q", p1, p2)
			}
			get := func(what, key, at string, want []byte, wantAt string, search bool) {
				t.Helper()
				before := searches()
				data, found, err := getAt(ctx, b, key, at)
				if err != nil || !bytes.Equal(data, want) || found != wantAt {
					t.Errorf("%s: GetAt = %.12q, %q, %v; want %.12q at %q", what, data, found, err, want, wantAt)
				}
				if searched := searches() > before; searched != search {
					t.Errorf("%s: searched %v, want %v", what, searched, search)
				}
			}
			get("own place", "one.example", p1, one, p1, false)
			get("no place", "one.example", "", one, p1, true)
			get("another key's place", "one.example", p2, one, p1, true)
			collection, item, _ := strings.Cut(p1, " ")
			get("another collection", "one.example", "/org/freedesktop/secrets/collection/other "+item, one, p1, true)
			for _, at := range []string{"garbage", collection + " not-a-path", collection + " " + item + "/0", collection + " /"} {
				get("place "+at, "one.example", at, one, p1, true)
			}

			// Another store of the key (this process, or any other client of
			// ours) rewrites its one item in place: the place still holds,
			// with the new secret.
			newest := []byte("one.example=rewritten-" + testToken(t))
			other := WithTimeout(NewOS(), 10*time.Second)
			if at, err := SetAt(ctx, other, "one.example", newest); err != nil || at != "" && at != p1 {
				t.Fatalf("SetAt of a key with one item = %q, %v; want its place %q", at, err, p1)
			}
			get("a rewritten item's place", "one.example", p1, newest, p1, false)

			// A store racing another (two items of the key) makes a new item
			// and sweeps the older ones: the old place is stale.
			if _, err := NewOS().(*secretService).createOnly(ctx, "one.example", []byte("one.example=racing")); err != nil {
				t.Fatal(err)
			}
			newer := []byte("one.example=newer-" + testToken(t))
			at, err := SetAt(ctx, other, "one.example", newer)
			if err != nil {
				t.Fatal(err)
			}
			before := searches()
			data, p1b, err := getAt(ctx, b, "one.example", p1)
			if err != nil || !bytes.Equal(data, newer) || p1b == p1 || at != "" && p1b != at || searches() == before {
				t.Errorf("place of a swept item: GetAt = %.12q, %q, %v; want %.12q at a new place (%q), found by a search", data, p1b, err, newer, at)
			}
			get("the new item's place", "one.example", p1b, newer, p1b, false)

			// A deleted key: its place answers not found, never its old secret.
			if err := b.Delete(ctx, "two.example"); err != nil {
				t.Fatal(err)
			}
			if data, found, err := getAt(ctx, b, "two.example", p2); !errors.Is(err, ErrNotFound) || data != nil || found != "" {
				t.Errorf("place of a deleted key: %.12q, %q, %v; want ErrNotFound", data, found, err)
			}
			// The place of another key's deleted item, now asked for that key.
			if data, _, err := getAt(ctx, b, "two.example", p1); !errors.Is(err, ErrNotFound) || data != nil {
				t.Errorf("another key's place for a deleted key: %.12q, %v; want ErrNotFound", data, err)
			}
		}
	}
}

// A locked collection is not read through a place: GetAt says locked, as
// Get does, when no dialog can be shown.
func TestSecretServiceGetAtLocked(t *testing.T) {
	s := keychaintest.Start(t, testing.Short())
	use(t, s)
	b := WithTimeout(NewOS(), 10*time.Second)
	ctx := context.Background()
	at, err := SetAt(ctx, b, "locked.example", []byte("v-"+testToken(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Lock(); err != nil {
		t.Fatal(err)
	}
	data, found, err := GetAt(ctx, b, "locked.example", at, nil)
	if !errors.Is(err, ErrLocked) || data != nil || found != "" {
		t.Errorf("GetAt in a locked collection = %.12q, %q, %v; want ErrLocked", data, found, err)
	}
}

// A get's warm-up and its call, at once on a fresh connection, greet the
// Secret Service once: a second Collections read would queue ahead of the
// OpenSession after the first.
func TestSecretServiceGreetsOnce(t *testing.T) {
	s := keychaintest.Start(t, testing.Short())
	use(t, s)
	ctx := context.Background()
	b := WithTimeout(NewOS(), 10*time.Second)
	if err := b.Set(ctx, "once.example", []byte("v")); err != nil {
		t.Fatal(err)
	}
	greetings := countCalls(t, s.Addr(), "Get")
	for range 5 {
		shared.Lock()
		shared.conn.Close() // a new process's first get: a new connection
		shared.Unlock()
		before := greetings()
		done := make(chan struct{})
		go func() { Warm(ctx, b); close(done) }()
		if data, _, err := GetAt(ctx, b, "once.example", "", nil); err != nil || string(data) != "v" {
			t.Fatalf("GetAt = %q, %v", data, err)
		}
		<-done
		// The lock check reads Locked, a Get too: a search reads it once.
		if n := greetings() - before; n != 2 {
			t.Errorf("a get with its warm-up made %d property reads, want 2 (the greeting and Locked)", n)
		}
	}
}

// createOnly adds an item for key as a store racing another does, before
// its sweep: the key then has two items.
func (b *secretService) createOnly(ctx context.Context, key string, data []byte) (dbus.ObjectPath, error) {
	c, err := b.connect(ctx, "set")
	if err != nil {
		return "", err
	}
	return c.create(ctx, key, data)
}

// A Secret Service restarted between two gets (gnome-keyring: its items
// come back from the keyring file, under the paths the new daemon gives
// them, and the old sessions are gone) never has another key's secret
// served through a place recorded before it: every old place gives the
// key's own secret or falls back to the search, and a deleted key's old
// places answer not found, whatever item now sits there. With the item's
// attributes telling whose it is, and with the caller's holds.
func TestSecretServiceGetAtAfterRestart(t *testing.T) {
	s := keychaintest.Start(t, testing.Short())
	use(t, s)
	t.Cleanup(dropSharedConn)
	ctx := context.Background()
	b := WithTimeout(NewOS(), 10*time.Second)
	restart := func() {
		t.Helper()
		if err := s.Restart(); err != nil {
			t.Fatal(err)
		}
		dropSharedConn() // the next get is another process's: a new connection
	}
	keys := []string{"one.example", "two.example", "three.example"}
	data := map[string][]byte{}
	var places []string
	for _, k := range keys {
		data[k] = []byte(k + "=" + testToken(t))
		at, err := SetAt(ctx, b, k, data[k])
		if err != nil || at == "" {
			t.Fatalf("SetAt(%s) = %q, %v", k, at, err)
		}
		places = append(places, at)
	}
	restart()
	for _, verify := range []string{"attributes", "holds"} {
		holds := func(key string) func([]byte) bool {
			if verify == "attributes" {
				return nil
			}
			return func(d []byte) bool { return bytes.HasPrefix(d, []byte(key+"=")) }
		}
		for _, k := range keys {
			for _, at := range places {
				got, _, err := GetAt(ctx, b, k, at, holds(k))
				if err != nil || !bytes.Equal(got, data[k]) {
					t.Errorf("%s, after a restart: %s through the old place %s: %.12q, %v; want its own secret", verify, k, at, got, err)
				}
			}
		}
	}

	// A deleted key, then another restart and a new item of another key:
	// gnome-keyring gives it the deleted item's path (the highest number
	// is free again).
	gone := keys[len(keys)-1]
	if err := b.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	restart()
	data["four.example"] = []byte("four.example=" + testToken(t))
	at4, err := SetAt(ctx, b, "four.example", data["four.example"])
	if err != nil {
		t.Fatal(err)
	}
	if at4 != places[len(places)-1] {
		t.Logf("four.example's item is at %s, not at the deleted item's place %s", at4, places[len(places)-1])
	}
	places = append(places, at4)
	for _, verify := range []string{"attributes", "holds"} {
		var holds func([]byte) bool
		if verify == "holds" {
			holds = func(d []byte) bool { return bytes.HasPrefix(d, []byte(gone+"=")) }
		}
		for _, at := range places {
			if got, found, err := GetAt(ctx, b, gone, at, holds); !errors.Is(err, ErrNotFound) || got != nil || found != "" {
				t.Errorf("%s: the deleted %s through %s: %.12q, %q, %v; want not found", verify, gone, at, got, found, err)
			}
		}
	}
	if got, _, err := GetAt(ctx, b, "four.example", places[0], nil); err != nil || !bytes.Equal(got, data["four.example"]) {
		t.Errorf("four.example through another key's place: %.12q, %v; want its own secret", got, err)
	}
}
