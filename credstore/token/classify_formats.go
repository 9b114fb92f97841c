package token

import (
	"encoding/base64"
	"strings"
)

// A prefixFormat is a token format recognised by an anchored prefix. Once
// the prefix matches, the rest must validate or the secret is invalid.
type prefixFormat struct {
	prefix   string
	provider string
	kind     string
	label    string // "a GitHub personal access token", for messages
	// check validates body (the secret after the prefix) and returns the
	// confidence, or "" and what is wrong ("length", "characters",
	// "checksum", "structure").
	// full is the whole secret, for checksums that cover a decoration.
	check func(full, body string, c *Classification) (confidence, problem string)
}

// Problems a format check reports.
const (
	problemLength     = "length"
	problemCharacters = "characters"
	problemChecksum   = "checksum"
	problemStructure  = "structure"
)

var prefixFormats = []prefixFormat{
	{"dckr_pat_", ProviderDockerHub, "personal access token", "a Docker Hub personal access token", exact(27, clsURLSafe)},
	{"dckr_oat_", ProviderDockerHub, "organization access token", "a Docker Hub organization access token", exact(32, clsURLSafe)},
	{"ghp_", ProviderGitHub, "personal access token", "a GitHub personal access token", checkGitHub},
	{"gho_", ProviderGitHub, "oauth access token", "a GitHub OAuth access token", checkGitHub},
	{"ghu_", ProviderGitHub, "app user access token", "a GitHub App user access token", checkGitHub},
	{"ghs_", ProviderGitHub, "app installation token", "a GitHub App installation token", checkGitHub},
	{"ghr_", ProviderGitHub, "refresh token", "a GitHub App refresh token", checkGitHub},
	{"github_pat_", ProviderGitHub, "fine-grained personal access token", "a GitHub fine-grained personal access token", checkGitHubFineGrained},
	{"glpat-", ProviderGitLab, "personal access token", "a GitLab personal access token", checkGitLab("glpat-")},
	{"gldt-", ProviderGitLab, "deploy token", "a GitLab deploy token", checkGitLab("gldt-")},
	{"gloas-", ProviderGitLab, "oauth application secret", "a GitLab OAuth application secret", exact(64, clsURLSafe)},
	{"glcbt-", ProviderGitLab, "job token", "a GitLab CI/CD job token", checkGitLabJob},
	{"dop_v1_", ProviderDigitalOcean, "personal access token", "a DigitalOcean personal access token", exact(64, clsHexLower)},
	{"doo_v1_", ProviderDigitalOcean, "oauth access token", "a DigitalOcean OAuth access token", exact(64, clsHexLower)},
	{"dor_v1_", ProviderDigitalOcean, "refresh token", "a DigitalOcean refresh token", exact(64, clsHexLower)},
	{"nvapi-", ProviderNVIDIA, "api key", "an NVIDIA NGC API key", exact(64, clsURLSafe)},
	{"HRKU-AA", ProviderHeroku, "api key", "a Heroku API key", exact(58, clsURLSafe)},
	{"sha256~", ProviderOpenShift, "oauth access token", "an OpenShift OAuth access token", exact(43, clsURLSafe)},
	{"FlyV1 ", ProviderFlyio, "macaroon token", "a Fly.io token", checkFly},
	{"AKCp", ProviderJFrog, "api key", "a JFrog API key", checkJFrogAPIKey},
	{"cmVmdGtu", ProviderJFrog, "reference token", "a JFrog reference token", checkJFrogReference},
	{"ya29.", ProviderGoogle, "oauth access token", "a Google OAuth access token", checkGoogle},
}

// gitlabPrefixes may follow an instance prefix on self-managed GitLab
// ("ACME-glpat-...").
var gitlabPrefixes = []string{"-glpat-", "-gldt-", "-glcbt-"}

