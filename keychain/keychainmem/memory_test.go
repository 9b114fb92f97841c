package keychainmem

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/docker-credential-pat/docker-credential-pat/keychain"
)

func TestMemory(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	m.MaxItem = 4
	if err := m.Set(ctx, "b", []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(ctx, "a", []byte("12345")); !errors.Is(err, keychain.ErrTooBig) {
		t.Errorf("Set over MaxItem: %v", err)
	}
	data := []byte("xy")
	if err := m.Set(ctx, "a", data); err != nil {
		t.Fatal(err)
	}
	data[0] = 'z' // the stored copy must not change
	if got, err := m.Get(ctx, "a"); err != nil || string(got) != "xy" {
		t.Errorf("Get = %q, %v", got, err)
	}
	if keys := m.Keys(); !slices.Equal(keys, []string{"a", "b"}) {
		t.Errorf("Keys = %q", keys)
	}

	boom := errors.New("boom")
	m.FailNext("delete", boom)
	if _, err := m.Get(ctx, "a"); err != nil {
		t.Errorf("Get with a delete failure queued: %v", err)
	}
	if err := m.Delete(ctx, "a"); err != boom {
		t.Errorf("Delete = %v, want the injected error", err)
	}
	if err := m.Delete(ctx, "a"); err != nil {
		t.Errorf("second Delete: %v", err)
	}
	if _, err := m.Get(ctx, "a"); !errors.Is(err, keychain.ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}

	m.FailAfter(1, boom)
	if _, err := m.Get(ctx, "b"); err != nil {
		t.Errorf("first call after FailAfter(1): %v", err)
	}
	if _, err := m.Get(ctx, "b"); err != boom {
		t.Errorf("second call after FailAfter(1): %v", err)
	}
	m.ClearFailures()
	if got, err := m.Get(ctx, "b"); err != nil || string(got) != "1234" {
		t.Errorf("Get after ClearFailures: %q, %v", got, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Get(cctx, "b"); !errors.Is(err, keychain.ErrUnavailable) {
		t.Errorf("Get with a cancelled context: %v", err)
	}
	if n := m.Count("get"); n != 7 {
		t.Errorf("Count(get) = %d, want 7", n)
	}
	if n, calls := m.Count(""), m.Calls(); n != 12 || len(calls) != n || calls[1].Key != "a" || calls[1].Err == nil {
		t.Errorf("Count() = %d, Calls = %v", n, calls)
	}
}
