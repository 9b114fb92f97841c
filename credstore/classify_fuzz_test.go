package credstore

import (
	"encoding/base64"
	"hash/crc32"
	"strconv"
	"strings"
	"testing"
	"time"
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
	f.Add(HubRefreshTokenKey, "alice", "abc.."+dockerOAuthClientID)
	f.Add("quay.io", "$oauthtoken", randFrom(r, upperDig, 40))
	f.Add("harbor.example.com", "robot$ci", "aA1"+randFrom(r, alnum, 29))
	f.Add("myreg.azurecr.io", "<token>", "x")

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
				for _, line := range append([]string{re.Message}, re.Hints...) {
					if strings.Contains(line, secret) {
						t.Fatalf("refusal line %q contains the secret", line)
					}
				}
			}
		}
	})
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
