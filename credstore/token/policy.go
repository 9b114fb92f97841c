package token

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/internal/statefile"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
)

// Sentinels for refusals; a *RefusalError matches one of them with errors.Is.
var (
	ErrPassword     = errors.New("refusing to store a password")
	ErrInvalidToken = errors.New("refusing to store a mangled token")
	ErrExpired      = errors.New("refusing to store an expired token")
)

// PolicyFile is the name of the policy file in the store's directory.
const PolicyFile = "policy.json"

// maxPolicyFile bounds what is read of the policy file.
const maxPolicyFile = 1 << 20

// OpaqueTokenRegistry allows one registry's unrecognised opaque secrets as
// tokens: for registries that issue tokens without a recognisable shape
// (Harbor, Nexus, self-managed GitLab with custom prefixes).
type OpaqueTokenRegistry struct {
	Registry string `json:"registry"`           // host[:port], any form Host accepts
	Provider string `json:"provider,omitempty"` // recorded as the token's provider; ProviderUnknown if empty
	Note     string `json:"note,omitempty"`     // for people
}

// Policy holds per-registry allowances. The zero value allows nothing.
type Policy struct {
	OpaqueTokenRegistries []OpaqueTokenRegistry `json:"opaqueTokenRegistries"`

	path   string                         // where it was read from, for hints
	byHost map[string]OpaqueTokenRegistry // canonical host -> entry
}

// LoadPolicy reads dir/policy.json. A missing file is an empty policy; a
// malformed one is an error naming the file. Unknown fields are ignored.
func LoadPolicy(dir string) (*Policy, error) {
	path := filepath.Join(dir, PolicyFile)
	p := &Policy{path: path}
	b, err := statefile.ReadFile(path, maxPolicyFile)
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	var refused *statefile.Refusal
	if errors.As(err, &refused) {
		return nil, err // names the file and the fix
	}
	if err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	if err := json.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	if err := p.index(); err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	return p, nil
}

func (p *Policy) index() error {
	p.byHost = make(map[string]OpaqueTokenRegistry, len(p.OpaqueTokenRegistries))
	for i, r := range p.OpaqueTokenRegistries {
		if r.Registry == "" {
			return fmt.Errorf("opaqueTokenRegistries[%d]: registry is empty", i)
		}
		host, err := registryurl.Host(r.Registry)
		if err != nil {
			return fmt.Errorf("opaqueTokenRegistries[%d]: %w", i, err)
		}
		if host == registryurl.HubHost {
			return fmt.Errorf("opaqueTokenRegistries[%d]: Docker Hub tokens always start with dckr_, so Docker Hub cannot be an opaque-token registry", i)
		}
		if _, dup := p.byHost[host]; dup {
			return fmt.Errorf("opaqueTokenRegistries[%d]: %s is listed twice", i, host)
		}
		if r.Provider == "" {
			r.Provider = ProviderUnknown
		}
		p.byHost[host] = r
	}
	return nil
}

// allows returns the allowance for a canonical host. A Policy built in
// code rather than by LoadPolicy is matched entry by entry, without
// mutating it.
func (p *Policy) allows(host string) (OpaqueTokenRegistry, bool) {
	if p == nil {
		return OpaqueTokenRegistry{}, false
	}
	if p.byHost != nil {
		r, ok := p.byHost[host]
		return r, ok
	}
	for _, r := range p.OpaqueTokenRegistries {
		if h, err := registryurl.Host(r.Registry); err == nil && h == host && h != registryurl.HubHost {
			if r.Provider == "" {
				r.Provider = ProviderUnknown
			}
			return r, true
		}
	}
	return OpaqueTokenRegistry{}, false
}

// RefusalError says why a secret may not be stored. Message is one line;
// Fixes are lines for stderr. Neither contains the secret.
type RefusalError struct {
	Registry string // canonical host, e.g. "index.docker.io"
	Class    Class
	Message  string
	Fixes    []string
}

func (e *RefusalError) Error() string { return e.Message }

// Refusal marks the error as a refusal by policy rather than a failure to
// store: Migrate keeps such entries and carries on.
func (e *RefusalError) Refusal() {}

// Hints are the fixes: a token to create, how to log in with it.
func (e *RefusalError) Hints() []string { return e.Fixes }

// Is matches ErrPassword, ErrInvalidToken or ErrExpired.
func (e *RefusalError) Is(target error) bool {
	switch e.Class {
	case ClassPassword:
		return target == ErrPassword
	case ClassInvalid:
		return target == ErrInvalidToken
	case ClassToken, ClassIdentity:
		return target == ErrExpired
	}
	return false
}

