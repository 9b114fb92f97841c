package keychain

import (
	"context"
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"github.com/zalando/go-keyring"
)

// NewOS returns the operating system's own keychain through go-keyring:
// the Secret Service on Linux and the BSDs ("secretservice"), the login
// keychain on macOS ("keychain"), Credential Manager on Windows ("wincred").
// One item per key: service Service, user (account) key, password data.
//
// Calls are not bounded: wrap it with WithTimeout (Open does). On Linux
// every call first makes sure a session bus exists (so godbus never runs
// dbus-launch), greets the Secret Service with a message that cannot
// crash gnome-keyring and, when no unlock prompt can be shown, checks that
// the collection is unlocked; each fails fast with an *Error. A get there
// speaks to the Secret Service itself in three round trips (directGet),
// leaving to go-keyring only what it does not expect.
func NewOS() Backend {
	return &osBackend{name: osName, kr: goKeyring{}, encode: osEncodes}
}

// keyringAPI is the part of go-keyring the backend uses (a seam for tests).
type keyringAPI interface {
	Set(service, user, password string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

type goKeyring struct{}

func (goKeyring) Set(service, user, password string) error {
	return keyring.Set(service, user, password)
}
func (goKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (goKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

type osBackend struct {
	name   string
	kr     keyringAPI
	encode bool // store non-text data as encodedPrefix+base64
	// skipLockCheck leaves a locked collection to go-keyring, and the
	// preflight off the bus (tests).
	skipLockCheck bool
}

func (b *osBackend) Name() string { return b.name }

func (b *osBackend) Set(ctx context.Context, key string, data []byte) error {
	if err := b.prepare(ctx, "set"); err != nil {
		return err
	}
	return mapError(b.name, "set", b.kr.Set(Service, key, b.pack(data)))
}

func (b *osBackend) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxError(b.name, "get", err)
	}
	s, done, err := b.directGet(ctx, key)
	if !done {
		if err := b.prepare(ctx, "get"); err != nil {
			return nil, err
		}
		s, err = b.kr.Get(Service, key)
	}
	if err != nil {
		return nil, mapError(b.name, "get", err)
	}
	data, ok := b.unpack(s)
	if !ok {
		return nil, &Error{Backend: b.name, Op: "get", Kind: ErrUnavailable,
			Detail: "the stored item has a bad " + encodedPrefix + " encoding",
			Hint:   "store the credential again (docker login)"}
	}
	return data, nil
}

func (b *osBackend) Delete(ctx context.Context, key string) error {
	if err := b.prepare(ctx, "delete"); err != nil {
		return err
	}
	return mapError(b.name, "delete", b.kr.Delete(Service, key))
}

// prepare runs before every go-keyring call.
func (b *osBackend) prepare(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return ctxError(b.name, op, err)
	}
	return b.preflight(ctx, op)
}

// Item encoding. go-keyring takes a string: the Secret Service sends its
// bytes as they are (with a text/plain content type other implementations
// may take at its word), Credential Manager stores them as a blob and macOS
// gets them base64-encoded by go-keyring itself. Where encode is set, data
// that is not plain text (invalid UTF-8 or a NUL), or that starts with the
// prefix, is stored as encodedPrefix + standard base64; everything else,
// tokens included, is stored as it is, so `secret-tool lookup` shows it and
// nothing grows. Where the OS path carries any bytes (macOS, Windows) and
// items have a size cap, nothing is encoded, so the cap applies to the data.
const encodedPrefix = "dcp-b64:"

func (b *osBackend) pack(data []byte) string {
	if b.encode && needsEncoding(data) {
		return encodedPrefix + base64.StdEncoding.EncodeToString(data)
	}
	return string(data)
}

func needsEncoding(data []byte) bool {
	return !utf8.Valid(data) || strings.IndexByte(string(data), 0) >= 0 ||
		strings.HasPrefix(string(data), encodedPrefix)
}

// unpack reverses pack: where encode is set, a value with the prefix is
// base64 and any other is the data itself.
func (b *osBackend) unpack(s string) ([]byte, bool) {
	rest, ok := strings.CutPrefix(s, encodedPrefix)
	if !b.encode || !ok {
		return []byte(s), true
	}
	data, err := base64.StdEncoding.DecodeString(rest)
	return data, err == nil
}
