package keychain

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
	"github.com/godbus/dbus/v5"
)

// useSecretService starts a private gnome-keyring for the test and points
// this process at it, with no display (so no prompt can be shown).
func useSecretService(t *testing.T) *keychaintest.SecretService {
	t.Helper()
	s := keychaintest.Start(t, testing.Short())
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv(busEnv, "") // restored by t; Setenv below overrides it
	t.Cleanup(s.Setenv())
	return s
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func testToken(t testing.TB) string {
	return "dckr_pat_" + base64.RawURLEncoding.EncodeToString(randomBytes(t, 27))
}

func TestSecretServiceRoundTrip(t *testing.T) {
	useSecretService(t)
	b := WithTimeout(NewOS(), 10*time.Second)
	ctx := context.Background()
	if b.Name() != "secretservice" {
		t.Fatalf("Name() = %q", b.Name())
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	cases := map[string][]byte{
		"token":           []byte(testToken(t)),
		"every byte":      all,
		"random binary":   randomBytes(t, 1000),
		"64 KiB binary":   randomBytes(t, 64<<10),
		"64 KiB text":     bytes.Repeat([]byte("abcdefgh"), 8<<10),
		"nul inside":      []byte("a\x00b"),
		"our prefix":      []byte(encodedPrefix + "not base64 !"),
		"invalid utf-8":   []byte("caf\xe9"),
		"unicode text":    []byte("jeton-é-🔑\n\t "),
		"leading spaces":  []byte("  x  "),
		"empty":           {},
		"json with token": []byte(`{"Username":"u","Secret":"` + testToken(t) + `"}`),
	}
	for name, data := range cases {
		key := "https://roundtrip.example/" + strings.ReplaceAll(name, " ", "-")
		if err := b.Set(ctx, key, data); err != nil {
			t.Fatalf("%s: Set: %v", name, err)
		}
		got, err := b.Get(ctx, key)
		if err != nil {
			t.Fatalf("%s: Get: %v", name, err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s: Get returned %d bytes, want %d (first diff at %d)", name, len(got), len(data), firstDiff(got, data))
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestSecretServiceReplaceDeleteNotFound(t *testing.T) {
	useSecretService(t)
	b := WithTimeout(NewOS(), 10*time.Second)
	ctx := context.Background()
	key := "registry.example:5000"

	if _, err := b.Get(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing key: %v, want ErrNotFound", err)
	}
	if err := b.Delete(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete of a missing key: %v, want ErrNotFound", err)
	}
	first, second := []byte(testToken(t)), []byte(testToken(t))
	if err := b.Set(ctx, key, first); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, key, second); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(ctx, key); err != nil || !bytes.Equal(got, second) {
		t.Fatalf("after replace: %q, %v; want the second value", got, err)
	}
	if n := countItems(t, key); n != 1 {
		t.Fatalf("%d items for %s after replace, want 1", n, key)
	}
	// Another key is another item.
	if _, err := b.Get(ctx, "registry.example:5001"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a neighbour key: %v, want ErrNotFound", err)
	}
	if err := b.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
	}
	if err := b.Delete(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v, want ErrNotFound", err)
	}
}

// secretTool runs secret-tool against the test's Secret Service.
func secretTool(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("secret-tool"); err != nil {
		keychaintest.Skip(t, "Secret Service item tests", "secret-tool not installed", keychaintest.Apt("libsecret-tools"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "secret-tool", args...).CombinedOutput()
	if err != nil && !(len(out) == 0 && args[0] == "search") {
		t.Fatalf("secret-tool %v: %v: %s", args, err, out)
	}
	return string(out)
}

// countItems counts the items secret-tool finds for our service and key.
func countItems(t *testing.T, key string) int {
	n := 0
	for _, l := range strings.Split(secretTool(t, "search", "--all", "service", Service, "username", key), "\n") {
		if strings.HasPrefix(l, "[/") {
			n++
		}
	}
	return n
}

func TestSecretServiceItemsAsSecretToolSeesThem(t *testing.T) {
	useSecretService(t)
	b := WithTimeout(NewOS(), 10*time.Second)
	ctx := context.Background()
	token := testToken(t)
	binary := append([]byte{0xff, 0}, randomBytes(t, 64)...)
	if err := b.Set(ctx, "https://index.docker.io/v1/", []byte(token)); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, "ghcr.io", binary); err != nil {
		t.Fatal(err)
	}
	out := secretTool(t, "search", "--all", "service", Service)
	for _, want := range []string{
		"attribute.service = " + Service,
		"attribute.username = https://index.docker.io/v1/",
		"attribute.username = ghcr.io",
		"label = Password for 'ghcr.io' on '" + Service + "'",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("secret-tool search lacks %q:\n%s", want, out)
		}
	}
	// search prints secrets too: keep only the labels and attributes.
	var meta []string
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "secret = ") {
			meta = append(meta, l)
		}
	}
	for _, leak := range []string{token, base64.StdEncoding.EncodeToString([]byte(token)),
		base64.StdEncoding.EncodeToString(binary)} {
		if strings.Contains(strings.Join(meta, "\n"), leak) {
			t.Errorf("a secret (or its base64) is in a label or attribute:\n%s", strings.Join(meta, "\n"))
		}
	}
	// A text token is stored as it is; binary data in our encoding.
	if got := secretTool(t, "lookup", "service", Service, "username", "https://index.docker.io/v1/"); got != token {
		t.Errorf("secret-tool lookup = %d bytes, want the token as stored", len(got))
	}
	got := secretTool(t, "lookup", "service", Service, "username", "ghcr.io")
	if got != encodedPrefix+base64.StdEncoding.EncodeToString(binary) {
		t.Errorf("binary item is %q, want %s + base64", got, encodedPrefix)
	}
}

// concurrent runs workers goroutines that each store and read their own
// key and a shared one, rounds times, through b: every read sees a value
// stored, and the shared key ends with one item.
func concurrent(t *testing.T, b Backend, workers, rounds int) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*2)
	shared := "shared.example"
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := fmt.Sprintf("worker%d.example", w)
			for r := range rounds {
				data := []byte(fmt.Sprintf("w%d-r%d-%s", w, r, strings.Repeat("x", r*100)))
				if err := b.Set(ctx, own, data); err != nil {
					errs <- fmt.Errorf("worker %d: Set: %w", w, err)
					return
				}
				got, err := b.Get(ctx, own)
				if err != nil || !bytes.Equal(got, data) {
					errs <- fmt.Errorf("worker %d: Get own key = %q, %v", w, got, err)
					return
				}
				if err := b.Set(ctx, shared, data); err != nil {
					errs <- fmt.Errorf("worker %d: Set shared: %w", w, err)
					return
				}
				if got, err := b.Get(ctx, shared); err != nil || !bytes.HasPrefix(got, []byte("w")) {
					errs <- fmt.Errorf("worker %d: Get shared = %q, %v", w, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(items(t, shared)); n != 1 {
		t.Errorf("%d items for the key every worker replaced, want 1", n)
	}
}

// concurrentGets stores a key per worker and a shared one, then has the
// workers read them all at once, as a compose pull's gets do.
func concurrentGets(t *testing.T, b Backend, workers, rounds int) {
	t.Helper()
	ctx := context.Background()
	want := map[string][]byte{"shared.example": keychaintest.RandomSecret(300)}
	for w := range workers {
		want[fmt.Sprintf("worker%d.example", w)] = keychaintest.RandomSecret(100 + w)
	}
	for key, data := range want {
		if err := b.Set(ctx, key, data); err != nil {
			t.Fatalf("Set %s: %v", key, err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			own := fmt.Sprintf("worker%d.example", w)
			for range rounds {
				for _, key := range []string{own, "shared.example"} {
					if got, err := b.Get(ctx, key); err != nil || !bytes.Equal(got, want[key]) {
						errs <- fmt.Errorf("worker %d: Get %s = %d bytes, %v", w, key, len(got), err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSecretServiceLocked(t *testing.T) {
	s := useSecretService(t)
	ctx := context.Background()
	b := WithTimeout(NewOS(), 10*time.Second)
	if err := b.Set(ctx, "locked.example", []byte(testToken(t))); err != nil {
		t.Fatal(err)
	}
	if err := s.Lock(); err != nil {
		t.Fatal(err)
	}
	// With no display, and with one (gnome-keyring then tries to show its
	// unlock prompt, which cannot start on the test's bus): ErrLocked,
	// never a hang.
	for _, display := range []string{"", ":99"} {
		t.Setenv("DISPLAY", display)
		check := display == ""
		b := WithTimeout(NewOS(), 10*time.Second)
		_, err := b.Get(ctx, "locked.example")
		assertLocked(t, check, "get", err)
		assertLocked(t, check, "set", b.Set(ctx, "locked.example", []byte("x")))
		assertLocked(t, check, "set new", b.Set(ctx, "new.example", []byte("x")))
		assertLocked(t, check, "delete", b.Delete(ctx, "locked.example"))
	}
	if locked, err := s.Locked(); err != nil || !locked {
		t.Fatalf("collection no longer locked (%v, %v): something unlocked it", locked, err)
	}
}

func assertLocked(t *testing.T, noDisplay bool, op string, err error) {
	t.Helper()
	t.Logf("no display %v: %s: %v", noDisplay, op, err)
	if !errors.Is(err, ErrLocked) {
		t.Errorf("no display %v: %s on a locked keyring: %v, want ErrLocked", noDisplay, op, err)
		return
	}
	if HintOf(err) == "" {
		t.Errorf("no display %v: %s: no hint in %v", noDisplay, op, err)
	}
}

func TestSecretServiceNotRunning(t *testing.T) {
	keychaintest.Require(t, testing.Short())
	dir, err := os.MkdirTemp("", "dcp-ss-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bus, err := keychaintest.StartBus(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Stop()
	t.Setenv(busEnv, "")
	t.Cleanup(bus.Setenv())
	_, err = WithTimeout(NewOS(), 10*time.Second).Get(context.Background(), "x")
	if !errors.Is(err, ErrUnavailable) || HintOf(err) != hintNoSecretService {
		t.Fatalf("Get with a bus but no Secret Service: %v (hint %q), want ErrUnavailable with the install hint", err, HintOf(err))
	}
	if !strings.Contains(err.Error(), "org.freedesktop.secrets") {
		t.Errorf("error %q does not name the missing service", err)
	}
}

func TestSecretServiceStaleBus(t *testing.T) {
	t.Setenv(busEnv, "unix:path="+t.TempDir()+"/gone")
	_, err := NewOS().Get(context.Background(), "x")
	if !errors.Is(err, ErrUnavailable) || HintOf(err) != hintStaleBus {
		t.Fatalf("Get with a stale bus address: %v (hint %q), want ErrUnavailable with the stale-bus hint", err, HintOf(err))
	}
}

// BenchmarkSecretServiceGet is one Get of a token-sized item through the
// real Secret Service, as `docker pull` does it (connection kept by godbus).
func BenchmarkSecretServiceGet(b *testing.B) {
	s := keychaintest.Start(b, false)
	b.Setenv("DISPLAY", "")
	b.Setenv("WAYLAND_DISPLAY", "")
	b.Setenv(busEnv, "")
	b.Cleanup(s.Setenv())
	kb := WithTimeout(NewOS(), 10*time.Second)
	ctx := context.Background()
	data := []byte(`{"Username":"u","Secret":"` + testToken(b) + `"}`)
	if err := kb.Set(ctx, "bench.example", data); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := kb.Get(ctx, "bench.example"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSecretServiceFrozen stops gnome-keyring-daemon (SIGSTOP) so the
// Secret Service never answers, as when it waits on a prompt: every call
// must come back with ErrTimeout within its deadline, and the backend must
// work again once the daemon does.
func TestSecretServiceFrozen(t *testing.T) {
	s := useSecretService(t)
	b := WithTimeout(NewOS(), 300*time.Millisecond)
	ctx := context.Background()
	if err := b.Set(ctx, "frozen.example", []byte("v")); err != nil {
		t.Fatal(err)
	}
	pid := s.PIDs()[1]
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			syscall.Kill(pid, syscall.SIGCONT)
			resumed = true
		}
	}
	defer resume()
	start := time.Now()
	_, getErr := b.Get(ctx, "frozen.example")
	for op, err := range map[string]error{
		"get":    getErr,
		"set":    b.Set(ctx, "frozen.example", []byte("w")),
		"delete": b.Delete(ctx, "frozen.example"),
	} {
		if !errors.Is(err, ErrTimeout) || !strings.Contains(HintOf(err), "unlock") {
			t.Errorf("%s on a frozen Secret Service: %v (hint %q), want ErrTimeout with a hint", op, err, HintOf(err))
		}
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("three calls with a 300ms deadline took %v", took)
	}
	resume()
	// The abandoned calls on frozen.example may still land: use another key.
	b = WithTimeout(NewOS(), 10*time.Second)
	if err := b.Set(ctx, "after.example", []byte("x")); err != nil {
		t.Fatalf("Set after the daemon resumed: %v", err)
	}
	if got, err := b.Get(ctx, "after.example"); err != nil || string(got) != "x" {
		t.Fatalf("Get after the daemon resumed: %q, %v", got, err)
	}
}

// TestSecretServiceCrash kills gnome-keyring-daemon while it holds a call
// (frozen, then SIGKILL, as when it aborts mid-call): the call ends at once
// with ErrUnavailable and a hint that says what happened, and the next call
// says no Secret Service is running.
func TestSecretServiceCrash(t *testing.T) {
	s := useSecretService(t)
	b := WithTimeout(NewOS(), 10*time.Second)
	ctx := context.Background()
	if err := b.Set(ctx, "crash.example", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(s.PIDs()[1], syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		_, err := b.Get(ctx, "crash.example")
		got <- err
	}()
	time.Sleep(200 * time.Millisecond) // the call is now waiting on the frozen daemon
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(HintOf(err), "exited while answering") {
			t.Errorf("get when the daemon died mid-call: %v (hint %q)", err, HintOf(err))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("get still waiting 5s after the daemon died")
	}
	if _, err := b.Get(ctx, "crash.example"); !errors.Is(err, ErrUnavailable) || !strings.Contains(HintOf(err), "gnome-keyring") {
		t.Errorf("get with no daemon: %v (hint %q)", err, HintOf(err))
	}
}

// BenchmarkLockCheck is the price of the locked-collection check that
// precedes each call when no prompt can be shown: one property read.
func BenchmarkLockCheck(b *testing.B) {
	s := keychaintest.Start(b, false)
	b.Setenv(busEnv, "")
	b.Cleanup(s.Setenv())
	ctx := context.Background()
	conn, err := dbus.SessionBus()
	if err != nil {
		b.Fatal(err)
	}
	collection, err := greet(ctx, conn)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if locked, err := collectionLocked(ctx, conn, collection); err != nil || locked {
			b.Fatal(locked, err)
		}
	}
}

// Chunking at Windows' 2,560-byte limit on the real Secret Service: a
// 64 KiB token round-trips through 26 chunks and a manifest, a smaller
// replacement sweeps the old chunks, and delete leaves nothing.
func TestSecretServiceChunked(t *testing.T) {
	useSecretService(t)
	b := WithTimeout(Chunked(NewOS(), 2560), 10*time.Second)
	ctx := context.Background()
	key := "chunked.example"
	big := randomBytes(t, 64*1024)
	if err := b.Set(ctx, key, big); err != nil {
		t.Fatal(err)
	}
	got, err := b.Get(ctx, key)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("64 KiB through Chunked on the Secret Service: %v", err)
	}
	if n := serviceItems(t); n != 1+(64*1024+2559)/2560 {
		t.Errorf("%d items for a 64 KiB value, want the manifest and %d chunks", n, (64*1024+2559)/2560)
	}
	small := []byte(testToken(t))
	if err := b.Set(ctx, key, small); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(ctx, key); err != nil || !bytes.Equal(got, small) {
		t.Fatalf("replacement: %v", err)
	}
	if n := serviceItems(t); n != 1 {
		t.Errorf("%d items after replacing with a small value, want 1 (stale chunks swept)", n)
	}
	if err := b.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if n := serviceItems(t); n != 0 {
		t.Errorf("%d items left after delete", n)
	}
}

// serviceItems counts every item of our service, chunks included.
func serviceItems(t *testing.T) int {
	return strings.Count("\n"+secretTool(t, "search", "--all", "service", Service), "\n[/")
}

// gnome-keyring-daemon aborts when a new client's first message needs its
// client record and wins the race with the record's creation (see greet).
// Many short-lived clients at once, each on a fresh connection and sending
// what the backend sends first (greet, then the lock check), must leave the
// daemon running. Without greet this kills the daemon within a few
// thousand connections at most (measured: 35 to 3,117).
func TestSecretServiceFirstMessage(t *testing.T) {
	s := useSecretService(t)
	const workers, perWorker = 8, 500
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perWorker {
				if err := firstMessages(s.Addr()); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := s.Err(); err != nil {
		t.Fatalf("the Secret Service died: %v", err)
	}
}

// firstMessages opens a connection of its own, sends what the backend's
// preflight sends, and closes it.
func firstMessages(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := dbus.Dial(addr, dbus.WithContext(ctx))
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return err
	}
	if err := conn.Hello(); err != nil {
		return err
	}
	collection, err := greet(ctx, conn)
	if err != nil {
		return fmt.Errorf("greet: %w", err)
	}
	if locked, err := collectionLocked(ctx, conn, collection); err != nil || locked {
		return fmt.Errorf("lock check: locked %v, %w", locked, err)
	}
	g, err := greetConn(ctx, conn)
	if err != nil {
		return err
	}
	c := &client{b: newSecretService(Options{}), g: g, conn: conn, collection: collection, op: "get"}
	if _, err := c.get(ctx, "missing.example"); !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("get of a missing key: %w", err)
	}
	return nil
}

// Items that earlier versions stored through go-keyring (no generation
// attribute, replaced in place) are read, replaced and deleted by our
// client, and what our client stores go-keyring reads (a downgrade).
func TestGoKeyringItemsStillServed(t *testing.T) {
	useSecretService(t)
	ctx := context.Background()
	ours := WithTimeout(NewOS(), 10*time.Second)
	viaGoKeyring := &osBackend{name: NameSecretService, kr: goKeyring{}}
	values := map[string][]byte{
		"text.example":   []byte(testToken(t)),
		"binary.example": randomBytes(t, 300),
		"big.example":    []byte(strings.Repeat("x", 64<<10)),
	}
	for key, v := range values {
		// What an earlier version wrote: pack's encoding, through go-keyring.
		if err := viaGoKeyring.Set(ctx, key, []byte(pack(v))); err != nil {
			t.Fatal(err)
		}
		if got, err := ours.Get(ctx, key); err != nil || !bytes.Equal(got, v) {
			t.Errorf("%s written by go-keyring: we read %d bytes (%v), want %d", key, len(got), err, len(v))
		}
		newer := append([]byte("new-"), v...)
		if err := ours.Set(ctx, key, newer); err != nil {
			t.Fatal(err)
		}
		if got, err := ours.Get(ctx, key); err != nil || !bytes.Equal(got, newer) {
			t.Errorf("%s replaced by us: we read %d bytes (%v), want %d", key, len(got), err, len(newer))
		}
		if n := countItems(t, key); n != 1 {
			t.Errorf("%s: %d items after our replace of go-keyring's, want 1", key, n)
		}
		g, err := viaGoKeyring.Get(ctx, key)
		if got, ok := unpack(string(g)); err != nil || !ok || !bytes.Equal(got, newer) {
			t.Errorf("%s: go-keyring reads %d bytes (%v), want ours", key, len(g), err)
		}
	}
	_, oerr := ours.Get(ctx, "missing.example")
	_, gerr := viaGoKeyring.Get(ctx, "missing.example")
	if !errors.Is(oerr, ErrNotFound) || !errors.Is(gerr, ErrNotFound) {
		t.Errorf("miss: ours %v, go-keyring %v", oerr, gerr)
	}
	if err := viaGoKeyring.Set(ctx, "text.example", []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := ours.Delete(ctx, "text.example"); err != nil {
		t.Fatal(err)
	}
	if n := countItems(t, "text.example"); n != 0 {
		t.Errorf("%d items after Delete, want 0", n)
	}
}

// Two items for one key, as a Set leaves them when it is killed between
// its create and its sweep (or while another process's Set runs): get
// answers the newer generation's, whichever was created first, and the
// next Set leaves one item.
func TestSecretServiceNewestGenerationWins(t *testing.T) {
	useSecretService(t)
	ctx := context.Background()
	b := WithTimeout(NewOS(), 10*time.Second)
	for _, newerFirst := range []bool{true, false} {
		key := fmt.Sprintf("two-%v.example", newerFirst)
		older, newer := []byte(testToken(t)), []byte(testToken(t))
		type item struct {
			data []byte
			gen  time.Time
		}
		made := []item{{newer, time.Unix(2000, 0)}, {older, time.Unix(1000, 0)}}
		if !newerFirst {
			made[0], made[1] = made[1], made[0]
		}
		ss := newSecretService(Options{})
		for _, v := range made {
			ss.now = func() time.Time { return v.gen }
			c, err := ss.connect(ctx, "set")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.create(ctx, key, v.data); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(items(t, key)); n != 2 {
			t.Fatalf("%d items, want the two created", n)
		}
		if got, err := b.Get(ctx, key); err != nil || !bytes.Equal(got, newer) {
			t.Fatalf("newer created first %v: Get = %q, %v; want the newer generation's value", newerFirst, got, err)
		}
		latest := []byte(testToken(t))
		if err := b.Set(ctx, key, latest); err != nil {
			t.Fatal(err)
		}
		if n := len(items(t, key)); n != 1 {
			t.Errorf("%d items after a Set, want 1", n)
		}
		if got, err := b.Get(ctx, key); err != nil || !bytes.Equal(got, latest) {
			t.Fatalf("Get = %q, %v; want the last value stored", got, err)
		}
	}
}
