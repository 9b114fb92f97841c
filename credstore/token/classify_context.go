package token

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// classifyECR: an Amazon ECR authorization token's password half is the
// base64 of a JSON object with payload, datakey, version, type and
// expiration (epoch seconds). ok is false for base64 JSON that is not one.
func classifyECR(s string) (Classification, bool) {
	const label = "an Amazon ECR authorization token"
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		return Classification{}, false
	}
	var p struct {
		Payload    *string  `json:"payload"`
		DataKey    *string  `json:"datakey"`
		Version    *string  `json:"version"`
		Type       *string  `json:"type"`
		Expiration *float64 `json:"expiration"`
	}
	if json.Unmarshal(b, &p) != nil || p.Payload == nil || p.DataKey == nil {
		return Classification{}, false
	}
	if p.Version == nil || p.Type == nil || p.Expiration == nil || *p.Payload == "" || *p.DataKey == "" {
		return invalidFormat(ProviderAWSECR, label, problemStructure), true
	}
	c := token(ProviderAWSECR, "authorization token", ConfidenceStructure, recognised(label, ConfidenceStructure))
	if e := *p.Expiration; e > 0 && e < 253402300800 {
		c.ExpiresAt = time.Unix(int64(e), 0).UTC()
	}
	return c, true
}

// A usernameRule says which secrets go with a username that only ever
// goes with tokens.
type usernameRule struct {
	match func(username, host string) bool
	// accept returns the classification for a secret that fits; ok false
	// means it does not fit.
	accept func(host, s string) (Classification, bool)
	// expects completes "the username X goes with ...".
	expects  string
	provider string
	// weakOff, when set, is the only provider whose hosts make a misfit
	// invalid; elsewhere the username is not evidence.
	weakOff string
	// on, when set, lists the providers whose hosts the rule is true on
	// (see mayRun): elsewhere the username is not evidence, and a secret
	// that fits its shape is judged like any other.
	on []string
}

func userIs(names ...string) func(string, string) bool {
	return func(u, _ string) bool {
		for _, n := range names {
			if u == n {
				return true
			}
		}
		return false
	}
}

func userOnHost(name string, hostOK func(string) bool) func(string, string) bool {
	return func(u, h string) bool { return u == name && hostOK(hostName(h)) }
}

func hostName(host string) string {
	name, _, _ := strings.Cut(host, ":")
	return name
}

func none(string, string) (Classification, bool) { return Classification{}, false }

