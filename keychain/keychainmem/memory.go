// Package keychainmem holds an in-memory keychain.Backend for unit tests.
// It is never used by the product.
package keychainmem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/docker-credential-pat/docker-credential-pat/keychain"
)

// Call is one recorded backend call.
type Call struct {
	Op  string // "get", "set" or "delete"
	Key string
	Err error  // what the call returned
	At  string // for a get through GetAt: the place it was told to try
}

// Memory is a goroutine-safe in-memory keychain.Backend with knobs for
// tests: a size limit, injected failures and a call log.
type Memory struct {
	// MaxItem, if positive, refuses data longer than this with
	// keychain.ErrTooBig, like Windows' 2,560-byte credential blob. Set it
	// before the first call.
	MaxItem int
	// Learn is what Learned returns (see keychain.Resumer).
	Learn string

	mu        sync.Mutex
	resumed   []string // what Resume was given
	items     map[string][]byte
	places    map[string]string  // key -> where its item is, for GetAt
	stored    int                // items stored so far, to name places
	failNext  map[string][]error // op ("" for any) -> errors to return, in order
	failAfter int                // calls left before every call fails; <0: never
	failErr   error
	calls     []Call
}

// NewMemory returns an empty Memory with no limit and no failures.
func NewMemory() *Memory {
	return &Memory{items: map[string][]byte{}, places: map[string]string{}, failNext: map[string][]error{}, failAfter: -1}
}

// Name returns "memory".
func (m *Memory) Name() string { return "memory" }

// FailNext makes the next call of op ("get", "set", "delete", or "" for
// any) return err without touching the items. Calls queue up.
func (m *Memory) FailNext(op string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failNext[op] = append(m.failNext[op], err)
}

// FailAfter lets the next n calls run, then makes every later call return
// err, as if the process had been killed after n calls. A negative n ends
// the failures.
func (m *Memory) FailAfter(n int, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failAfter, m.failErr = n, err
}

// ClearFailures drops every injected failure (FailNext and FailAfter).
func (m *Memory) ClearFailures() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.failNext)
	m.failAfter, m.failErr = -1, nil
}

// Calls returns the calls made so far, oldest first.
func (m *Memory) Calls() []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}

// Count returns how many calls of op ("" for all) were made.
func (m *Memory) Count(op string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.calls {
		if op == "" || c.Op == op {
			n++
		}
	}
	return n
}

// ResetCalls forgets the call log.
func (m *Memory) ResetCalls() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = nil
}

// Keys returns the stored keys, sorted.
func (m *Memory) Keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]string, 0, len(m.items))
	for k := range m.items {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Raw returns a copy of what is stored under key, bypassing limits,
// failures and the log.
func (m *Memory) Raw(key string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.items[key]
	return bytes.Clone(v), ok
}

// Put stores data under key, bypassing limits, failures and the log (to
// plant damaged items).
func (m *Memory) Put(key string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[key] = bytes.Clone(data)
	m.stored++
	m.places[key] = fmt.Sprintf("memory/%d", m.stored)
}

// begin records a call and returns the injected error for it, if any.
// The caller holds m.mu.
func (m *Memory) begin(ctx context.Context, op string) error {
	err := m.injected(op)
	if err == nil && ctx.Err() != nil {
		kind := keychain.ErrUnavailable
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			kind = keychain.ErrTimeout
		}
		err = &keychain.Error{Backend: m.Name(), Op: op, Kind: kind, Detail: ctx.Err().Error()}
	}
	return err
}

func (m *Memory) injected(op string) error {
	if m.failAfter == 0 {
		return m.failErr
	}
	if m.failAfter > 0 {
		m.failAfter--
	}
	for _, o := range []string{op, ""} {
		if q := m.failNext[o]; len(q) > 0 {
			m.failNext[o] = q[1:]
			return q[0]
		}
	}
	return nil
}

func (m *Memory) log(op, key string, err error) error {
	m.calls = append(m.calls, Call{Op: op, Key: key, Err: err})
	return err
}

// Set stores a copy of data under key.
func (m *Memory) Set(ctx context.Context, key string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(ctx, "set"); err != nil {
		return m.log("set", key, err)
	}
	if m.MaxItem > 0 && len(data) > m.MaxItem {
		return m.log("set", key, &keychain.Error{Backend: m.Name(), Op: "set", Kind: keychain.ErrTooBig,
			Detail: fmt.Sprintf("%d bytes, at most %d", len(data), m.MaxItem)})
	}
	m.items[key] = bytes.Clone(data)
	m.stored++
	m.places[key] = fmt.Sprintf("memory/%d", m.stored)
	return m.log("set", key, nil)
}

// Get returns a copy of the data under key, or keychain.ErrNotFound.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(ctx, "get"); err != nil {
		return nil, m.log("get", key, err)
	}
	v, ok := m.items[key]
	if !ok {
		return nil, m.log("get", key, m.notFound("get"))
	}
	return bytes.Clone(v), m.log("get", key, nil)
}

// SetAt is Set that also says where the item went (see GetAt).
func (m *Memory) SetAt(ctx context.Context, key string, data []byte) (string, error) {
	if err := m.Set(ctx, key, data); err != nil {
		return "", err
	}
	return m.Place(key), nil
}

// GetAt is Get that also says where the item is: a place that changes with
// every Set of the key (a replace makes a new item, as on the Secret
// Service). Memory needs no hint; at is only logged (Call.At).
func (m *Memory) GetAt(ctx context.Context, key, at string, _ func([]byte) bool) ([]byte, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	log := func(err error) error {
		m.calls = append(m.calls, Call{Op: "get", Key: key, Err: err, At: at})
		return err
	}
	if err := m.begin(ctx, "get"); err != nil {
		return nil, "", log(err)
	}
	v, ok := m.items[key]
	if !ok {
		return nil, "", log(m.notFound("get"))
	}
	return bytes.Clone(v), m.places[key], log(nil)
}

// Resume records what an earlier process learned, if anything (see
// Resumed).
func (m *Memory) Resume(load func() string) {
	learned := load()
	if learned == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.resumed = append(m.resumed, learned)
}

// Learned returns m.Learn.
func (m *Memory) Learned() string { return m.Learn }

// Resumed returns what Resume read, in order, leaving out empty records.
func (m *Memory) Resumed() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.resumed)
}

// Place returns where key's item is, as GetAt reports it ("" if none).
func (m *Memory) Place(key string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.places[key]
}

// Delete removes key, or returns keychain.ErrNotFound.
func (m *Memory) Delete(ctx context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(ctx, "delete"); err != nil {
		return m.log("delete", key, err)
	}
	if _, ok := m.items[key]; !ok {
		return m.log("delete", key, m.notFound("delete"))
	}
	clear(m.items[key])
	delete(m.items, key)
	delete(m.places, key)
	return m.log("delete", key, nil)
}

func (m *Memory) notFound(op string) error {
	return &keychain.Error{Backend: m.Name(), Op: op, Kind: keychain.ErrNotFound}
}

var _ keychain.Locator = (*Memory)(nil)
