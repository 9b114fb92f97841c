package keychain

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/zalando/go-keyring"
)

func TestPackUnpack(t *testing.T) {
	for _, encode := range []bool{true, false} {
		b := &osBackend{encode: encode}
		for _, data := range [][]byte{
			nil, []byte("dckr_pat_abc"), []byte("caf\xe9"), []byte("a\x00b"),
			[]byte(encodedPrefix), []byte(encodedPrefix + "QUJD"), []byte("é🔑"),
		} {
			s := b.pack(data)
			got, ok := b.unpack(s)
			if !ok || !bytes.Equal(got, data) {
				t.Errorf("encode=%v: %q -> %q -> %q, %v", encode, data, s, got, ok)
			}
			if encode && (!utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0) {
				t.Errorf("encode=%v: %q stored as %q, not plain text", encode, data, s)
			}
			if !encode && s != string(data) {
				t.Errorf("encode=false changed %q to %q", data, s)
			}
		}
	}
	// Text is stored as it is.
	if got := (&osBackend{encode: true}).pack([]byte("dckr_pat_x")); got != "dckr_pat_x" {
		t.Errorf("a token was stored as %q", got)
	}
	if _, ok := (&osBackend{encode: true}).unpack(encodedPrefix + "!!"); ok {
		t.Error("bad base64 after the prefix was accepted")
	}
}

func FuzzPackUnpack(f *testing.F) {
	f.Add([]byte("dckr_pat_x"), true)
	f.Add([]byte("\xff\x00"), true)
	f.Add([]byte(encodedPrefix), false)
	f.Fuzz(func(t *testing.T, data []byte, encode bool) {
		b := &osBackend{encode: encode}
		got, ok := b.unpack(b.pack(data))
		if !ok || !bytes.Equal(got, data) {
			t.Fatalf("%q did not round-trip", data)
		}
	})
}

// fakeKeyring is go-keyring's shape in memory, for the backend's own logic.
type fakeKeyring struct{ items map[string]string }

func (f *fakeKeyring) Set(service, user, password string) error {
	f.items[service+"\x00"+user] = password
	return nil
}

func (f *fakeKeyring) Get(service, user string) (string, error) {
	v, ok := f.items[service+"\x00"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeKeyring) Delete(service, user string) error {
	if _, ok := f.items[service+"\x00"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(f.items, service+"\x00"+user)
	return nil
}

func TestOSBackendOverFake(t *testing.T) {
	fk := &fakeKeyring{items: map[string]string{}}
	// skipLockCheck and a bus address keep the Linux preflight off the bus.
	t.Setenv(busEnv, "unix:path=/nonexistent")
	b := &osBackend{name: osName, kr: fk, encode: true, skipLockCheck: true}
	ctx := context.Background()
	if _, err := b.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get missing: %v", err)
	}
	if err := b.Set(ctx, "k", []byte{0xff}); err != nil {
		t.Fatal(err)
	}
	if fk.items[Service+"\x00k"] != encodedPrefix+"/w==" {
		t.Errorf("stored %q under service %q user k", fk.items[Service+"\x00k"], Service)
	}
	fk.items[Service+"\x00k"] = encodedPrefix + "%%%"
	if _, err := b.Get(ctx, "k"); !errors.Is(err, ErrUnavailable) || HintOf(err) == "" {
		t.Errorf("Get of a damaged item: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Set(cancelled, "k", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Set with a cancelled ctx: %v", err)
	}
	if err := b.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete: %v", err)
	}
}

func TestNewOSName(t *testing.T) {
	if got := NewOS().Name(); got != osName {
		t.Errorf("Name() = %q, want %q", got, osName)
	}
}
