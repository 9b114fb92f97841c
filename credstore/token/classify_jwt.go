package token

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"time"
)

// JWTs are decoded, never verified: the claims are hints for display and
// expiry, never for an authorization decision.

// jwtInfo is what the classifier reads from a JWT.
type jwtInfo struct {
	alg       string
	iss, sub  string
	aud       []string
	grantType string
	expiresAt time.Time
	scope     []string
	hasAccess bool // a distribution "access" claim
	kube      bool // a "kubernetes.io" claim
	dockerHub bool // Docker's "https://hub.docker.com" claim
	jfrogScp  bool // scp with applied-permissions/
}

// looksLikeJWT: three dot-separated segments, the first a base64url JSON
// object ("eyJ" is `{"`, "ewo" is "{\n").
func looksLikeJWT(s string) bool {
	return (strings.HasPrefix(s, "eyJ") || strings.HasPrefix(s, "ewo")) && strings.Count(s, ".") == 2
}

func decodeSegment(seg string) ([]byte, bool) {
	seg = strings.TrimRight(seg, "=")
	if seg == "" {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(seg)
	return b, err == nil
}

// parseJWT decodes header and payload; ok is false when the header is not
// a JSON object with "alg", the payload is not a JSON object, or the
// signature segment has characters base64url never has.
func parseJWT(s string, j *jwtInfo) bool {
	h, rest, _ := strings.Cut(s, ".")
	p, sig, _ := strings.Cut(rest, ".")
	if !allIn(strings.TrimRight(sig, "="), clsURLSafe) {
		return false
	}
	hb, ok := decodeSegment(h)
	if !ok {
		return false
	}
	var header struct {
		Alg *string `json:"alg"`
	}
	if json.Unmarshal(hb, &header) != nil || header.Alg == nil {
		return false
	}
	j.alg = *header.Alg
	pb, ok := decodeSegment(p)
	if !ok {
		return false
	}
	var claims map[string]json.RawMessage
	if json.Unmarshal(pb, &claims) != nil || claims == nil {
		return false
	}
	j.readClaims(claims)
	return true
}

func (j *jwtInfo) readClaims(claims map[string]json.RawMessage) {
	str := func(k string) string {
		var v string
		if raw, ok := claims[k]; ok && json.Unmarshal(raw, &v) == nil {
			return v
		}
		return ""
	}
	j.iss, j.sub, j.grantType = str("iss"), str("sub"), str("grant_type")
	j.aud = stringOrList(claims["aud"])
	if raw, ok := claims["exp"]; ok {
		var exp float64
		// NumericDate: an int or a float; nonsense is ignored.
		if json.Unmarshal(raw, &exp) == nil && exp > 0 && exp < 253402300800 {
			sec, frac := math.Modf(exp)
			j.expiresAt = time.Unix(int64(sec), int64(frac*1e9)).UTC()
		}
	}
	_, j.kube = claims["kubernetes.io"]
	_, j.dockerHub = claims["https://hub.docker.com"]

	// Scope: access, then scope, scp, permissions.
	if raw, ok := claims["access"]; ok {
		var access []struct {
			Type    string   `json:"type"`
			Name    string   `json:"name"`
			Actions []string `json:"actions"`
		}
		if json.Unmarshal(raw, &access) == nil {
			j.hasAccess = true
			for _, a := range access {
				j.scope = append(j.scope, a.Type+":"+a.Name+":"+strings.Join(a.Actions, ","))
			}
		}
	}
	if len(j.scope) == 0 {
		j.scope = stringOrList(claims["scope"])
	}
	scp := stringOrList(claims["scp"])
	for _, s := range scp {
		if strings.HasPrefix(s, "applied-permissions/") {
			j.jfrogScp = true
		}
	}
	if len(j.scope) == 0 {
		j.scope = scp
	}
	if raw, ok := claims["permissions"]; ok && len(j.scope) == 0 {
		var perms struct {
			Actions    []string `json:"actions"`
			NotActions []string `json:"notActions"`
		}
		if json.Unmarshal(raw, &perms) == nil {
			j.scope = append(j.scope, perms.Actions...)
			for _, a := range perms.NotActions {
				j.scope = append(j.scope, "not:"+a)
			}
		}
	}
}

// stringOrList reads a space-delimited string or an array of strings.
func stringOrList(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.Fields(s)
	}
	var l []string
	if json.Unmarshal(raw, &l) == nil {
		return l
	}
	return nil
}

// provider names the issuer from the claims, falling back to the
// registry host; kind says what sort of token it is.
func (j *jwtInfo) provider(host, username string) (provider, kind string) {
	hasAud := func(a string) bool {
		for _, v := range j.aud {
			if v == a {
				return true
			}
		}
		return false
	}
	switch {
	case j.iss == "Azure Container Registry":
		switch j.grantType {
		case "refresh_token":
			return ProviderAzureACR, "refresh token"
		case "access_token":
			return ProviderAzureACR, "access token"
		}
		return ProviderAzureACR, "registry token"
	case j.iss == "https://login.docker.com/" || j.dockerHub:
		return ProviderDocker, "oauth access token"
	case strings.HasPrefix(j.sub, "jfac@") || j.jfrogScp:
		return ProviderJFrog, "access token"
	case j.iss == "https://iam.cloud.ibm.com/identity":
		return ProviderIBM, "iam bearer token"
	case hasAud("gitlab-authz-token") || strings.HasPrefix(j.sub, "gid://gitlab/Ci::Build/"):
		return ProviderGitLab, "job token"
	case j.iss == "kubernetes/serviceaccount" || j.kube || strings.HasPrefix(j.iss, "https://kubernetes.default.svc"):
		return "kubernetes", "service account token"
	case strings.HasPrefix(j.iss, "https://sts.windows.net/") || strings.HasPrefix(j.iss, "https://login.microsoftonline.com/"):
		return ProviderAzureEntra, "access token"
	case j.iss == "https://accounts.google.com":
		return ProviderGoogle, "id token"
	case isRedHatServiceAccount(username):
		return ProviderRedHat, "registry service account token"
	case j.hasAccess:
		return providerForHost(host), "registry token"
	}
	return "", ""
}

// isRedHatServiceAccount matches "<digits>|<name>".
func isRedHatServiceAccount(username string) bool {
	d, name, ok := strings.Cut(username, "|")
	return ok && d != "" && name != "" && allIn(d, clsDigit)
}

func classifyJWT(host, username, s string) Classification {
	var j jwtInfo
	if !parseJWT(s, &j) {
		return invalid(providerForHost(host), "this looks like a JWT but it does not decode: copy it again")
	}
	provider, kind := j.provider(host, username)
	conf := ConfidenceClaims
	if provider == "" {
		provider = providerForHost(host)
		conf = ConfidenceStructure
	}
	if kind == "" {
		kind = "jwt"
	}
	label := "a JWT"
	if conf == ConfidenceClaims {
		label = "a JWT (" + kind + ")"
	}
	return Classification{
		Class:      ClassToken,
		Provider:   provider,
		Kind:       kind,
		Confidence: conf,
		ExpiresAt:  j.expiresAt,
		Scope:      j.scope,
		Reason:     recognised(label, conf),
	}
}
