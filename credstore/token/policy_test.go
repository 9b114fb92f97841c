package token

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/internal/statefile"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func writePolicy(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, PolicyFile), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func refusal(t *testing.T, err error) *RefusalError {
	t.Helper()
	var re *RefusalError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *RefusalError", err, err)
	}
	return re
}

func TestLoadPolicy(t *testing.T) {
	p, err := LoadPolicy(t.TempDir())
	if err != nil || p == nil || len(p.OpaqueTokenRegistries) != 0 {
		t.Fatalf("missing file: %v, %+v", err, p)
	}
	dir := writePolicy(t, `{"version": 7, "opaqueTokenRegistries": [
		{"registry": "https://Harbor.Example.com/", "provider": "harbor", "note": "robot tokens", "extra": true},
		{"registry": "nexus.example.com:8443"}]}`)
	p, err = LoadPolicy(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := p.allows("harbor.example.com"); !ok || r.Provider != "harbor" {
		t.Errorf("harbor allowance: %+v %v", r, ok)
	}
	if r, ok := p.allows("nexus.example.com:8443"); !ok || r.Provider != "unknown" {
		t.Errorf("nexus allowance: %+v %v", r, ok)
	}
	if _, ok := p.allows("nexus.example.com"); ok {
		t.Error("a port is part of the registry")
	}
	for name, content := range map[string]string{
		"not-json":   `{"opaqueTokenRegistries": [`,
		"wrong-type": `{"opaqueTokenRegistries": {"registry": "x"}}`,
		"empty":      `{"opaqueTokenRegistries": [{"provider": "harbor"}]}`,
		"bad-host":   `{"opaqueTokenRegistries": [{"registry": "ftp://x"}]}`,
		"docker-hub": `{"opaqueTokenRegistries": [{"registry": "docker.io"}]}`,
		"hub-port":   `{"opaqueTokenRegistries": [{"registry": "registry-1.docker.io:443"}]}`,
		"hub-port2":  `{"opaqueTokenRegistries": [{"registry": "https://index.docker.io:443/v1/"}]}`,
		"hub-bad":    `{"opaqueTokenRegistries": [{"registry": "docker.io:5000"}]}`,
		"duplicate":  `{"opaqueTokenRegistries": [{"registry": "a.example"}, {"registry": "https://A.example/"}]}`,
	} {
		dir := writePolicy(t, content)
		_, err := LoadPolicy(dir)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, PolicyFile)) {
			t.Errorf("%s: error %v does not name the file", name, err)
		}
	}
}

