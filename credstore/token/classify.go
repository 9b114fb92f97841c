// Package token knows access tokens: the Secret type that redacts itself,
// the classifier that tells a token from a password, the policy that
// refuses what may not be stored, and the one table of providers (id,
// name, hosts, where to create and revoke a token). It does no I/O but
// reading the policy file.
package token

import (
	"errors"
	"strings"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
)

// Class is what the classifier decided a secret is.
type Class int

const (
	ClassPassword Class = iota // an account password, or something we cannot tell from one: refuse
	ClassToken                 // a recognised access token: accept
	ClassIdentity              // an identity token (username "<token>"): accept
	ClassInvalid               // a known token shape that fails validation: refuse as mangled
)

func (c Class) String() string {
	switch c {
	case ClassPassword:
		return "password"
	case ClassToken:
		return "token"
	case ClassIdentity:
		return "identity"
	case ClassInvalid:
		return "invalid"
	}
	return "unknown"
}

// Confidence values: how the classifier knows.
const (
	ConfidenceChecksum  = "checksum"  // the token's embedded checksum verified
	ConfidenceStructure = "structure" // prefix, length, alphabet and decodable parts match
	ConfidenceContext   = "context"   // the username or registry says what the secret is
	ConfidenceClaims    = "claims"    // a JWT whose claims name the issuer
)

// Classification describes a secret without containing any of it.
type Classification struct {
	Class      Class
	Provider   string    // short lowercase id, "" when unknown
	Kind       string    // short human words, e.g. "personal access token"
	Confidence string    // ConfidenceChecksum, ...Structure, ...Context, ...Claims or ""
	ExpiresAt  time.Time // zero when the token does not say
	Scope      []string  // e.g. "repository:library/alpine:pull"
	Reason     string    // one line for a person; never contains the secret or part of it
}

// IdentityUsername is how docker marks an identity token in the helper
// protocol (docker/cli cli/config/credentials/native_store.go).
const IdentityUsername = "<token>"

// dockerOAuthClientID is the docker CLI's public OAuth client id, which it
// appends to refresh tokens it stores (docker/cli internal/oauth/manager).
const dockerOAuthClientID = "L4v0dmlNBpYUjGGab0C2JtgTgXr1Qz4d"

// maxSecretLen bounds what the classifier looks at: the largest secret the
// store keeps on every backend. docker's own OAuth tokens are about 1 kB,
// ECR tokens about 2.5 kB, Entra-issued JWTs with group claims more.
const maxSecretLen = 64 << 10

// Classify decides what secret is. It is pure: no I/O and no clock.
// serverURL is as docker sent it; username may be empty.
//
// The first rule that decides wins: identity tokens; docker's own OAuth
// entries; anchored token formats with full validation (a known prefix
// that fails is invalid); JWTs; usernames that only go with tokens; what
// the registry is known to accept; and otherwise, password.
func Classify(serverURL, username string, secret Secret) Classification {
	s := secret.Reveal()
	host, err := registryurl.Host(serverURL)
	if err != nil {
		host = ""
	}
	switch {
	case s == "":
		return invalid("", "the secret is empty")
	case len(s) > maxSecretLen:
		return invalid("", "the secret is longer than 64 KiB, which no supported token is")
	}

	// 1. Identity tokens: whatever they look like.
	if username == IdentityUsername {
		return classifyIdentity(host, s)
	}

	// 2. Docker's own OAuth entries.
	if c, ok := classifyDockerOAuth(serverURL, s); ok {
		return c
	}

	// 3. Anchored formats, validated in full.
	if c, ok := classifyFormat(s); ok {
		return c
	}

	// 4. JWTs.
	if looksLikeJWT(s) {
		return classifyJWT(host, username, s)
	}

	// 5. Usernames that only go with tokens.
	if c, ok := classifyByUsername(host, username, s); ok {
		return c
	}

	// 6 and 7. What the registry accepts; otherwise a password.
	return classifyByRegistry(host, s)
}

func classifyIdentity(host, s string) Classification {
	c := Classification{
		Class:      ClassIdentity,
		Kind:       "identity token",
		Confidence: ConfidenceContext,
		Reason:     "the username <token> marks an identity token issued by the registry",
	}
	if looksLikeJWT(s) {
		var j jwtInfo
		if parseJWT(s, &j) {
			c.Provider, _ = j.provider(host, "")
			c.ExpiresAt = j.expiresAt
			c.Scope = j.scope
		}
	}
	if c.Provider == "" {
		c.Provider = providerForHost(host)
	}
	return c
}

func classifyDockerOAuth(serverURL, s string) (Classification, bool) {
	if !strings.HasSuffix(strings.TrimRight(serverURL, "/"), "-token") {
		return Classification{}, false // spare Canonical's work
	}
	canon, err := registryurl.Canonical(serverURL)
	if err != nil {
		return Classification{}, false
	}
	switch canon {
	case registryurl.HubAccessTokenKey:
		var j jwtInfo
		if !looksLikeJWT(s) || !parseJWT(s, &j) {
			return invalid(ProviderDocker, "docker's OAuth access token entry holds a JWT, and this secret is not one"), true
		}
		return Classification{
			Class:      ClassToken,
			Provider:   ProviderDocker,
			Kind:       "oauth access token",
			Confidence: ConfidenceContext,
			ExpiresAt:  j.expiresAt,
			Scope:      j.scope,
			Reason:     "docker's own OAuth access token entry",
		}, true
	case registryurl.HubRefreshTokenKey:
		i := strings.LastIndex(s, "..")
		if i < 0 || !isOAuthRefreshToken(s[:i]) || !isOAuthClientID(s[i+2:]) {
			return invalid(ProviderDocker, "docker's OAuth refresh token entry holds <token>..<client id>, and this secret does not"), true
		}
		conf := ConfidenceContext
		if s[i+2:] == dockerOAuthClientID {
			conf = ConfidenceStructure
		}
		return Classification{
			Class:      ClassToken,
			Provider:   ProviderDocker,
			Kind:       "refresh token",
			Confidence: conf,
			Reason:     "docker's own OAuth refresh token entry",
		}, true
	}
	return Classification{}, false
}

