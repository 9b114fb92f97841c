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
	for _, data := range [][]byte{
		nil, []byte("dckr_pat_abc"), []byte("caf\xe9"), []byte("a\x00b"),
		[]byte(encodedPrefix), []byte(encodedPrefix + "QUJD"), []byte("é🔑"),
	} {
		s := pack(data)
		got, ok := unpack(s)
		if !ok || !bytes.Equal(got, data) {
			t.Errorf("%q -> %q -> %q, %v", data, s, got, ok)
		}
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			t.Errorf("%q stored as %q, not plain text", data, s)
		}
	}
	// Text is stored as it is; a '{' (a KeePassXC placeholder) is not.
	if got := pack([]byte("dckr_pat_x")); got != "dckr_pat_x" {
		t.Errorf("a token was stored as %q", got)
	}
	if got := pack([]byte(`{"secret":"x"}`)); !strings.HasPrefix(got, encodedPrefix) || strings.Contains(got, "{") {
		t.Errorf("JSON was stored as %q, want it encoded", got)
	}
	if _, ok := unpack(encodedPrefix + "!!"); ok {
		t.Error("bad base64 after the prefix was accepted")
	}
}

func FuzzPackUnpack(f *testing.F) {
	f.Add([]byte("dckr_pat_x"))
	f.Add([]byte("\xff\x00"))
	f.Add([]byte(encodedPrefix))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := unpack(pack(data))
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

// The go-keyring backend (macOS, Windows) over a fake: data as it is,
// go-keyring's errors mapped, a cancelled ctx honoured.
func TestOSBackendOverFake(t *testing.T) {
	fk := &fakeKeyring{items: map[string]string{}}
	b := &osBackend{name: NameWincred, kr: fk}
	ctx := context.Background()
	if _, err := b.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get missing: %v", err)
	}
	if err := b.Set(ctx, "k", []byte{0xff, 0}); err != nil {
		t.Fatal(err)
	}
	if fk.items[Service+"\x00k"] != "\xff\x00" {
		t.Errorf("stored %q under service %q user k", fk.items[Service+"\x00k"], Service)
	}
	if got, err := b.Get(ctx, "k"); err != nil || !bytes.Equal(got, []byte{0xff, 0}) {
		t.Errorf("Get = %q, %v", got, err)
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
