//go:build linux

package keychain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

// These tests use the real kernel keyring of the user running them, in a
// keyring of their own ("docker-credential-pat-test-<pid>-<random>") that
// they remove at the end, so they never touch real entries.

const childEnv = "DCP_KEYCTL_TEST_CHILD"

// newTestKeyctl opens the backend on a fresh test keyring, removed at cleanup.
func newTestKeyctl(t testing.TB) *keyctlBackend {
	t.Helper()
	if _, err := os.Stat("/proc/keys"); err != nil {
		t.Skip("no kernel keyring support (/proc/keys)")
	}
	k, err := newKeyctl(keychaintest.NewKeyctlRing())
	if err != nil {
		t.Fatalf("newKeyctl: %v", err)
	}
	t.Cleanup(func() { removeRing(t, k) })
	return k
}

// removeRing clears the test keyring and unlinks it from its base.
func removeRing(t testing.TB, k *keyctlBackend) {
	if err := keychaintest.RemoveKeyctlRing(k.ring); err != nil {
		t.Errorf("cleanup: %v", err)
	}
}

// ringKeys lists the descriptions of the keys in the test keyring.
func ringKeys(t testing.TB, k *keyctlBackend) []string {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ring, err := k.group(false)
	if errors.Is(err, unix.ENOKEY) {
		return nil
	}
	if err != nil {
		t.Fatalf("find ring: %v", err)
	}
	buf := make([]byte, 4*4096)
	n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, ring, buf, 0)
	if err != nil || n > len(buf) {
		t.Fatalf("read ring: %d %v", n, err)
	}
	var out []string
	for i := 0; i+4 <= n; i += 4 {
		id := int(int32(uint32(buf[i]) | uint32(buf[i+1])<<8 | uint32(buf[i+2])<<16 | uint32(buf[i+3])<<24))
		d, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
		if err != nil {
			continue // invalidated, being collected
		}
		out = append(out, d[strings.LastIndexByte(d, ';')+1:])
	}
	return out
}

func wantKind(t testing.TB, what string, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: got %v, want %v", what, err, kind)
	}
	var ke *Error
	if !errors.As(err, &ke) || ke.Backend == "" || ke.Op == "" {
		t.Fatalf("%s: %v is not a complete *Error", what, err)
	}
}

func TestKeyctlRoundTrip(t *testing.T) {
	k := newTestKeyctl(t)
	requireBigItems(t)
	ctx := context.Background()
	if k.Name() != "keyctl" {
		t.Errorf("Name() = %q", k.Name())
	}
	t.Logf("items live in the %s keyring", k.Where())
	for _, n := range []int{0, 1, 100, 4095, 4096, 4097, 20000, KeyctlMaxItem} {
		key := "https://rt.example/" + strconv.Itoa(n)
		secret := keychaintest.RandomSecret(n)
		if err := k.Set(ctx, key, secret); err != nil {
			t.Fatalf("Set %d bytes: %v", n, err)
		}
		got, err := k.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get %d bytes: %v", n, err)
		}
		keychaintest.SameSecret(t, "round trip", got, secret)
	}
	err := k.Set(ctx, "https://rt.example/big", make([]byte, KeyctlMaxItem+1))
	wantKind(t, "Set one byte over the limit", err, ErrTooBig)
}

func TestKeyctlReplaceInPlace(t *testing.T) {
	k := newTestKeyctl(t)
	ctx := context.Background()
	key := "https://replace.example"
	old, next := keychaintest.RandomSecret(5000), keychaintest.RandomSecret(300)
	if err := k.Set(ctx, key, old); err != nil {
		t.Fatal(err)
	}
	id1 := keyID(t, k, key)
	if err := k.Set(ctx, key, next); err != nil {
		t.Fatal(err)
	}
	if id2 := keyID(t, k, key); id2 != id1 {
		t.Errorf("Set made a new key %d instead of updating %d in place", id2, id1)
	}
	got, err := k.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	keychaintest.SameSecret(t, "after replace", got, next)
	if keys := ringKeys(t, k); len(keys) != 1 {
		t.Errorf("keyring holds %q, want one item", keys)
	}
}

func keyID(t testing.TB, k *keyctlBackend, key string) int {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	id, err := k.find(Service + ":" + key)
	if err != nil {
		t.Fatalf("find %s: %v", key, err)
	}
	return id
}