// isOAuthRefreshToken: what an OAuth server issues as a refresh token, 32
// or more URL-safe characters or dots (Auth0's are "v1." and base64url),
// not a word a person chose.
func isOAuthRefreshToken(s string) bool {
	return len(s) >= 32 && allIn(s, clsURLSafe|clsDot) && !strings.HasPrefix(s, ".") && !strings.HasSuffix(s, ".")
}

// isOAuthClientID: an OAuth client id as Auth0 issues them, 16 to 64
// letters, digits, - and _.
func isOAuthClientID(s string) bool {
	return len(s) >= 16 && len(s) <= 64 && allIn(s, clsURLSafe)
}

// classifyByRegistry applies what a registry is known to accept to a
// secret no other rule recognised.
func classifyByRegistry(host, s string) Classification {
	if host == registryurl.HubHost {
		if isUUID(s) {
			return Classification{
				Class:      ClassToken,
				Provider:   ProviderDockerHub,
				Kind:       "legacy access token",
				Confidence: ConfidenceStructure,
				Reason:     "a Docker Hub access token in the legacy UUID format: rotate it for a dckr_pat_ token",
			}
		}
		return password(ProviderDockerHub, "Docker Hub access tokens start with dckr_pat_ or dckr_oat_, and this secret does not")
	}
	switch host {
	case "ghcr.io", "docker.pkg.github.com":
		if len(s) == 40 && allIn(s, clsHexLower) {
			return Classification{
				Class:      ClassToken,
				Provider:   ProviderGitHub,
				Kind:       "legacy personal access token",
				Confidence: ConfidenceStructure,
				Reason:     "a GitHub personal access token in the pre-2021 40-hex format: rotate it for a ghp_ token",
			}
		}
		return password(ProviderGitHub, "GitHub tokens start with ghp_, gho_, ghu_, ghs_ or github_pat_, and this secret does not")
	}
	return password(providerForHost(host), "the secret matches no known access-token format, so it is treated as a password")
}

func invalid(provider, reason string) Classification {
	return Classification{Class: ClassInvalid, Provider: provider, Reason: reason}
}

func password(provider, reason string) Classification {
	return Classification{Class: ClassPassword, Provider: provider, Reason: reason}
}

// Character classes for hand matching.
const (
	clsDigit uint16 = 1 << iota
	clsUpper
	clsLower
	clsDash
	clsUnder
	clsDot
	clsPlus
	clsSlash
	clsTilde
	clsHexLower

	clsAlnum      = clsDigit | clsUpper | clsLower
	clsURLSafe    = clsAlnum | clsDash | clsUnder
	clsUpperDigit = clsUpper | clsDigit
	clsBase64     = clsAlnum | clsPlus | clsSlash
)

var charClass = func() (t [256]uint16) {
	for c := '0'; c <= '9'; c++ {
		t[c] = clsDigit | clsHexLower
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = clsUpper
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = clsLower
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] |= clsHexLower
	}
	t['-'], t['_'], t['.'], t['+'], t['/'], t['~'] = clsDash, clsUnder, clsDot, clsPlus, clsSlash, clsTilde
	return t
}()

// allIn reports whether every byte of s is in the class mask.
func allIn(s string, mask uint16) bool {
	for i := 0; i < len(s); i++ {
		if charClass[s[i]]&mask == 0 {
			return false
		}
	}
	return true
}

// hasClasses reports whether s has at least one byte of each class given.
func hasClasses(s string, classes ...uint16) bool {
	for _, m := range classes {
		found := false
		for i := 0; i < len(s) && !found; i++ {
			found = charClass[s[i]]&m != 0
		}
		if !found {
			return false
		}
	}
	return true
}

// isUUID matches 8-4-4-4-12 lower-case hex.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if charClass[s[i]]&clsHexLower == 0 {
				return false
			}
		}
	}
	return true
}

// HoldsToken reports whether text meant to be shown (a scope, a
// description) holds a word with the shape of a known token format or a
// JWT: a token pasted in the wrong place, which must not be kept where ls
// and inspect print it.
func HoldsToken(text string) bool {
	for _, w := range strings.Fields(text) {
		// A known prefix alone ("dckr_pat_") is a word about tokens; a
		// long word with one is a token, mangled or not.
		if c, ok := classifyFormat(w); ok && (c.Class == ClassToken || len(w) >= 20) || looksLikeJWT(w) {
			return true
		}
	}
	return false
}

// ErrHoldsToken refuses text that HoldsToken.
var ErrHoldsToken = errors.New("this holds what looks like a token, which is never kept as text: pass a token on stdin")