// classifyFormat applies the anchored formats. ok is false when none of
// them claims the secret.
func classifyFormat(s string) (Classification, bool) {
	for i := range prefixFormats {
		f := &prefixFormats[i]
		if strings.HasPrefix(s, f.prefix) {
			return f.apply(s, s[len(f.prefix):], f.label), true
		}
	}
	if c, ok := classifyGitLabInstancePrefix(s); ok {
		return c, true
	}
	switch {
	case len(s) == acrKeyLen && s[42:46] == "+ACR":
		return classifyACRKey(s), true
	case len(s) >= 6 && (s[3:6] == "8Q~" || s[3:6] == "7Q~"):
		return classifyEntraSecret(s), true
	case len(s) >= 58 && s[52:58] == "JQQJ99":
		return classifyADOCask(s), true
	case len(s) == 52 && adoLegacyChecksumOK(s):
		return token(ProviderAzureDevOps, "personal access token", ConfidenceChecksum,
			"an Azure DevOps personal access token with a valid checksum"), true
	case strings.HasPrefix(s, "eyJ") && !strings.Contains(s, "."):
		return classifyECR(s)
	}
	return Classification{}, false
}

func (f *prefixFormat) apply(full, body, label string) Classification {
	c := Classification{Class: ClassToken, Provider: f.provider, Kind: f.kind}
	conf, problem := f.check(full, body, &c)
	if problem != "" {
		return invalidFormat(f.provider, label, problem)
	}
	c.Confidence = conf
	if c.Reason == "" {
		c.Reason = recognised(label, conf)
	}
	return c
}

func classifyGitLabInstancePrefix(s string) (Classification, bool) {
	for _, gp := range gitlabPrefixes {
		i := strings.Index(s, gp)
		if i < 1 || i > 20 || !allIn(s[:i], clsAlnum) {
			continue
		}
		for j := range prefixFormats {
			f := &prefixFormats[j]
			if f.prefix != gp[1:] {
				continue
			}
			return f.apply(s, s[i+len(gp):], f.label+" with an instance prefix"), true
		}
	}
	return Classification{}, false
}

// token builds an accepted classification.
func token(provider, kind, confidence, reason string) Classification {
	return Classification{Class: ClassToken, Provider: provider, Kind: kind, Confidence: confidence, Reason: reason}
}

func recognised(label, confidence string) string {
	switch confidence {
	case ConfidenceChecksum:
		return label + " with a valid checksum"
	case ConfidenceClaims:
		return label + ", named by its claims"
	case ConfidenceContext:
		return label + ", as the username or registry says"
	}
	return label + " with the expected length and characters"
}

func invalidFormat(provider, label, problem string) Classification {
	var what string
	switch problem {
	case problemLength:
		what = "its length is wrong"
	case problemCharacters:
		what = "it contains characters such a token never has"
	case problemChecksum:
		what = "its checksum is wrong"
	default:
		what = "its structure is wrong"
	}
	return invalid(provider, "this looks like "+label+" but "+what+": copy it again")
}

// exact checks a body of fixed length over one character class.
func exact(n int, class uint16) func(string, string, *Classification) (string, string) {
	return func(_, body string, _ *Classification) (string, string) {
		if len(body) != n {
			return "", problemLength
		}
		if !allIn(body, class) {
			return "", problemCharacters
		}
		return ConfidenceStructure, ""
	}
}

// checkGitHub: 30 characters of entropy and a 6-character checksum; GitHub
// may lengthen tokens (up to 255 in all), so any length in 36..251 whose
// checksum verifies is accepted.
func checkGitHub(_, body string, _ *Classification) (string, string) {
	if !allIn(body, clsAlnum) {
		return "", problemCharacters
	}
	if len(body) < 36 || len(body) > 251 {
		return "", problemLength
	}
	if !githubChecksumOK(body) {
		return "", problemChecksum
	}
	return ConfidenceChecksum, ""
}

// checkGitHubFineGrained: 22 alphanumerics, '_', 59 alphanumerics.
func checkGitHubFineGrained(_, body string, _ *Classification) (string, string) {
	if len(body) != 82 {
		return "", problemLength
	}
	if body[22] != '_' || !allIn(body[:22], clsAlnum) || !allIn(body[23:], clsAlnum) {
		return "", problemCharacters
	}
	return ConfidenceStructure, ""
}

