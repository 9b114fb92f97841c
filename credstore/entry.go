package credstore

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
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

func timePtr(t time.Time) *time.Time {
	t = t.UTC()
	return &t
}

// RevokeURL is the page where the token in e can be revoked at its
// provider, judged by e.Provider or else by the registry host; "" when it
// is not known or there is nothing to revoke. See RevokeHint.
func RevokeURL(e *Entry) string {
	url, _ := revokeAt(e)
	return url
}

// RevokeHint says, for a person, where and how to revoke the token in e:
// "revoke it at https://github.com/settings/tokens".
func RevokeHint(e *Entry) string {
	url, how := revokeAt(e)
	switch {
	case url != "" && how != "":
		return "revoke it at " + url + " (" + how + ")"
	case url != "":
		return "revoke it at " + url
	case how != "":
		return how
	}
	return "revoke it in " + e.Registry() + "'s settings"
}

// revokeAt returns the revocation page and a note on what to look for.
func revokeAt(e *Entry) (url, how string) {
	host, err := registryurl.Host(e.ServerURL)
	if e.ServerURL == "" || err != nil {
		host, _ = registryurl.Host(e.Key)
	}
	return token.RevokeAt(e.Provider, host, e.Username)
}

// maxDescription bounds a description.
const maxDescription = 1024

// CheckDescription refuses a description with control characters or too
// long to show.
func CheckDescription(d string) error {
	if len(d) > maxDescription || !utf8.ValidString(d) || strings.ContainsFunc(d, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return fmt.Errorf("invalid description: it must be valid UTF-8 without control characters, at most %d bytes", maxDescription)
	}
	if token.HoldsToken(d) {
		return token.ErrHoldsToken
	}
	return nil
}

// who names a credential for a person: "ghcr.io (alice)", or the
// registry alone without a username.
func who(registry, username string) string {
	if username == "" {
		return registry
	}
	return registry + " (" + username + ")"
}

// Who names the entry for a person: "ghcr.io (alice)".
func (e *Entry) Who() string { return who(e.Registry(), e.Username) }

// Registry is the registry as a person types it on docker's command line:
// "docker.io" for Docker Hub, host[:port][/path] otherwise.
func (e *Entry) Registry() string {
	if e.ServerURL == "" {
		return registryurl.Display(e.Key)
	}
	return registryurl.Display(e.ServerURL)
}
