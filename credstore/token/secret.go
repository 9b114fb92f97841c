package token

import (
	"fmt"
	"log/slog"
)

const redacted = "[REDACTED]"

// Secret is a token or password on its way through the store. It redacts
// itself wherever it could be printed or logged: fmt verbs, JSON and slog.
// Reveal returns the value, and is called only at the keychain and the wire.
type Secret struct{ v string }

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{s} }

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return s.v }

// Len is the secret's length in bytes.
func (s Secret) Len() int { return len(s.v) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == "" }

func (Secret) String() string                { return redacted }
func (Secret) GoString() string              { return redacted }
func (Secret) MarshalJSON() ([]byte, error)  { return []byte(`"` + redacted + `"`), nil }
func (Secret) MarshalText() ([]byte, error)  { return []byte(redacted), nil }
func (Secret) LogValue() slog.Value          { return slog.StringValue(redacted) }
func (Secret) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(redacted)) }