var usernameRules = []usernameRule{
	{match: userIs("AWS"), accept: none, provider: ProviderAWSECR,
		expects: "an Amazon ECR authorization token (aws ecr get-login-password)"},
	{match: userIs("oauth2accesstoken", "_dcgcloud_token"), accept: none, provider: ProviderGoogle,
		expects: "a Google OAuth access token (ya29.…)"},
	{match: userIs("_json_key"), accept: acceptGoogleKeyJSON, provider: ProviderGoogle,
		expects: "a Google service-account key file (JSON)"},
	{match: userIs("_json_key_base64"), accept: acceptGoogleKeyBase64, provider: ProviderGoogle,
		expects: "a base64-encoded Google service-account key file"},
	{match: userIs("00000000-0000-0000-0000-000000000000"), accept: none, provider: ProviderAzureACR,
		expects: "an Azure Container Registry token (a JWT from az acr login --expose-token)"},
	{match: userIs("$oauthtoken"), accept: acceptOAuthToken, provider: "", on: []string{ProviderQuay, ProviderNVIDIA},
		expects: "a Quay OAuth token or an NVIDIA NGC API key"},
	{match: userIs("$app"), accept: fixed(120, clsUpperDigit, ProviderQuay, "application token", "a Quay application token"),
		provider: ProviderQuay, on: []string{ProviderQuay}, expects: "a Quay application token (120 upper-case letters and digits)"},
	{match: userIs("$token"), accept: fixed(64, clsUpperDigit, ProviderQuay, "access token", "a Quay access token"),
		provider: ProviderQuay, on: []string{ProviderQuay}, expects: "a Quay access token (64 upper-case letters and digits)"},
	{match: func(u, _ string) bool { return strings.HasPrefix(u, "robot$") && len(u) > len("robot$") }, accept: acceptHarborRobot,
		provider: ProviderHarbor, on: []string{ProviderHarbor}, expects: "a Harbor robot secret (8 to 128 characters with upper case, lower case and digits)"},
	{match: userIs("iamapikey"), accept: fixed(44, clsURLSafe, ProviderIBM, "api key", "an IBM Cloud API key"),
		provider: ProviderIBM, on: []string{ProviderIBM}, expects: "an IBM Cloud API key (44 characters)"},
	{match: userIs("iambearer"), accept: none, provider: ProviderIBM, expects: "an IBM Cloud IAM bearer token (a JWT)"},
	{match: userIs("iamrefresh"), accept: acceptOpaque(ProviderIBM, "refresh token", "an IBM Cloud IAM refresh token"),
		provider: ProviderIBM, on: []string{ProviderIBM}, expects: "an IBM Cloud IAM refresh token"},
	{match: userIs("gitlab-ci-token"), accept: fixed(20, clsURLSafe, ProviderGitLab, "job token", "a legacy GitLab CI/CD job token"),
		provider: ProviderGitLab, on: []string{ProviderGitLab}, expects: "a GitLab CI/CD job token (glcbt-…, $CI_JOB_TOKEN)"},
	{match: isGitLabDeployUser, accept: fixed(20, clsURLSafe, ProviderGitLab, "deploy token", "a legacy GitLab deploy token"),
		provider: ProviderGitLab, on: []string{ProviderGitLab}, expects: "a GitLab deploy token (gldt-…)"},
	{match: userOnHost("nologin", func(h string) bool { return strings.HasSuffix(h, ".scw.cloud") }), accept: acceptScaleway,
		provider: ProviderScaleway, expects: "a Scaleway API secret key (a UUID)"},
	{match: func(u, h string) bool {
		return (u == "cr_temp_user" || u == "temp_user_cr") && strings.HasSuffix(hostName(h), ".aliyuncs.com")
	}, accept: acceptOpaque(ProviderAlibaba, "temporary token", "an Alibaba Cloud ACR temporary token"),
		provider: ProviderAlibaba, expects: "an Alibaba Cloud ACR temporary token"},
	{match: userOnHost("_", func(h string) bool { return h == "registry.heroku.com" }), accept: acceptHerokuLegacy,
		provider: ProviderHeroku, expects: "a Heroku API key (HRKU-AA…)"},
	{match: userOnHost("x", func(h string) bool { return h == "registry.fly.io" }), accept: none,
		provider: ProviderFlyio, expects: "a Fly.io token (FlyV1 fm2_…, from fly auth token)"},
	{match: func(u, h string) bool { return isRedHatServiceAccount(u) && providerForHost(h) == ProviderRedHat }, accept: none,
		provider: ProviderRedHat, expects: "a Red Hat registry service-account token (a JWT)"},
	{match: isQuayRobot, accept: fixed(64, clsUpperDigit, ProviderQuay, "robot token", "a Quay robot token"),
		provider: ProviderQuay, weakOff: ProviderQuay, on: []string{ProviderQuay}, expects: "a Quay robot token (64 upper-case letters and digits)"},
}

// classifyByUsername applies usernameRules. ok is false when no rule is
// about this username.
func classifyByUsername(host, username, s string) (Classification, bool) {
	for i := range usernameRules {
		r := &usernameRules[i]
		if !r.match(username, host) || !ruleHolds(r.on, host) {
			continue
		}
		if c, ok := r.accept(host, s); ok {
			return c, true
		}
		if r.weakOff != "" && providerForHost(host) != r.weakOff {
			continue
		}
		return invalid(r.provider, "the username "+quoteUser(username)+" goes with "+r.expects+", and this secret is not one"), true
	}
	return Classification{}, false
}

// ruleHolds reports whether one of the providers on may run host; an
// empty on holds everywhere.
func ruleHolds(on []string, host string) bool {
	if len(on) == 0 {
		return true
	}
	for _, id := range on {
		if mayRun(id, host) {
			return true
		}
	}
	return false
}

// quoteUser renders a username for a message. Usernames are not secret,
// but one with spaces, control bytes or non-ASCII (terminal escapes) or a
// very long one is not repeated.
func quoteUser(u string) string {
	if !printableUser(u) {
		return "given"
	}
	return u
}

