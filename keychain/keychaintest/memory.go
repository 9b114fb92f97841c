// Package keychaintest has test doubles and harnesses for keychain backends.
package keychaintest

import (
	"context"
	"sort"
	"sync"

	"github.com/docker-credential-pat/docker-credential-pat/keychain"
)

// Memory is an in-memory keychain.Backend for unit tests.
type Memory struct {
	MaxItem int // if > 0, Set of more bytes fails with ErrTooBig

	mu    sync.Mutex
	items map[string][]byte
	fail  map[string]error
	calls []string
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{items: map[string][]byte{}, fail: map[string]error{}} }

func (m *Memory) Name() string { return "memory" }

// FailNext makes the next call of op ("get", "set", "delete") fail with err.
func (m *Memory) FailNext(op string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail[op] = err
}

func (m *Memory) call(op, key string) error {
	m.calls = append(m.calls, op+" "+key)
	if err := m.fail[op]; err != nil {
		delete(m.fail, op)
		return err
	}
	return nil
}

func (m *Memory) Set(_ context.Context, key string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.call("set", key); err != nil {
		return err
	}
	if m.MaxItem > 0 && len(data) > m.MaxItem {
		return &keychain.Error{Backend: "memory", Op: "set", Kind: keychain.ErrTooBig}
	}
	m.items[key] = append([]byte(nil), data...)
	return nil
}

func (m *Memory) Get(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.call("get", key); err != nil {
		return nil, err
	}
	d, ok := m.items[key]
	if !ok {
		return nil, &keychain.Error{Backend: "memory", Op: "get", Kind: keychain.ErrNotFound}
	}
	return append([]byte(nil), d...), nil
}

func (m *Memory) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.call("delete", key); err != nil {
		return err
	}
	if _, ok := m.items[key]; !ok {
		return &keychain.Error{Backend: "memory", Op: "delete", Kind: keychain.ErrNotFound}
	}
	delete(m.items, key)
	return nil
}

// Keys returns the stored keys, sorted.
func (m *Memory) Keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]string, 0, len(m.items))
	for k := range m.items {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
