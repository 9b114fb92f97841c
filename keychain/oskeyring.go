package keychain

import (
	"context"

	"github.com/zalando/go-keyring"
)

// NewOS returns the operating system's own keychain with default options:
// the Secret Service on Linux and the BSDs ("secretservice", our own client:
// secretservice.go), the login keychain on macOS ("keychain") and
// Credential Manager on Windows ("wincred"), those two through go-keyring.
// One item per key: service Service, user (account) key, the data.
//
// Calls are not bounded: wrap it with WithTimeout (Open does).
func NewOS() Backend { return newOS(Options{}) }

// newGoKeyring is the go-keyring backend, for macOS and Windows. It builds
// everywhere, so its own logic is tested over a fake on Linux too.
func newGoKeyring() Backend { return &osBackend{name: osName, kr: goKeyring{}} }

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

// osBackend stores data as it is: go-keyring base64-encodes it for macOS
// itself, and a Windows credential blob holds any bytes.
type osBackend struct {
	name string
	kr   keyringAPI
}

func (b *osBackend) Name() string { return b.name }

func (b *osBackend) Set(ctx context.Context, key string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return ctxError(b.name, "set", err)
	}
	return mapError(b.name, "set", b.kr.Set(Service, key, string(data)))
}

func (b *osBackend) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxError(b.name, "get", err)
	}
	s, err := b.kr.Get(Service, key)
	if err != nil {
		return nil, mapError(b.name, "get", err)
	}
	return []byte(s), nil
}

func (b *osBackend) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return ctxError(b.name, "delete", err)
	}
	return mapError(b.name, "delete", b.kr.Delete(Service, key))
}
