package keychain_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/docker-credential-pat/docker-credential-pat/keychain"
	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychainmem"
	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

// winMax is Windows' credential blob limit, the smallest cap we chunk for.
const winMax = 2560

const key = "https://registry.example"

var errKilled = errors.New("process killed")

func newChunked(maxItem int) (*keychainmem.Memory, keychain.Backend) {
	m := keychainmem.NewMemory()
	m.MaxItem = maxItem
	return m, keychain.Chunked(m, maxItem)
}

// chunkKeys returns the stored keys that are chunks or pending records.
func chunkKeys(m *keychainmem.Memory) []string {
	var out []string
	for _, k := range m.Keys() {
		if strings.Contains(k, " #chunk/") {
			out = append(out, k)
		}
	}
	return out
}

func TestChunkedRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{0, 1, winMax - 1, winMax, winMax + 1, 3 * winMax, 64 << 10} {
		m, c := newChunked(winMax)
		data := keychaintest.RandomSecret(n)
		if err := c.Set(ctx, key, data); err != nil {
			t.Fatalf("Set %d bytes: %v", n, err)
		}
		got, err := c.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get %d bytes: %v", n, err)
		}
		keychaintest.SameSecret(t, fmt.Sprintf("%d bytes", n), got, data)
		wantChunks := 0
		if n > winMax {
			wantChunks = (n + winMax - 1) / winMax
		}
		if got := len(chunkKeys(m)); got != wantChunks {
			t.Errorf("%d bytes: %d chunk items, want %d: %q", n, got, wantChunks, chunkKeys(m))
		}
		if err := c.Delete(ctx, key); err != nil {
			t.Fatalf("Delete %d bytes: %v", n, err)
		}
		if keys := m.Keys(); len(keys) != 0 {
			t.Errorf("Delete left %q", keys)
		}
		_, err = c.Get(ctx, key)
		if !errors.Is(err, keychain.ErrNotFound) {
			t.Errorf("Get after Delete: %v", err)
		}
	}
}

// A plain value is never read as a manifest, whatever it starts with.
func TestChunkedPlainValuesThatLookLikeManifests(t *testing.T) {
	ctx := context.Background()
	sum := fmt.Sprintf("%x", sha256.Sum256([]byte("hello")))
	for _, v := range []string{
		"#dcp-keychain:chunks v1 0123456789abcdef 1 5 " + sum,
		"#dcp-keychain:plain x",
		"#dcp-keychain:",
		"#dcp-keychain:pending v1",
		"#dcp-keychain:" + strings.Repeat("y", winMax), // escaped, then too big: chunked
	} {
		m, c := newChunked(winMax)
		m.Put(key+" #chunk/0123456789abcdef/0", []byte("hello"))
		if err := c.Set(ctx, key, []byte(v)); err != nil {
			t.Fatalf("Set %.30q: %v", v, err)
		}
		got, err := c.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get %.30q: %v", v, err)
		}
		if string(got) != v {
			t.Errorf("Get %.30q = %.30q", v, got)
		}
	}
}

