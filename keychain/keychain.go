// Package keychain stores opaque secrets in the operating system's keychain.
//
// A Backend keeps one item per key under the service "docker-credential-pat".
// Backends never print; every failure is an *Error whose Kind is one of the
// sentinels below, so callers can decide on a wire answer (not found) or a
// message for a person (locked, unavailable, timeout) without parsing text.
package keychain

import (
	"context"
	"errors"
	"fmt"
)

// Service is the service name every item is stored under.
const Service = "docker-credential-pat"

// Backend is a keychain holding opaque data under string keys.
type Backend interface {
	// Name is the backend's id: "secretservice", "keychain" (macOS),
	// "wincred" (Windows) or "keyctl" (Linux kernel keyring).
	Name() string
	// Set stores data under key, replacing whatever was there.
	Set(ctx context.Context, key string, data []byte) error
	// Get returns the data stored under key; a missing key is ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Delete removes key; a missing key is ErrNotFound.
	Delete(ctx context.Context, key string) error
}

// Kinds of failure. An *Error unwraps to exactly one of them.
var (
	ErrNotFound    = errors.New("item not found")
	ErrLocked      = errors.New("keyring is locked")
	ErrUnavailable = errors.New("keychain is unavailable")
	ErrTimeout     = errors.New("keychain did not answer in time")
	ErrTooBig      = errors.New("item is too big for the keychain")
	ErrQuota       = errors.New("keychain quota exceeded")
	ErrDenied      = errors.New("access to the keychain was denied")
)

// Error is a backend failure: which backend, what kind, the backend's own
// words (never a secret), and the fix for a person.
type Error struct {
	Backend string // "secretservice", "keyctl", ...
	Op      string // "get", "set", "delete", "open"
	Kind    error  // one of the Err* sentinels
	Detail  string // the backend's own message, if it helps; never a secret
	Hint    string // what the user can do, ideally a command to paste
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s: %v", e.Backend, e.Kind)
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Kind }

// Hints returns the hint as a list, the one way an error carries its fixes
// (see credstore/hint).
func (e *Error) Hints() []string {
	if e.Hint == "" {
		return nil
	}
	return []string{e.Hint}
}

// HintOf returns the hint of the first *Error in err's chain, or "".
func HintOf(err error) string {
	var ke *Error
	if errors.As(err, &ke) {
		return ke.Hint
	}
	return ""
}

// Locator is a Backend that can find an item faster when told where it
// was last seen, as a search for the key's item costs more the more items
// the keychain holds (the Secret Service).
type Locator interface {
	Backend
	// SetAt is Set, and says where the item went, for GetAt.
	SetAt(ctx context.Context, key string, data []byte) (found string, err error)
	// GetAt is Get, trying first the place at, which an earlier GetAt
	// returned as found for the same key. found is where the item is
	// ("" when the backend cannot say): text without secrets, to be kept
	// for the next GetAt. A place that no longer holds key's item (gone,
	// another key's, not this backend's) is passed over for the lookup Get
	// does: GetAt never returns data other than what Get would return for
	// key, save a value another client is replacing at that moment.
	//
	// holds, if not nil, tells key's data from any other: a backend may
	// then check the data at the place with it, rather than ask the
	// keychain whose item it is (a call the Secret Service is slow to
	// answer). Data it refuses is passed over, never returned.
	GetAt(ctx context.Context, key, at string, holds func(data []byte) bool) (data []byte, found string, err error)
}

// Warmer is a Backend that can get ready for its calls ahead of them
// (connect, greet), so that a caller overlaps that with other work.
type Warmer interface {
	Backend
	// Warm starts what the next call would do first and returns without
	// waiting for an answer; ctx bounds what it does wait for (a connect).
	// A failure is left for that call to meet and report.
	Warm(ctx context.Context)
}

// Warm is b's Warm when b is a Warmer.
func Warm(ctx context.Context, b Backend) {
	if w, ok := b.(Warmer); ok {
		w.Warm(ctx)
	}
}

// A Resumer is a Backend whose first call can start sooner with what an
// earlier process learned: the Secret Service's session, which
// gnome-keyring numbers in order, so that a get can name the session its
// OpenSession will get before the answer says so, and ask for the secret
// in the same breath (see secretService.getPlaced). A wrong guess costs
// an error answer and nothing else: the call then goes as without it.
type Resumer interface {
	Backend
	// Resume gives the backend what an earlier process's Learned
	// returned, before its first call: load reads it, and is called only
	// by a backend that can use it.
	Resume(load func() string)
	// Learned is what this process learned for the next one, or "": text
	// without secrets, to be kept in a file.
	Learned() string
}

// Resume is b's Resume when b is a Resumer.
func Resume(b Backend, load func() string) {
	if r, ok := b.(Resumer); ok {
		r.Resume(load)
	}
}

// Learned is b's Learned when b is a Resumer, else "".
func Learned(b Backend) string {
	if r, ok := b.(Resumer); ok {
		return r.Learned()
	}
	return ""
}

// SetAt is b's SetAt when b is a Locator, else b.Set with found "".
func SetAt(ctx context.Context, b Backend, key string, data []byte) (found string, err error) {
	if l, ok := b.(Locator); ok {
		return l.SetAt(ctx, key, data)
	}
	return "", b.Set(ctx, key, data)
}

// GetAt is b's GetAt when b is a Locator, else b.Get with found "".
func GetAt(ctx context.Context, b Backend, key, at string, holds func([]byte) bool) (data []byte, found string, err error) {
	if l, ok := b.(Locator); ok {
		return l.GetAt(ctx, key, at, holds)
	}
	data, err = b.Get(ctx, key)
	return data, "", err
}