func TestKeyctlNotFoundAndDelete(t *testing.T) {
	k := newTestKeyctl(t)
	ctx := context.Background()
	key := "https://delete.example"
	// Before our keyring exists.
	_, err := k.Get(ctx, key)
	wantKind(t, "Get before any Set", err, ErrNotFound)
	wantKind(t, "Delete before any Set", k.Delete(ctx, key), ErrNotFound)

	if err := k.Set(ctx, key, keychaintest.RandomSecret(64)); err != nil {
		t.Fatal(err)
	}
	_, err = k.Get(ctx, key+"/other")
	wantKind(t, "Get of another key", err, ErrNotFound)
	if err := k.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err = k.Get(ctx, key)
	wantKind(t, "Get after Delete", err, ErrNotFound)
	wantKind(t, "second Delete", k.Delete(ctx, key), ErrNotFound)
	if keys := ringKeys(t, k); len(keys) != 0 {
		t.Errorf("keyring still holds %q after Delete", keys)
	}
	// Set again after a delete (the invalidated key must not be in the way).
	if err := k.Set(ctx, key, []byte("again")); err != nil {
		t.Fatalf("Set after Delete: %v", err)
	}
	for _, bad := range []string{"", "nul\x00key", strings.Repeat("x", keyctlMaxDesc)} {
		wantKind(t, "Set with a bad key", k.Set(ctx, bad, []byte("x")), ErrBadKey)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = k.Get(cctx, key)
	wantKind(t, "Get with a cancelled context", err, ErrUnavailable)
}

// keyctlCLI runs the keyctl command of keyutils in a new anonymous session
// keyring into which it links the persistent keyring (so that it possesses
// our keys, as the backend does), as uid (-1: as we are).
func keyctlCLI(t *testing.T, uid int, script string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("keyctl"); err != nil {
		keychaintest.Skip(t, "kernel keyring tests", "keyctl not installed", keychaintest.Apt("keyutils"))
	}
	args := []string{"keyctl", "session", "-", "sh", "-ec", script}
	if uid >= 0 {
		args = append([]string{"setpriv", "--reuid=" + strconv.Itoa(uid), "--regid=" + strconv.Itoa(uid), "--clear-groups"}, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		err = fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return string(out), err
}

func TestKeyctlCLISeesItemWithPrivatePermissions(t *testing.T) {
	k := newTestKeyctl(t)
	if k.Where() != KeyctlPersistent {
		t.Skip("no persistent keyring on this kernel")
	}
	ctx := context.Background()
	key := "https://cli.example"
	secret := keychaintest.RandomSecret(3000)
	if err := k.Set(ctx, key, secret); err != nil {
		t.Fatal(err)
	}
	find := fmt.Sprintf("p=$(keyctl get_persistent @s); r=$(keyctl search $p keyring %s); i=$(keyctl search $r user %s:%s)\n", k.ring, Service, key)
	out, err := keyctlCLI(t, -1, find+"keyctl rdescribe $i")
	if err != nil {
		t.Fatalf("keyctl rdescribe: %v", err)
	}
	// type;uid;gid;perm;description
	f := strings.Split(strings.TrimSpace(out), ";")
	if len(f) != 5 || f[0] != "user" || f[1] != strconv.Itoa(os.Geteuid()) || f[4] != Service+":"+key {
		t.Fatalf("keyctl rdescribe = %q", out)
	}
	if f[3] != "3f010000" {
		t.Errorf("permissions %s, want 3f010000 (possessor all, user view, others nothing)", f[3])
	}
	out, err = keyctlCLI(t, -1, find+"keyctl pipe $i")
	if err != nil {
		t.Fatalf("keyctl pipe: %v", err)
	}
	keychaintest.SameSecret(t, "keyctl pipe", []byte(out), append([]byte{keyctlHeader}, secret...))

	// Another user cannot read it, even knowing its id.
	requireOtherUser(t)
	id := keyID(t, k, key)
	out, err = keyctlCLI(t, 65534, fmt.Sprintf("keyctl pipe %d", id))
	if err == nil || out != "" {
		t.Errorf("user nobody read %d bytes of the item (err %v)", len(out), err)
	}
	if !strings.Contains(fmt.Sprint(err), "ermission denied") {
		t.Errorf("nobody reading the item: %v, want permission denied", err)
	}
	if _, err := keyctlCLI(t, 65534, fmt.Sprintf("keyctl rdescribe %d", id)); err == nil {
		t.Errorf("user nobody can even describe the item")
	}
}

func TestKeyctlConcurrent(t *testing.T) {
	k := newTestKeyctl(t)
	requireBigItems(t)
	ctx := context.Background()
	const workers, rounds = 8, 25
	shared := "https://shared.example"
	values := make([][]byte, workers)
	for i := range values {
		values[i] = keychaintest.RandomSecret(100 + i*700)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*4)
	for w := range workers {
		wg.Go(func() {
			own := fmt.Sprintf("https://own.example/%d", w)
			for r := range rounds {
				for _, err := range []error{k.Set(ctx, shared, values[w]), k.Set(ctx, own, values[w])} {
					if err != nil {
						errs <- err
					}
				}
				got, err := k.Get(ctx, shared)
				if err != nil {
					errs <- err
				} else if !slicesContain(values, got) {
					errs <- fmt.Errorf("round %d: shared item is none of the written values (%d bytes)", r, len(got))
				}
				if got, err := k.Get(ctx, own); err != nil || !bytes.Equal(got, values[w]) {
					errs <- fmt.Errorf("round %d: own item wrong (%d bytes, %v)", r, len(got), err)
				}
				if r%5 == 2 { // the last rounds write own again
					if err := k.Delete(ctx, own); err != nil {
						errs <- err
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
	// One item per key: the shared key was never duplicated.
	if keys := ringKeys(t, k); len(keys) != 1+workers {
		t.Errorf("keyring holds %d items, want %d: %q", len(keys), 1+workers, keys)
	}
}

func slicesContain(vs [][]byte, v []byte) bool {
	for _, x := range vs {
		if bytes.Equal(x, v) {
			return true
		}
	}
	return false
}

func TestKeyctlChunked(t *testing.T) {
	k := newTestKeyctl(t)
	requireBigItems(t)
	c := Chunked(k, KeyctlMaxItem)
	ctx := context.Background()
	key := "https://chunked.example"
	for _, n := range []int{64 << 10, 100, 2*KeyctlMaxItem + 1, KeyctlMaxItem} {
		secret := keychaintest.RandomSecret(n)
		if err := c.Set(ctx, key, secret); err != nil {
			t.Fatalf("Set %d bytes: %v", n, err)
		}
		got, err := c.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get %d bytes: %v", n, err)
		}
		keychaintest.SameSecret(t, fmt.Sprintf("%d bytes through Chunked", n), got, secret)
		want := 1 + (n+KeyctlMaxItem-1)/KeyctlMaxItem // manifest + chunks
		if n <= KeyctlMaxItem {
			want = 1
		}
		if keys := ringKeys(t, k); len(keys) != want {
			t.Errorf("after Set of %d bytes the keyring holds %d items, want %d", n, len(keys), want)
		}
	}
	if err := c.Set(ctx, key, keychaintest.RandomSecret(64<<10)); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if keys := ringKeys(t, k); len(keys) != 0 {
		t.Errorf("keyring holds %q after Delete", keys)
	}
}

// requireBigItems skips the test (fails it with CI=true) when this user's
// kernel key quota is too small for items of 32 KiB and more.
func requireBigItems(t *testing.T) {
	t.Helper()
	q, err := ReadKeyctlQuota()
	if err != nil {
		t.Fatal(err)
	}
	keychaintest.RequireKeyQuota(t, q.Bytes, q.MaxBytes)
}

// requireOtherUser skips the test (fails it with CI=true) unless it can run
// commands as user nobody (uid 65534) with setpriv.
func requireOtherUser(t *testing.T) {
	t.Helper()
	const group = "tests as user nobody"
	if os.Geteuid() != 0 {
		keychaintest.Skip(t, group, "not root, so cannot switch users", `sudo env "PATH=$PATH" make test`)
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		keychaintest.Skip(t, group, "setpriv not installed", keychaintest.Apt("util-linux"))
	}
	if u, err := user.Lookup("nobody"); err != nil || u.Uid != "65534" {
		keychaintest.Skip(t, group, "no user nobody with uid 65534", "sudo useradd -u 65534 -M -s /usr/sbin/nologin nobody")
	}
}

// TestKeyctlQuotaAsNobody runs this test binary as user nobody, whose key
// quota is kernel.keys.maxbytes, and checks that a 64 KiB secret fails with
// ErrQuota and leaves nothing behind.
func TestKeyctlQuotaAsNobody(t *testing.T) {
	if os.Getenv(childEnv) == "quota" {
		quotaChild(t)
		return
	}
	requireOtherUser(t)
	if _, err := exec.LookPath("keyctl"); err != nil {
		keychaintest.Skip(t, "kernel keyring tests", "keyctl not installed", keychaintest.Apt("keyutils"))
	}
	dir, err := os.MkdirTemp("", "dcp-keyctl-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "keychain.test")
	if err := copyFile(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// In a session keyring of its own, as after a login through pam_keyinit.
	cmd := exec.CommandContext(ctx, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
		"keyctl", "session", "-", bin, "-test.run=^TestKeyctlQuotaAsNobody$", "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), childEnv+"=quota")
	out, err := cmd.CombinedOutput()
	t.Logf("as nobody:\n%s", out)
	if err != nil {
		t.Fatalf("child as nobody: %v", err)
	}
	if bytes.Contains(out, []byte("--- SKIP")) {
		t.Skip("the child skipped: see its output above")
	}
	if !bytes.Contains(out, []byte("--- PASS")) {
		t.Fatalf("child did not pass")
	}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func quotaChild(t *testing.T) {
	q0, err := ReadKeyctlQuota()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("uid %d before: %d/%d keys, %d/%d bytes, persistent expiry %ds",
		os.Geteuid(), q0.Keys, q0.MaxKeys, q0.Bytes, q0.MaxBytes, q0.PersistentExpirySeconds)
	if q0.Bytes > q0.MaxBytes/2 {
		// Keys a previous run removed are freed by the kernel's key
		// garbage collector only after kernel.keys.gc_delay (300 s).
		t.Skipf("uid %d already uses %d of %d bytes (keys awaiting the kernel's garbage collection?): measure again later",
			os.Geteuid(), q0.Bytes, q0.MaxBytes)
	}
	k := newTestKeyctl(t)
	ctx := context.Background()
	key := "https://quota.example"
	if err := k.Set(ctx, key, []byte("x")); err != nil {
		t.Fatalf("a one-byte Set as nobody: %v", err)
	}
	q1, _ := ReadKeyctlQuota()
	t.Logf("after the first one-byte item: %d keys, %d bytes", q1.Keys, q1.Bytes)

	// The largest single item that fits now (binary search).
	lo, hi := 1, KeyctlMaxItem
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if err := k.Set(ctx, key, make([]byte, mid)); err == nil {
			lo = mid
		} else {
			wantKind(t, "Set over the quota", err, ErrQuota)
			hi = mid - 1
		}
	}
	t.Logf("MEASURED largest single item as nobody: %d bytes (description %d bytes)", lo, len(Service)+1+len(key))
	q2, _ := ReadKeyctlQuota()
	t.Logf("quota now: %d/%d keys, %d/%d bytes", q2.Keys, q2.MaxKeys, q2.Bytes, q2.MaxBytes)
	// With the quota full, reads from fresh OS threads still work: they
	// must not need a new keyring of their own.
	const threads = 8
	var ready, wg sync.WaitGroup
	ready.Add(threads)
	errs := make(chan error, threads)
	for range threads {
		wg.Go(func() {
			runtime.LockOSThread() // hold this thread: the others need new ones
			defer runtime.UnlockOSThread()
			ready.Done()
			ready.Wait()
			if got, err := k.Get(ctx, key); err != nil || len(got) != lo {
				errs <- fmt.Errorf("Get on a full quota: %d bytes, %v", len(got), err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	c := Chunked(k, KeyctlMaxItem)
	err = c.Set(ctx, key, keychaintest.RandomSecret(64<<10))
	wantKind(t, "64 KiB Set as nobody", err, ErrQuota)
	if !strings.Contains(HintOf(err), "sysctl kernel.keys.maxbytes") {
		t.Errorf("quota hint %q does not name the sysctl", HintOf(err))
	}
	// The failed write removed its chunks; the old value is still there.
	if keys := ringKeys(t, k); len(keys) > 2 { // the item, maybe a pending record
		t.Errorf("after the failed Set the keyring holds %q", keys)
	}
	if got, err := c.Get(ctx, key); err != nil || len(got) != lo {
		t.Errorf("old value after the failed Set: %d bytes, %v; want %d bytes", len(got), err, lo)
	}
	small := keychaintest.RandomSecret(4000)
	if err := c.Set(ctx, key, small); err != nil {
		t.Fatalf("4000-byte Set as nobody: %v", err)
	}
	got, err := c.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	keychaintest.SameSecret(t, "4000 bytes as nobody", got, small)
}

// TestKeyctlLimits pins what the backend's notes (keyctl.go) say of the
// kernel: a "user" key takes KeyctlMaxItem plus our header byte and refuses
// one byte more; ReadKeyctlQuota reads sane figures; and a key is charged
// its payload and its description against the quota.
func TestKeyctlLimits(t *testing.T) {
	k := newTestKeyctl(t)
	requireBigItems(t)
	ctx := context.Background()
	if err := k.Set(ctx, "https://measure.example", nil); err != nil { // creates the ring
		t.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ring, err := k.group(false)
	if err != nil {
		t.Fatal(err)
	}
	add := func(typ, desc string, n int) (int, error) {
		return unix.AddKey(typ, desc, make([]byte, n), ring)
	}
	drop := func(id int) { unix.KeyctlInt(unix.KEYCTL_UNLINK, id, ring, 0, 0) }
	if id, err := add("user", Service+":measure-max", KeyctlMaxItem+1); err != nil {
		t.Errorf("user key of %d bytes: %v", KeyctlMaxItem+1, err)
	} else {
		drop(id)
	}
	if _, err := add("user", Service+":measure-over", KeyctlMaxItem+2); !errors.Is(err, unix.EINVAL) {
		t.Errorf("user key of %d bytes: %v, want EINVAL", KeyctlMaxItem+2, err)
	}
	if id, err := add("big_key", Service+":measure-big", 64<<10); err == nil {
		drop(id)
		t.Logf("big_key of 64 KiB: stored")
	} else {
		t.Logf("big_key of 64 KiB: %v (the backend does not use big_key)", err)
	}

	q, err := ReadKeyctlQuota()
	if err != nil {
		t.Fatalf("ReadKeyctlQuota: %v", err)
	}
	t.Logf("quota of uid %d: %d/%d keys, %d/%d bytes, persistent expiry %ds",
		os.Geteuid(), q.Keys, q.MaxKeys, q.Bytes, q.MaxBytes, q.PersistentExpirySeconds)
	// Our keyring and its item are charged to us: at least two keys.
	if q.Keys < 2 || q.MaxKeys < q.Keys || q.Bytes <= 0 || q.MaxBytes < q.Bytes {
		t.Errorf("quota %+v: want 2 <= keys <= max and 0 < bytes <= max", q)
	}
	if k.Where() == KeyctlPersistent && q.PersistentExpirySeconds <= 0 {
		t.Errorf("persistent keyring expiry %ds, want > 0", q.PersistentExpirySeconds)
	}

	// Other processes of this user add and remove keys meanwhile (tests
	// run in parallel): measure until one try sees exactly our one key.
	const payload = 1000
	desc := Service + ":measure-charge"
	for try := range 5 {
		before, err1 := ReadKeyctlQuota()
		id, err := add("user", desc, payload)
		if err != nil {
			t.Fatal(err)
		}
		after, err2 := ReadKeyctlQuota()
		drop(id)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		if after.Keys-before.Keys != 1 {
			t.Logf("try %d: %d keys charged meanwhile, measuring again", try, after.Keys-before.Keys)
			continue
		}
		charged := after.Bytes - before.Bytes
		t.Logf("a %d-byte user key with a %d-byte description is charged %d bytes", payload, len(desc), charged)
		if charged < payload+len(desc) || charged > payload+len(desc)+64 {
			t.Errorf("charged %d bytes, want the payload and the description (%d) and a little more",
				charged, payload+len(desc))
		}
		return
	}
	t.Errorf("no try of 5 saw exactly one key charged: other processes kept changing the quota")
}

func BenchmarkKeyctlGet(b *testing.B) {
	k := newTestKeyctl(b)
	ctx := context.Background()
	key := "https://bench.example"
	if err := k.Set(ctx, key, keychaintest.RandomSecret(2000)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := k.Get(ctx, key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKeyctlSet(b *testing.B) {
	k := newTestKeyctl(b)
	ctx := context.Background()
	secret := keychaintest.RandomSecret(2000)
	for b.Loop() {
		if err := k.Set(ctx, "https://bench.example", secret); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKeyctlChunkedGet64K(b *testing.B) {
	k := newTestKeyctl(b)
	c := Chunked(k, KeyctlMaxItem)
	ctx := context.Background()
	if err := c.Set(ctx, "https://bench.example", keychaintest.RandomSecret(64<<10)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.Get(ctx, "https://bench.example"); err != nil {
			b.Fatal(err)
		}
	}
}