// trimNewline removes one trailing "\n" or "\r\n".
func trimNewline(s string) (string, bool) {
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		t, _ = strings.CutSuffix(t, "\r")
		return t, true
	}
	return s, false
}

// Check classifies a secret and decides whether it may be stored. It
// trims one trailing \r?\n first and returns the trimmed secret to store.
// A refusal is a *RefusalError; an unparseable serverURL is an error
// wrapping ErrInvalidServerURL.
func (p *Policy) Check(serverURL, username string, secret Secret, now time.Time) (Classification, Secret, error) {
	host, err := registryurl.Host(serverURL)
	if err != nil {
		return Classification{}, Secret{}, err
	}
	s, trimmed := trimNewline(secret.Reveal())
	secret = NewSecret(s)
	c := Classify(serverURL, username, secret)
	if trimmed {
		c.Reason += " (a trailing newline was removed)"
	}
	switch c.Class {
	case ClassPassword:
		if r, ok := p.allows(host); ok {
			c = Classification{
				Class:      ClassToken,
				Provider:   r.Provider,
				Kind:       "opaque token",
				Confidence: ConfidenceContext,
				Reason:     host + " is listed in " + PolicyFile + " as a registry that issues opaque tokens",
			}
			return c, secret, nil
		}
		return c, Secret{}, p.refusePassword(serverURL, host, username, s, c)
	case ClassInvalid:
		return c, Secret{}, p.refuseInvalid(serverURL, host, username, s, c)
	}
	if !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt) {
		return c, Secret{}, &RefusalError{
			Registry: host,
			Class:    c.Class,
			Message:  "refusing to store a token for " + host + ": token expired at " + c.ExpiresAt.UTC().Format(time.RFC3339),
			Fixes:    append([]string{"get a fresh token and log in again"}, loginHints(serverURL, host, username, s)...),
		}
	}
	return c, secret, nil
}

func (p *Policy) refusePassword(serverURL, host, username, s string, c Classification) error {
	what := "an access token"
	switch c.Provider {
	case ProviderDockerHub, ProviderGitHub, ProviderGitLab, ProviderDigitalOcean:
		what = "a personal access token"
	}
	hints := []string{createHint(host, c.Provider)}
	hints = append(hints, loginHints(serverURL, host, username, s)...)
	if c.Provider != ProviderDockerHub && c.Provider != ProviderGitHub {
		hints = append(hints, fmt.Sprintf("if %s issues tokens with no recognisable format, allow them in %s: "+
			`{"opaqueTokenRegistries": [{"registry": %q}]}`, host, p.policyPath(), host))
	}
	return &RefusalError{
		Registry: host,
		Class:    ClassPassword,
		Message:  "refusing to store a password for " + host + ": create " + what + " and log in with it",
		Fixes:    hints,
	}
}

func (p *Policy) refuseInvalid(serverURL, host, username, s string, c Classification) error {
	hints := []string{"copy the whole token again, with no spaces or line breaks inside it"}
	hints = append(hints, createHint(host, c.Provider))
	hints = append(hints, loginHints(serverURL, host, username, s)...)
	return &RefusalError{
		Registry: host,
		Class:    ClassInvalid,
		Message:  "refusing to store the secret for " + host + ": " + c.Reason,
		Fixes:    hints,
	}
}

func (p *Policy) policyPath() string {
	if p != nil && p.path != "" {
		return p.path
	}
	return PolicyFile + " beside the credential index"
}

// loginHints say how to log in with a token, without the secret (nor the
// username, when the secret contains it).
func loginHints(serverURL, host, username, s string) []string {
	name := username
	if !printableUser(name) || strings.Contains(s, name) || strings.ContainsAny(name, "'\"`\\") {
		name = "NAME"
	} else if strings.ContainsAny(name, "$|&;<>()*?!~#") {
		name = "'" + name + "'"
	}
	registry := " " + host
	if registryurl.IsDockerHub(serverURL) {
		registry = ""
	}
	hints := []string{"log in with it: docker login -u " + name + " --password-stdin" + registry}
	if strings.Contains(username, "$") || username == "" || username == "robot" {
		hints = append(hints, "a username with $ (robot$name, $oauthtoken, $app) must be in single quotes, or the shell removes the $ part: -u 'robot$name'")
	}
	return hints
}