func TestCheckPolicyAllowance(t *testing.T) {
	r := newRand(t)
	p, err := LoadPolicy(writePolicy(t, `{"opaqueTokenRegistries": [{"registry": "harbor.example.com", "provider": "harbor", "note": "robot tokens"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	opaque := randFrom(r, alnum, 32)
	c, s, err := p.Check("https://harbor.example.com", "ci", NewSecret(opaque), now)
	if err != nil {
		t.Fatalf("allowed opaque token refused: %v", err)
	}
	if c.Class != ClassToken || c.Provider != "harbor" || c.Kind != "opaque token" || c.Confidence != "context" || s.Reveal() != opaque {
		t.Errorf("got %+v", c)
	}
	// Elsewhere the same secret is a password.
	if _, _, err := p.Check("other.example.com", "ci", NewSecret(opaque), now); !errors.Is(err, ErrPassword) {
		t.Errorf("other registry: %v", err)
	}
	// A known format that fails validation stays invalid.
	bad := flip(genGitHub(r, "ghp_", 36), 39, alnum)
	if _, _, err := p.Check("harbor.example.com", "ci", NewSecret(bad), now); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("mangled token on an allowed registry: %v", err)
	}
	// A Policy built in code works too, but never for Docker Hub.
	lit := &Policy{OpaqueTokenRegistries: []OpaqueTokenRegistry{{Registry: "https://nexus.example.com/"}, {Registry: "docker.io"}, {Registry: "registry-1.docker.io:443"}}}
	if c, _, err := lit.Check("nexus.example.com", "ci", NewSecret(opaque), now); err != nil || c.Provider != "unknown" {
		t.Errorf("literal policy: %v %+v", err, c)
	}
	for _, h := range []string{hub, "registry-1.docker.io:443", "index.docker.io:443"} {
		if _, _, err := lit.Check(h, "ci", NewSecret(opaque), now); !errors.Is(err, ErrPassword) {
			t.Errorf("literal policy allowed Docker Hub as %s: %v", h, err)
		}
	}
	// A nil policy allows nothing.
	var none *Policy
	if _, _, err := none.Check("harbor.example.com", "ci", NewSecret(opaque), now); !errors.Is(err, ErrPassword) {
		t.Errorf("nil policy: %v", err)
	}
}

func TestCheckRefusals(t *testing.T) {
	r := newRand(t)
	p := &Policy{}

	_, s, err := p.Check(hub, "alice", NewSecret("hunter2"), now)
	re := refusal(t, err)
	if !errors.Is(err, ErrPassword) || errors.Is(err, ErrInvalidToken) || errors.Is(err, ErrExpired) {
		t.Errorf("errors.Is mapping wrong for %v", err)
	}
	if want := "refusing to store a password for index.docker.io: create a personal access token and log in with it"; re.Message != want || err.Error() != want {
		t.Errorf("message = %q", re.Message)
	}
	if re.Registry != "index.docker.io" || re.Class != ClassPassword || !s.IsZero() {
		t.Errorf("refusal %+v, secret returned %v", re, !s.IsZero())
	}
	hints := strings.Join(re.Fixes, "\n")
	for _, want := range []string{"Account settings > Personal access tokens", "https://app.docker.com/settings/personal-access-tokens", "docker login -u alice --password-stdin\n"} {
		if !strings.Contains(hints+"\n", want) {
			t.Errorf("hints lack %q:\n%s", want, hints)
		}
	}
	if strings.Contains(hints, "policy.json") {
		t.Error("Docker Hub hints offer the opaque-token allowance")
	}

	_, _, err = p.Check(ghcr, "alice", NewSecret("Tr0ub4dor&3"), now)
	re = refusal(t, err)
	if !strings.HasPrefix(re.Message, "refusing to store a password for ghcr.io: create a personal access token") ||
		!strings.Contains(strings.Join(re.Fixes, "\n"), "https://github.com/settings/tokens") ||
		!strings.Contains(strings.Join(re.Fixes, "\n"), "--password-stdin ghcr.io") {
		t.Errorf("ghcr refusal: %q %q", re.Message, re.Fixes)
	}

	_, _, err = p.Check(private, "robot", NewSecret("aA1"+randFrom(r, alnum, 29)), now)
	re = refusal(t, err)
	hints = strings.Join(re.Fixes, "\n")
	if !strings.Contains(hints, "single quotes") || !strings.Contains(hints, `"registry": "registry.example.com:5000"`) {
		t.Errorf("private registry hints lack the $ note or the allowance:\n%s", hints)
	}

	bad := flip(genGitHub(r, "ghp_", 36), 39, alnum)
	_, _, err = p.Check(ghcr, "alice", NewSecret(bad), now)
	re = refusal(t, err)
	if !errors.Is(err, ErrInvalidToken) || re.Message != "refusing to store the secret for ghcr.io: this looks like a GitHub personal access token but its checksum is wrong: copy it again" {
		t.Errorf("invalid: %v / %q", err, re.Message)
	}

	expired := genJWT(r, map[string]any{"exp": now.Add(-time.Hour).Unix(), "access": []map[string]any{}})
	_, _, err = p.Check(private, "alice", NewSecret(expired), now)
	re = refusal(t, err)
	if !errors.Is(err, ErrExpired) || re.Message != "refusing to store a token for registry.example.com:5000: token expired at 2026-01-02T02:04:05Z" {
		t.Errorf("expired: %v / %q", err, re.Message)
	}
	ecr := genECR(r, now.Unix())
	if _, _, err := p.Check("123456789012.dkr.ecr.us-east-1.amazonaws.com", "AWS", NewSecret(ecr), now); !errors.Is(err, ErrExpired) {
		t.Errorf("ECR token expiring now: %v", err)
	}
	if c, _, err := p.Check("123456789012.dkr.ecr.us-east-1.amazonaws.com", "AWS", NewSecret(ecr), now.Add(-time.Second)); err != nil || c.ExpiresAt.Unix() != now.Unix() {
		t.Errorf("ECR token a second before expiry: %v %v", err, c.ExpiresAt)
	}

	if _, _, err := p.Check("ftp://x", "alice", NewSecret("hunter2"), now); !errors.Is(err, registryurl.ErrInvalidServerURL) {
		t.Errorf("bad server URL: %v", err)
	}
}

func TestCheckHints(t *testing.T) {
	r := newRand(t)
	p := &Policy{}
	// A Harbor robot whose secret misses a digit: the username is quoted.
	_, _, err := p.Check("harbor.example.com", "robot$ci", NewSecret("abcdefghABCDEFGH"), now)
	re := refusal(t, err)
	hints := strings.Join(re.Fixes, "\n")
	if !errors.Is(err, ErrInvalidToken) || !strings.Contains(hints, "docker login -u 'robot$ci' --password-stdin harbor.example.com") ||
		!strings.Contains(hints, "single quotes") || !strings.Contains(hints, "Harbor") {
		t.Errorf("robot$ refusal: %v\n%s", err, hints)
	}
	// GitLab: tokens are created on the web host, not the registry host.
	_, _, err = p.Check("registry.gitlab.com", "alice", NewSecret("Tr0ub4dor&3"), now)
	if hints := strings.Join(refusal(t, err).Fixes, "\n"); !strings.Contains(hints, "https://gitlab.com/-/user_settings/personal_access_tokens") {
		t.Errorf("gitlab hints: %s", hints)
	}
	// A username with a control byte is never echoed.
	_, _, err = p.Check(hub, "al\x1b[31mice", NewSecret("hunter2"), now)
	re = refusal(t, err)
	if hints := strings.Join(re.Fixes, "\n"); strings.Contains(hints, "\x1b") || !strings.Contains(hints, "-u NAME") {
		t.Errorf("control bytes echoed: %q", hints)
	}
	// An expired identity token is refused as expired.
	jwt := genJWT(r, map[string]any{"iss": "Azure Container Registry", "exp": now.Unix() - 1})
	if _, _, err := p.Check("myreg.azurecr.io", "<token>", NewSecret(jwt), now); !errors.Is(err, ErrExpired) {
		t.Errorf("expired identity token: %v", err)
	}
	// A legacy Docker Hub token is kept, with advice to rotate it.
	c, _, err := p.Check(hub, "alice", NewSecret(uuid(r)), now)
	if err != nil || c.Kind != "legacy access token" || !strings.Contains(c.Reason, "rotate") {
		t.Errorf("legacy Hub token: %v %+v", err, c)
	}
}

func TestCheckTrimsOneNewline(t *testing.T) {
	r := newRand(t)
	pat := "dckr_pat_" + randFrom(r, urlSafe, 27)
	p := &Policy{}
	for _, suffix := range []string{"", "\n", "\r\n"} {
		c, s, err := p.Check(hub, "alice", NewSecret(pat+suffix), now)
		if err != nil || s.Reveal() != pat || c.Class != ClassToken {
			t.Errorf("suffix %q: %v, stored %d bytes", suffix, err, s.Len())
		}
		if (suffix != "") != strings.Contains(c.Reason, "trailing newline was removed") {
			t.Errorf("suffix %q: reason %q", suffix, c.Reason)
		}
	}
	if _, _, err := p.Check(hub, "alice", NewSecret(pat+"\n\n"), now); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("two newlines: %v", err)
	}
}

// TestRefusalsNeverContainTheSecret: no Message or Hint holds six or more
// consecutive bytes of the secret, for passwords of every style and for
// mangled tokens of every format.
func TestRefusalsNeverContainTheSecret(t *testing.T) {
	r := newRand(t)
	var secrets []string
	for _, pw := range passwordStyles(r) {
		if !strings.Contains(strings.ToLower(pw), "password") { // the message says "password"
			secrets = append(secrets, pw)
		}
	}
	secrets = append(secrets,
		flip(genGitHub(r, "ghp_", 36), 39, alnum)[4:],
		"dckr_pat_"+randFrom(r, urlSafe, 26),
		flip(genGitLabRoutable(r, "glpat-", "o:1", "01"), 8, alnum),
		flip(genACR(r), 49, alnum),
		"nvapi-"+randFrom(r, urlSafe, 63),
		genJWT(r, map[string]any{"exp": 1}),
		"eyJhbGciOiJIUzI1NiJ9."+randFrom(r, urlSafe, 40)+".!!",
	)
	servers := []string{hub, ghcr, private, "myreg.azurecr.io", "quay.io", "gitlab.example.com"}
	users := []string{"alice", "robot", "AWS", "$oauthtoken", "iamapikey"}
	p := &Policy{path: "/home/alice/.config/docker-credential-pat/policy.json"}
	n := 0
	for _, s := range secrets {
		for _, server := range servers {
			for _, user := range users {
				_, _, err := p.Check(server, user, NewSecret(s), now)
				if err == nil {
					continue
				}
				re := refusal(t, err)
				n++
				assertNoLeak(t, s, append([]string{re.Message, err.Error()}, re.Fixes...)...)
			}
		}
	}
	if n < len(secrets)*len(servers) {
		t.Fatalf("only %d refusals checked", n)
	}
}

// A policy file larger than any policy (a sparse 1 GB file here) is
// refused without being read, naming the file and the fix.
func TestLoadPolicyRefusesHugeFile(t *testing.T) {
	dir := writePolicy(t, `{"opaqueTokenRegistries": []}`)
	path := filepath.Join(dir, PolicyFile)
	if err := os.Truncate(path, 1<<30); err != nil {
		t.Fatal(err)
	}
	_, err := LoadPolicy(dir)
	if !errors.Is(err, statefile.ErrTooLarge) || strings.Count(err.Error(), path) != 1 {
		t.Fatalf("LoadPolicy of a 1 GB file = %v", err)
	}
}
