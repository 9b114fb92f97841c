package credstore

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
)

// Entry is what the index keeps about one stored credential. It never
// holds a secret: the keychain does.
//
// The JSON keys are a public interface (`inspect --json`, `ls --json`);
// times are RFC 3339 UTC or null.
type Entry struct {
	ServerURL   string     `json:"serverURL"` // as it was stored
	Username    string     `json:"username"`
	Provider    string     `json:"provider"`
	Kind        string     `json:"kind"`
	Scope       []string   `json:"scope"`
	Description string     `json:"description"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	ExpiresAt   *time.Time `json:"expiresAt"`
	LastUsedAt  *time.Time `json:"lastUsedAt"`
	LastUsedBy  string     `json:"lastUsedBy"`
	UseCount    int64      `json:"useCount"`
	Fingerprint string     `json:"fingerprint"`

	Key            string     `json:"key"`        // canonical key, see Canonical
	Backend        string     `json:"backend"`    // keychain backend holding the secret
	Confidence     string     `json:"confidence"` // how sure the classifier was
	BulkReads      int64      `json:"bulkReads"`  // gets that followed a list: docker reading everything
	LastBulkReadAt *time.Time `json:"lastBulkReadAt"`
	ReminderAt     *time.Time `json:"reminderAt,omitempty"` // last expiry reminder on stderr

	// State is "" for a committed entry, "storing" while its secret is
	// being written and "erasing" while it is being removed. It lets the
	// next run finish what a killed process started.
	State string `json:"state,omitempty"`
	// Listed records that the entry was committed before the current
	// operation, so list may keep naming it while a replace is in flight.
	Listed bool `json:"listed,omitempty"`

	// Locator is where the keychain put the secret (see
	// keychain.Locator), or found it at the last use of this token (then
	// in the use record). Only ever a hint: the backend checks it.
	Locator string `json:"locator,omitempty"`
}

const (
	stateStoring = "storing"
	stateErasing = "erasing"
)

// Expired reports whether the entry's token has expired at now.
func (e *Entry) Expired(now time.Time) bool {
	return e.ExpiresAt != nil && !now.Before(*e.ExpiresAt)
}

// listable reports whether list may name the entry: get can return it.
func (e *Entry) listable() bool {
	switch e.State {
	case "":
		return true
	case stateStoring:
		return e.Listed
	}
	return false
}

// Fingerprint identifies a secret without revealing it: the first 12 hex
// digits of its SHA-256. Tokens carry far more entropy than 48 bits, so the
// prefix cannot be turned back into the token.
func Fingerprint(s token.Secret) string {
	sum := sha256.Sum256([]byte(s.Reveal()))
	return "sha256:" + hex.EncodeToString(sum[:6])
}

func timePtr(t time.Time) *time.Time {
	t = t.UTC()
	return &t
}
