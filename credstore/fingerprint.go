package credstore

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
)

// Fingerprints tell tokens apart without revealing them. A bare hash of a
// weak opaque secret could be cracked offline from the index or from
// inspect's output, so a fingerprint is an HMAC-SHA-256 of the secret under
// a random key kept in the keychain beside the secrets, one key per
// backend, created on first need: "hmac:" and 12 hex digits. Entries
// stored before keep "sha256:" and the bare hash's first 12 hex digits
// until their token is stored again; they still match their token.
const (
	fingerprintKeyItem = "docker-credential-pat:fingerprint-key" // never a server URL
	fingerprintKeyLen  = 32
	keyedPrefix        = "hmac:"
	legacyPrefix       = "sha256:"
)

// errNoFingerprintKey: the backend holds no fingerprint key, and none was
// to be created.
var errNoFingerprintKey = errors.New("no fingerprint key in the keychain")

// legacyFingerprint is the bare-hash fingerprint of earlier versions.
func legacyFingerprint(s token.Secret) string {
	sum := sha256.Sum256([]byte(s.Reveal()))
	return legacyPrefix + hex.EncodeToString(sum[:6])
}

// fingerprintKey returns b's fingerprint key, read once per process. With
// create, a missing key is made and stored; the caller then holds the
// index lock, so two processes never make two keys.
func (s *Store) fingerprintKey(b keychain.Backend, create bool) ([]byte, error) {
	s.mu.Lock()
	k := s.fpKeys[b.Name()]
	s.mu.Unlock()
	if k != nil {
		return k, nil
	}
	data, err := b.Get(s.ctx, fingerprintKeyItem)
	switch {
	case err == nil:
		if k, err = hex.DecodeString(string(data)); err != nil || len(k) != fingerprintKeyLen {
			return nil, fmt.Errorf("the keychain item %s is not a fingerprint key", fingerprintKeyItem)
		}
	case errors.Is(err, keychain.ErrNotFound) && create:
		k = make([]byte, fingerprintKeyLen)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		if err := b.Set(s.ctx, fingerprintKeyItem, []byte(hex.EncodeToString(k))); err != nil {
			return nil, err
		}
	case errors.Is(err, keychain.ErrNotFound):
		return nil, errNoFingerprintKey
	default:
		return nil, err
	}
	s.mu.Lock()
	s.fpKeys[b.Name()] = k
	s.mu.Unlock()
	return k, nil
}

// fingerprint is secret's keyed fingerprint in backend b, whose key is
// created if need be (see fingerprintKey: the caller holds the lock).
func (s *Store) fingerprint(b keychain.Backend, secret token.Secret) (string, error) {
	k, err := s.fingerprintKey(b, true)
	if err != nil {
		return "", err
	}
	return keyedFingerprint(k, secret), nil
}

func keyedFingerprint(key []byte, secret token.Secret) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(secret.Reveal()))
	return keyedPrefix + hex.EncodeToString(m.Sum(nil)[:6])
}

// fingerprintMatches reports whether fp, keyed or legacy, is secret's in
// backend b. It creates no key: without one, no keyed fingerprint matches.
func (s *Store) fingerprintMatches(b keychain.Backend, fp string, secret token.Secret) bool {
	if strings.HasPrefix(fp, legacyPrefix) {
		return hmac.Equal([]byte(fp), []byte(legacyFingerprint(secret)))
	}
	k, err := s.fingerprintKey(b, false)
	return err == nil && hmac.Equal([]byte(fp), []byte(keyedFingerprint(k, secret)))
}