func TestChunkedDetectsCorruption(t *testing.T) {
	ctx := context.Background()
	for name, damage := range map[string]func(m *keychainmem.Memory, chunks []string){
		"chunk changed": func(m *keychainmem.Memory, chunks []string) {
			v, _ := m.Raw(chunks[1])
			v[7] ^= 1
			m.Put(chunks[1], v)
		},
		"chunk truncated": func(m *keychainmem.Memory, chunks []string) {
			v, _ := m.Raw(chunks[len(chunks)-1])
			m.Put(chunks[len(chunks)-1], v[:len(v)-1])
		},
		"chunk longer": func(m *keychainmem.Memory, chunks []string) {
			v, _ := m.Raw(chunks[0])
			m.Put(chunks[0], append(v, 'x'))
		},
		"chunk missing": func(m *keychainmem.Memory, chunks []string) {
			m.Delete(context.Background(), chunks[2])
		},
		"chunks swapped": func(m *keychainmem.Memory, chunks []string) {
			a, _ := m.Raw(chunks[0])
			b, _ := m.Raw(chunks[1])
			m.Put(chunks[0], b)
			m.Put(chunks[1], a)
		},
		"manifest damaged": func(m *keychainmem.Memory, _ []string) {
			v, _ := m.Raw(key)
			m.Put(key, v[:len(v)-3])
		},
		"manifest count too high": func(m *keychainmem.Memory, _ []string) {
			v, _ := m.Raw(key)
			f := strings.Fields(string(v))
			f[3] = "99999"
			m.Put(key, []byte(strings.Join(f, " ")))
		},
		"unknown format": func(m *keychainmem.Memory, _ []string) {
			m.Put(key, []byte("#dcp-keychain:chunks v9 whatever"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			m, c := newChunked(winMax)
			if err := c.Set(ctx, key, keychaintest.RandomSecret(4*winMax-10)); err != nil {
				t.Fatal(err)
			}
			chunks := chunkKeys(m) // sorted: gen/0 .. gen/3
			if len(chunks) != 4 {
				t.Fatalf("chunks %q", chunks)
			}
			damage(m, chunks)
			got, err := c.Get(ctx, key)
			if !errors.Is(err, keychain.ErrCorrupt) || got != nil {
				t.Fatalf("Get of a damaged value: %d bytes, %v; want ErrCorrupt", len(got), err)
			}
			if keychain.HintOf(err) == "" {
				t.Errorf("ErrCorrupt without a hint: %v", err)
			}
			// A new Set repairs it and leaves only its own chunks.
			data := keychaintest.RandomSecret(2 * winMax)
			if err := c.Set(ctx, key, data); err != nil {
				t.Fatal(err)
			}
			got, err = c.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			keychaintest.SameSecret(t, "after repair", got, data)
		})
	}
}

func TestChunkedRefusesBadKeysAndHugeData(t *testing.T) {
	ctx := context.Background()
	_, c := newChunked(winMax)
	for _, k := range []string{"", key + " #chunk/0123456789abcdef/0", key + " #chunk/pending"} {
		if err := c.Set(ctx, k, []byte("x")); !errors.Is(err, keychain.ErrBadKey) {
			t.Errorf("Set %q: %v, want ErrBadKey", k, err)
		}
		if _, err := c.Get(ctx, k); !errors.Is(err, keychain.ErrBadKey) {
			t.Errorf("Get %q: %v, want ErrBadKey", k, err)
		}
	}
	_, c = newChunked(keychain.MinChunkItem)
	if err := c.Set(ctx, key, make([]byte, 4097*keychain.MinChunkItem)); !errors.Is(err, keychain.ErrTooBig) {
		t.Errorf("Set of more than 4096 chunks: %v, want ErrTooBig", err)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Chunked with a tiny maxItem did not panic")
		}
	}()
	keychain.Chunked(keychainmem.NewMemory(), 10)
}

// value is one state of the key in the crash test; nil data: no value.
type value struct {
	name string
	data []byte
}

