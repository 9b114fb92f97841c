package token

import (
	"encoding/base64"
	"hash/crc32"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
)

func FuzzClassify(f *testing.F) {
	r := newRand(f)
	for _, s := range []string{
		genGitHub(r, "ghp_", 36), genGitHub(r, "ghs_", 40), "github_pat_" + randFrom(r, alnum, 22) + "_" + randFrom(r, alnum, 59),
		"dckr_pat_" + randFrom(r, urlSafe, 27), "dckr_oat_" + randFrom(r, urlSafe, 32),
		genGitLabRoutable(r, "glpat-", "o:1\nu:2", "01"), "glpat-" + randFrom(r, urlSafe, 20), "gldt-" + randFrom(r, urlSafe, 20),
		"glcbt-1_" + randFrom(r, urlSafe, 20), genACR(r), genADOLegacy(r, adoUserSeed),
		genJWT(r, map[string]any{"exp": 1, "access": []map[string]any{{"type": "repository", "name": "a", "actions": []string{"pull"}}}}),
		genECR(r, 4102444800), genJFrogReference(r), "AKCp" + randFrom(r, b58, 69), "ya29." + randFrom(r, urlSafe, 40),
		"FlyV1 fm2_" + randFrom(r, alnum, 40), uuid(r), "hunter2", "correct horse battery staple", "\x00\x01secret\x02",
	} {
		f.Add(private, "alice", s)
	}
	f.Add(hub, "alice", "dckr_pat_"+randFrom(r, urlSafe, 27))
	f.Add(registryurl.HubRefreshTokenKey, "alice", "abc.."+dockerOAuthClientID)
	f.Add("quay.io", "$oauthtoken", randFrom(r, upperDig, 40))
	f.Add("harbor.example.com", "robot$ci", "aA1"+randFrom(r, alnum, 29))
	f.Add("myreg.azurecr.io", "<token>", "x")
	f.Add(hub, "robot$ci", "Summer2024")
	f.Add("ghcr.io", "iamrefresh", "CorrectHorseBattery1")
	f.Add(registryurl.HubRefreshTokenKey, "alice", "hunter2..x")

	f.Fuzz(func(t *testing.T, server, user, secret string) {
		c := Classify(server, user, NewSecret(secret))
		if c.Class < ClassPassword || c.Class > ClassInvalid {
			t.Fatalf("class %d", c.Class)
		}
		if c.Reason == "" {
			t.Fatal("empty reason")
		}
		if c.Class == ClassToken {
			revalidate(t, c, secret)
		}
		// A secret taken on the username's word alone is taken only on the
		// hosts where that username means what it says.
		if host, err := registryurl.Host(server); err == nil && c.Class == ClassToken &&
			c.Confidence == ConfidenceContext && c.Provider != ProviderDocker && !mayRun(c.Provider, host) {
			t.Fatalf("%s token (%s) accepted on %s on the username's word", c.Provider, c.Kind, host)
		}
		// Reasons and refusals are built from fixed text, the host and
		// the username. A secret with a control byte cannot be any of
		// those, so it must not show up.
		if len(secret) >= 4 && strings.ContainsFunc(secret, func(r rune) bool { return r < 0x20 }) &&
			!strings.Contains(user, secret) && !strings.Contains(server, secret) {
			if strings.Contains(c.Reason, secret) {
				t.Fatalf("reason %q contains the secret", c.Reason)
			}
			_, _, err := (&Policy{}).Check(server, user, NewSecret(secret), time.Unix(1e9, 0))
			if re, ok := err.(*RefusalError); ok {
				for _, line := range append([]string{re.Message}, re.Fixes...) {
					if strings.Contains(line, secret) {
						t.Fatalf("refusal line %q contains the secret", line)
					}
				}
			}
		}
	})
}

// formatRegexps are the anchored regular expressions of
// /work/shared/research/token-formats.md (from gitleaks, trufflehog and the
// vendors' sources), applied to accepted tokens by prefix or provider. They
// are an independent restatement of the hand-written matchers.
var formatRegexps = []struct {
	prefix, provider string
	re               *regexp.Regexp
}{
	{"dckr_pat_", "", regexp.MustCompile(`^dckr_pat_[A-Za-z0-9_-]{27}$`)},
	{"dckr_oat_", "", regexp.MustCompile(`^dckr_oat_[A-Za-z0-9_-]{32}$`)},
	{"github_pat_", "", regexp.MustCompile(`^github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}$`)},
	{"gh", "github", regexp.MustCompile(`^(gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_.*|[0-9a-f]{40})$`)},
	{"glpat-", "", regexp.MustCompile(`^glpat-([0-9A-Za-z_-]{20}|[0-9A-Za-z_-]{27,300}\.[0-9a-z]{2}\.[0-9a-z]{2}[0-9a-z]{7})$`)},
	{"gldt-", "", regexp.MustCompile(`^gldt-([0-9A-Za-z_-]{20}|[0-9A-Za-z_-]{27,300}\.[0-9a-z]{2}\.[0-9a-z]{2}[0-9a-z]{7})$`)},
	{"gloas-", "", regexp.MustCompile(`^gloas-[0-9A-Za-z_-]{64}$`)},
	{"glcbt-", "", regexp.MustCompile(`^glcbt-([0-9A-Za-z]{1,5}_[0-9A-Za-z_-]{20}|e[A-Za-z0-9_-]+=*\.[A-Za-z0-9_-]+=*\.[A-Za-z0-9_-]*=*)$`)},
	{"do", "digitalocean", regexp.MustCompile(`^do[opr]_v1_[a-f0-9]{64}$`)},
	{"nvapi-", "", regexp.MustCompile(`^nvapi-[A-Za-z0-9_-]{64}$`)},
	{"HRKU-", "", regexp.MustCompile(`^HRKU-AA[0-9A-Za-z_-]{58}$`)},
	{"sha256~", "", regexp.MustCompile(`^sha256~[A-Za-z0-9_-]{43}$`)},
	{"AKCp", "", regexp.MustCompile(`^AKCp[A-HJ-NP-Za-km-z1-9]{69}$`)},
	{"cmVmdGtu", "", regexp.MustCompile(`^cmVmdGtu[A-Za-z0-9]{56}$`)},
	{"ya29.", "", regexp.MustCompile(`^ya29\.[A-Za-z0-9._-]+$`)},
	{"", "azure-entra", regexp.MustCompile(`^([A-Za-z0-9_~.-]{3}8Q~[A-Za-z0-9_~.-]{34}|[A-Za-z0-9_~.-]{3}7Q~[A-Za-z0-9_~.-]{31})$`)},
	{"", "azure-devops", regexp.MustCompile(`^([a-z2-7]{52}|[A-Za-z0-9]{52}JQQJ99[A-Za-z0-9][A-L][A-Za-z0-9]{12}AAAAAZDO[A-Za-z0-9]{4})$`)},
	{"", "azure-acr", regexp.MustCompile(`^([A-Za-z0-9+/]{42}\+ACR[A-D][A-Za-z0-9+/]{5}|e[A-Za-z0-9_-]+=*\.[A-Za-z0-9_-]+=*\.[A-Za-z0-9_-]*=*)$`)},
}