// checkGitLab validates the legacy 20-character shape or the routable
// shape (base64url payload ".01." length CRC).
func checkGitLab(prefix string) func(string, string, *Classification) (string, string) {
	return func(full, body string, _ *Classification) (string, string) {
		if len(body) == 20 && allIn(body, clsURLSafe) {
			return ConfidenceStructure, ""
		}
		if len(body) < 27+13 || body[len(body)-13] != '.' || body[len(body)-10] != '.' {
			if !allIn(body, clsURLSafe) {
				return "", problemCharacters
			}
			return "", problemLength
		}
		return checkGitLabRoutable(full, prefix, body)
	}
}

// checkGitLabRoutable follows gitlabhq lib/authn/token_field/generator/
// routable_token.rb: prefix + base64url(16 random bytes + routing payload
// + payload length byte) + "." + version (2, base 36) + "." + base64 length
// (2, base 36) + CRC-32 of everything before it (7, base 36).
//
// With an instance prefix ("ACME-glpat-..."), the CRC may cover the
// instance prefix or not; either is accepted.
func checkGitLabRoutable(full, prefix, body string) (string, string) {
	n := len(body)
	payload, version, length, crc := body[:n-13], body[n-12:n-10], body[n-9:n-7], body[n-7:]
	if !allIn(payload, clsURLSafe) || !allIn(version, clsDigit|clsLower) ||
		!allIn(length, clsDigit|clsLower) || !allIn(crc, clsDigit|clsLower) {
		return "", problemCharacters
	}
	if l, ok := parseBase36(length); !ok || int(l) != len(payload) {
		return "", problemLength
	}
	if version != "01" {
		// A future version: the shape holds, the rest we cannot check.
		return ConfidenceStructure, ""
	}
	if !gitlabCRCOK(full) && (len(full) == len(prefix)+len(body) || !gitlabCRCOK(full[len(full)-len(prefix)-len(body):])) {
		return "", problemChecksum
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || len(raw) < 18 || int(raw[len(raw)-1]) != len(raw)-17 {
		return "", problemStructure
	}
	return ConfidenceChecksum, ""
}

// checkGitLabJob: "glcbt-" + a JWT (current), or a hex partition id, '_'
// and 20 characters (previous).
func checkGitLabJob(_, body string, c *Classification) (string, string) {
	if looksLikeJWT(body) {
		var j jwtInfo
		if !parseJWT(body, &j) {
			return "", problemStructure
		}
		c.ExpiresAt, c.Scope = j.expiresAt, j.scope
		return ConfidenceStructure, ""
	}
	i := strings.IndexByte(body, '_')
	if i < 1 || i > 5 || !allIn(body[:i], clsAlnum) {
		return "", problemStructure
	}
	if len(body)-i-1 != 20 {
		return "", problemLength
	}
	if !allIn(body[i+1:], clsURLSafe) {
		return "", problemCharacters
	}
	return ConfidenceStructure, ""
}

// checkFly: "FlyV1 " then comma-separated macaroons fm1a_, fm1r_, fm2_ or
// fo1_, each base64.
func checkFly(_, body string, _ *Classification) (string, string) {
	if len(body) < 32 {
		return "", problemLength
	}
	for part := range strings.SplitSeq(body, ",") {
		rest, ok := cutAnyPrefix(part, "fm1a_", "fm1r_", "fm2_", "fo1_")
		if !ok {
			return "", problemStructure
		}
		if len(rest) < 16 {
			return "", problemLength
		}
		for i := 0; i < len(rest); i++ {
			if charClass[rest[i]]&(clsBase64|clsDash|clsUnder) == 0 && rest[i] != '=' {
				return "", problemCharacters
			}
		}
	}
	return ConfidenceStructure, ""
}

func cutAnyPrefix(s string, prefixes ...string) (string, bool) {
	for _, p := range prefixes {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return rest, true
		}
	}
	return s, false
}

// checkJFrogAPIKey: 69 base58 characters that decode to 54 bytes (with the
// "AKCp" prefix, 73 characters in all).
func checkJFrogAPIKey(_, body string, _ *Classification) (string, string) {
	if len(body) != 69 {
		return "", problemLength
	}
	n, ok := base58DecodedLen("AKCp" + body)
	if !ok {
		return "", problemCharacters
	}
	if n != 54 {
		return "", problemStructure
	}
	return ConfidenceStructure, ""
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

var base58Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base58Alphabet); i++ {
		t[base58Alphabet[i]] = int8(i)
	}
	return t
}()