// TestChunkedSurvivesKillAtEveryStep stops the backend after k calls, for
// every k, as if the process were killed there, in every transition between
// no value, a plain value and chunked values. A fresh wrapper must then read
// the old value or the new one, never anything else, and the next Set must
// leave only its own items.
func TestChunkedSurvivesKillAtEveryStep(t *testing.T) {
	ctx := context.Background()
	states := []value{
		{"none", nil},
		{"plain", keychaintest.RandomSecret(100)},
		{"chunked3", keychaintest.RandomSecret(3*winMax - 1)},
		{"chunked5", keychaintest.RandomSecret(5 * winMax)},
	}
	for _, from := range states {
		for _, to := range states {
			for _, inject := range []string{"kill", "one failure"} {
				t.Run(from.name+"->"+to.name+"/"+inject, func(t *testing.T) {
					// Count the calls of the uninterrupted operation.
					m, c := newChunked(winMax)
					seed(t, c, from)
					m.ResetCalls()
					transition(ctx, c, to)
					total := m.Count("")
					for k := 0; k <= total; k++ {
						m, c := newChunked(winMax)
						seed(t, c, from)
						if inject == "kill" {
							m.FailAfter(k, errKilled)
						} else {
							for range k {
								m.FailNext("", nil)
							}
							m.FailNext("", errKilled)
						}
						err := transition(ctx, c, to)
						m.ClearFailures()
						if k == total && err != nil && inject == "kill" {
							t.Fatalf("uninterrupted transition failed: %v", err)
						}
						// A new process reads old or new, never garbage.
						c2 := keychain.Chunked(m, winMax)
						got, gerr := c2.Get(ctx, key)
						isOld := matches(got, gerr, from)
						isNew := matches(got, gerr, to)
						if !isOld && !isNew {
							t.Fatalf("kill after %d calls: Get = %d bytes, %v; want %s or %s", k, len(got), gerr, from.name, to.name)
						}
						if err == nil && !isNew {
							t.Fatalf("kill after %d calls: the operation reported success but Get returns the old value", k)
						}
						// The next Set leaves nothing stale.
						final := keychaintest.RandomSecret(2*winMax + 1)
						if err := c2.Set(ctx, key, final); err != nil {
							t.Fatalf("Set after the kill: %v", err)
						}
						got, err = c2.Get(ctx, key)
						if err != nil {
							t.Fatal(err)
						}
						keychaintest.SameSecret(t, "final", got, final)
						if ck := chunkKeys(m); len(ck) != 3 || len(m.Keys()) != 4 {
							t.Fatalf("kill after %d calls: after the next Set the backend holds %q", k, m.Keys())
						}
						if err := c2.Delete(ctx, key); err != nil || len(m.Keys()) != 0 {
							t.Fatalf("Delete: %v, left %q", err, m.Keys())
						}
					}
				})
			}
		}
	}
}

func seed(t *testing.T, c keychain.Backend, v value) {
	t.Helper()
	if v.data != nil {
		if err := c.Set(context.Background(), key, v.data); err != nil {
			t.Fatal(err)
		}
	}
}

// transition makes the key hold v: Set, or Delete for "none".
func transition(ctx context.Context, c keychain.Backend, v value) error {
	if v.data == nil {
		err := c.Delete(ctx, key)
		if errors.Is(err, keychain.ErrNotFound) {
			return nil
		}
		return err
	}
	return c.Set(ctx, key, v.data)
}

func matches(got []byte, err error, v value) bool {
	if v.data == nil {
		return errors.Is(err, keychain.ErrNotFound)
	}
	return err == nil && bytes.Equal(got, v.data)
}

func TestChunkedConcurrent(t *testing.T) {
	ctx := context.Background()
	m, c := newChunked(winMax)
	values := make([][]byte, 6)
	for i := range values {
		values[i] = keychaintest.RandomSecret(1000 + i*winMax)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for w := range len(values) {
		wg.Go(func() {
			for r := range 20 {
				if err := c.Set(ctx, key, values[w]); err != nil {
					errs <- err
				}
				got, err := c.Get(ctx, key)
				if err != nil {
					errs <- fmt.Errorf("round %d: %w", r, err)
					continue
				}
				ok := false
				for _, v := range values {
					ok = ok || bytes.Equal(got, v)
				}
				if !ok {
					errs <- fmt.Errorf("round %d: Get returned none of the written values", r)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := c.Delete(ctx, key); err != nil || len(m.Keys()) != 0 {
		t.Errorf("Delete: %v, left %q", err, m.Keys())
	}
}

func TestChunkedPassesBackendErrorsThrough(t *testing.T) {
	ctx := context.Background()
	m, c := newChunked(winMax)
	locked := &keychain.Error{Backend: "memory", Op: "get", Kind: keychain.ErrLocked, Hint: "unlock it"}
	m.FailNext("get", locked)
	if _, err := c.Get(ctx, key); !errors.Is(err, keychain.ErrLocked) || keychain.HintOf(err) != "unlock it" {
		t.Errorf("Get: %v", err)
	}
	if c.Name() != "memory" {
		t.Errorf("Name() = %q", c.Name())
	}
}

func BenchmarkChunkedGetMemory64K(b *testing.B) {
	_, c := newChunked(winMax)
	ctx := context.Background()
	if err := c.Set(ctx, key, keychaintest.RandomSecret(64<<10)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.Get(ctx, key); err != nil {
			b.Fatal(err)
		}
	}
}