// revalidate checks an accepted token against its own format with code
// independent of the classifier where possible.
func revalidate(t *testing.T, c Classification, s string) {
	t.Helper()
	switch {
	case c.Provider == "github" && len(s) > 4 && s[:2] == "gh" && s[3] == '_':
		body := s[4:]
		if len(body) < 36 || !allAlnum(body) || ghChecksum(body[:len(body)-6]) != body[len(body)-6:] {
			t.Fatalf("accepted a GitHub token whose checksum does not verify (%d bytes)", len(s))
		}
	case c.Provider == "dockerhub" && c.Kind == "personal access token":
		if len(s) != 36 || !strings.HasPrefix(s, "dckr_pat_") || strings.Trim(s[9:], urlSafe) != "" {
			t.Fatal("accepted a malformed Docker Hub PAT")
		}
	case c.Provider == "dockerhub" && c.Kind == "organization access token":
		if len(s) != 41 || !strings.HasPrefix(s, "dckr_oat_") || strings.Trim(s[9:], urlSafe) != "" {
			t.Fatal("accepted a malformed Docker Hub OAT")
		}
	case c.Provider == "gitlab" && c.Confidence == ConfidenceChecksum:
		i := strings.Index(s, "gl")
		if !gitlabCRCIndependent(s) && (i < 0 || !gitlabCRCIndependent(s[i:])) {
			t.Fatal("accepted a routable GitLab token whose CRC does not verify")
		}
	case c.Provider == "azure-acr" && c.Kind == "registry key":
		if len(s) != 52 || s[42:46] != "+ACR" || !acrChecksumOK(s) {
			t.Fatal("accepted a malformed ACR key")
		}
	case c.Provider == "azure-devops" && c.Confidence == ConfidenceChecksum:
		if !adoLegacyChecksumOK(s) {
			t.Fatal("accepted an Azure DevOps PAT whose checksum does not verify")
		}
	case c.Provider == "aws-ecr" && c.Kind == "authorization token":
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			if _, err := base64.RawStdEncoding.DecodeString(s); err != nil {
				t.Fatal("accepted an ECR token that is not base64")
			}
		}
	case c.Confidence == ConfidenceChecksum:
		t.Fatalf("checksum confidence for %s %s, which has no checksum", c.Provider, c.Kind)
	}
	if c.Confidence == "" {
		t.Fatal("token without confidence")
	}
	if c.Confidence == ConfidenceContext {
		return // the username or registry vouched; the shape is the rule's own
	}
	for _, f := range formatRegexps {
		if (f.prefix == "" || strings.HasPrefix(s, f.prefix)) && (f.provider == "" || f.provider == c.Provider) && !f.re.MatchString(s) {
			t.Fatalf("accepted a %s %s that fails %s", c.Provider, c.Kind, f.re)
		}
	}
}

func gitlabCRCIndependent(s string) bool {
	if len(s) < 8 {
		return false
	}
	crc := strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(s[:len(s)-7]))), 36)
	return strings.Repeat("0", 7-len(crc))+crc == s[len(s)-7:]
}

func BenchmarkClassify(b *testing.B) {
	r := newRand(b)
	cases := []struct{ name, server, user, secret string }{
		{"dockerhub-pat", hub, "alice", "dckr_pat_" + randFrom(r, urlSafe, 27)},
		{"dockerhub-password", hub, "alice", "correct horse battery staple"},
		{"github-pat", "ghcr.io", "alice", genGitHub(r, "ghp_", 36)},
		{"gitlab-routable", "registry.gitlab.com", "alice", genGitLabRoutable(r, "glpat-", "o:1\nu:2", "01")},
		{"acr-key", "myreg.azurecr.io", "myreg", genACR(r)},
		{"private-password", private, "alice", randFrom(r, alnum, 32)},
		{"jwt", private, "alice", genJWT(r, map[string]any{"exp": 4102444800, "access": []map[string]any{{"type": "repository", "name": "a/b", "actions": []string{"pull"}}}})},
		{"ecr", "123456789012.dkr.ecr.us-east-1.amazonaws.com", "AWS", genECR(r, 4102444800)},
	}
	for _, tc := range cases {
		secret := NewSecret(tc.secret)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Classify(tc.server, tc.user, secret)
			}
		})
	}
}