// base58DecodedLen returns the number of bytes s decodes to in Bitcoin
// base58, leading '1's counting as zero bytes.
func base58DecodedLen(s string) (int, bool) {
	var buf [128]byte // big-endian, enough for 128-byte values
	size := 0
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	for i := 0; i < len(s); i++ {
		d := base58Index[s[i]]
		if d < 0 {
			return 0, false
		}
		carry := int(d)
		for j := len(buf) - 1; j >= len(buf)-size; j-- {
			carry += 58 * int(buf[j])
			buf[j] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			if size == len(buf) {
				return 0, false
			}
			size++
			buf[len(buf)-size] = byte(carry)
			carry >>= 8
		}
	}
	return zeros + size, true
}

// checkJFrogReference: base64 of "reftkn:01:<10 digits>:<27 chars>".
func checkJFrogReference(_, body string, _ *Classification) (string, string) {
	if len(body) != 56 {
		return "", problemLength
	}
	if !allIn(body, clsAlnum) {
		return "", problemCharacters
	}
	var b [48]byte
	n, err := base64.StdEncoding.Decode(b[:], []byte("cmVmdGtu"+body))
	if err != nil || n != 48 {
		return "", problemStructure
	}
	d := b[:]
	if string(d[:10]) != "reftkn:01:" || d[20] != ':' || !allIn(string(d[10:20]), clsDigit) {
		return "", problemStructure
	}
	return ConfidenceStructure, ""
}

// checkGoogle: "ya29." then base64url characters and dots.
func checkGoogle(_, body string, _ *Classification) (string, string) {
	if len(body) < 20 || len(body) > 4096 {
		return "", problemLength
	}
	if !allIn(body, clsURLSafe|clsDot) {
		return "", problemCharacters
	}
	return ConfidenceStructure, ""
}

// classifyACRKey: an Azure Container Registry identifiable key (admin
// password or repository-scoped token password), [base64]{42} "+ACR"
// [A-D] [base64]{5}, Marvin32 checksum.
func classifyACRKey(s string) Classification {
	const label = "an Azure Container Registry key"
	if !allIn(s, clsBase64) || s[46] < 'A' || s[46] > 'D' {
		return invalidFormat(ProviderAzureACR, label, problemCharacters)
	}
	if !acrChecksumOK(s) {
		return invalidFormat(ProviderAzureACR, label, problemChecksum)
	}
	return token(ProviderAzureACR, "registry key", ConfidenceChecksum, recognised(label, ConfidenceChecksum))
}

// classifyEntraSecret: a Microsoft Entra ID client secret, 3 characters,
// "8Q~" (34 more) or "7Q~" (31 more).
func classifyEntraSecret(s string) Classification {
	const label = "a Microsoft Entra ID client secret"
	want := 40
	if s[3] == '7' {
		want = 37
	}
	if len(s) != want {
		return invalidFormat(ProviderAzureEntra, label, problemLength)
	}
	if !allIn(s, clsAlnum|clsDot|clsDash|clsUnder|clsTilde) {
		return invalidFormat(ProviderAzureEntra, label, problemCharacters)
	}
	return token(ProviderAzureEntra, "client secret", ConfidenceStructure, recognised(label, ConfidenceStructure))
}

// classifyADOCask: an Azure DevOps PAT in the annotated format,
// [A-Za-z0-9]{52} JQQJ99 [A-Za-z0-9] [A-L] [A-Za-z0-9]{12} AAAAAZDO
// [A-Za-z0-9]{4}. Its checksum has no published vector, so structure only.
func classifyADOCask(s string) Classification {
	const label = "an Azure DevOps personal access token"
	if len(s) != 84 {
		return invalidFormat(ProviderAzureDevOps, label, problemLength)
	}
	if !allIn(s, clsAlnum) || s[59] < 'A' || s[59] > 'L' || s[72:80] != "AAAAAZDO" {
		return invalidFormat(ProviderAzureDevOps, label, problemStructure)
	}
	return token(ProviderAzureDevOps, "personal access token", ConfidenceStructure, recognised(label, ConfidenceStructure))
}