// printableUser: 1 to 64 visible ASCII characters.
func printableUser(u string) bool {
	if u == "" || len(u) > 64 {
		return false
	}
	for i := 0; i < len(u); i++ {
		if u[i] <= ' ' || u[i] >= 0x7f {
			return false
		}
	}
	return true
}

func fixed(n int, class uint16, provider, kind, label string) func(string, string) (Classification, bool) {
	return func(_, s string) (Classification, bool) {
		if len(s) != n || !allIn(s, class) {
			return Classification{}, false
		}
		return token(provider, kind, ConfidenceContext, recognised(label, ConfidenceContext)), true
	}
}

// acceptOpaque takes any single-line secret of token-like length: the
// username says what it is and the endpoint takes nothing else.
func acceptOpaque(provider, kind, label string) func(string, string) (Classification, bool) {
	return func(_, s string) (Classification, bool) {
		if len(s) < 16 || strings.ContainsAny(s, " \t\r\n") {
			return Classification{}, false
		}
		return token(provider, kind, ConfidenceContext, recognised(label, ConfidenceContext)), true
	}
}

func acceptOAuthToken(host, s string) (Classification, bool) {
	if hostName(host) == "nvcr.io" {
		// Legacy NGC keys: 84 alphanumerics, or 26 alphanumerics ":" UUID.
		if (len(s) == 84 && allIn(s, clsAlnum)) ||
			(len(s) == 63 && s[26] == ':' && allIn(s[:26], clsAlnum) && isUUID(s[27:])) {
			return token(ProviderNVIDIA, "legacy api key", ConfidenceContext, recognised("a legacy NVIDIA NGC API key", ConfidenceContext)), true
		}
		return Classification{}, false
	}
	return fixed(40, clsUpperDigit, ProviderQuay, "oauth access token", "a Quay OAuth access token")(host, s)
}

// acceptHarborRobot follows goharbor/harbor IsValidSec: 8 to 128
// characters with at least one lower-case letter, upper-case letter and
// digit. Generated secrets are 32 alphanumerics.
func acceptHarborRobot(_, s string) (Classification, bool) {
	if len(s) < 8 || len(s) > 128 || !hasClasses(s, clsLower, clsUpper, clsDigit) {
		return Classification{}, false
	}
	return token(ProviderHarbor, "robot token", ConfidenceContext, recognised("a Harbor robot secret", ConfidenceContext)), true
}

func acceptScaleway(_, s string) (Classification, bool) {
	if !isUUID(s) {
		return Classification{}, false
	}
	return token(ProviderScaleway, "api secret key", ConfidenceContext, recognised("a Scaleway API secret key", ConfidenceContext)), true
}

func acceptHerokuLegacy(_, s string) (Classification, bool) {
	if !isUUID(s) {
		return Classification{}, false
	}
	return token(ProviderHeroku, "legacy api key", ConfidenceContext, recognised("a legacy Heroku API key", ConfidenceContext)), true
}

func isGitLabDeployUser(u, _ string) bool {
	if u == "gitlab-deploy-token" {
		return true
	}
	n, ok := strings.CutPrefix(u, "gitlab+deploy-token-")
	return ok && n != "" && allIn(n, clsDigit)
}

// isQuayRobot matches "<namespace>+<robot>".
func isQuayRobot(u, _ string) bool {
	ns, name, ok := strings.Cut(u, "+")
	return ok && ns != "" && name != "" && allIn(ns, clsLower|clsDigit|clsUnder|clsDot|clsDash) && allIn(name, clsLower|clsDigit|clsUnder)
}

// acceptGoogleKeyJSON: a service-account key file.
func acceptGoogleKeyJSON(_, s string) (Classification, bool) {
	return googleKey([]byte(s))
}

func acceptGoogleKeyBase64(_, s string) (Classification, bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return Classification{}, false
	}
	return googleKey(b)
}

func googleKey(b []byte) (Classification, bool) {
	var k struct {
		Type        string `json:"type"`
		PrivateKey  string `json:"private_key"`
		ClientEmail string `json:"client_email"`
	}
	if json.Unmarshal(b, &k) != nil || k.Type != "service_account" ||
		!strings.Contains(k.PrivateKey, "PRIVATE KEY") || !strings.Contains(k.ClientEmail, "@") {
		return Classification{}, false
	}
	return token(ProviderGoogle, "service account key", ConfidenceStructure, recognised("a Google Cloud key file", ConfidenceStructure)), true
}
