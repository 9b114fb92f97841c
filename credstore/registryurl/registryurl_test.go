package registryurl

import (
	"errors"
	"strings"
	"testing"
)

func TestCanonical(t *testing.T) {
	same := map[string][]string{
		HubKey: {
			"https://index.docker.io/v1/", "https://index.docker.io/v1", "index.docker.io",
			"docker.io", "registry-1.docker.io", "https://registry-1.docker.io/v2/",
			"http://docker.io/", "INDEX.DOCKER.IO", "https://index.docker.io", "docker.io/v2",
			"registry.hub.docker.com", "registry-1.docker.io:443", "index.docker.io:443",
			"docker.io:443", "https://registry-1.docker.io:443/v2/", "INDEX.docker.io:443/v1/",
		},
		HubAccessTokenKey:  {"https://index.docker.io/v1/access-token", "index.docker.io/v1/access-token/"},
		HubRefreshTokenKey: {"https://index.docker.io/v1/refresh-token", "docker.io/v1/refresh-token"},
		"ghcr.io":          {"ghcr.io", "https://ghcr.io", "https://ghcr.io/", "GHCR.io", "http://ghcr.io/v2/", "ghcr.io/v1"},
		"localhost:5000":   {"localhost:5000", "http://localhost:5000/", "https://LOCALHOST:5000/v2/"},
		"localhost":        {"localhost", "http://localhost/"},
		"localhost:5001":   {"localhost:5001"},
		"[::1]:5000":       {"[::1]:5000", "http://[0:0:0:0:0:0:0:1]:5000/"},
		"127.0.0.1:8443":   {"127.0.0.1:8443", "https://127.0.0.1:8443"},
		"quay.io/org/team": {"quay.io/org/team", "https://quay.io/org/team/"},
		"my_reg.local":     {"my_reg.local"},
	}
	for want, inputs := range same {
		for _, in := range inputs {
			got, err := Canonical(in)
			if err != nil || got != want {
				t.Errorf("Canonical(%q) = %q, %v; want %q", in, got, err, want)
			}
		}
	}
}

func TestCanonicalPortsMatter(t *testing.T) {
	keys := map[string]bool{}
	for _, in := range []string{"localhost", "localhost:5000", "localhost:5001", "localhost:443", HubKey, HubAccessTokenKey, HubRefreshTokenKey} {
		k, err := Canonical(in)
		if err != nil {
			t.Fatal(err)
		}
		if keys[k] {
			t.Errorf("%q collides with another key as %q", in, k)
		}
		keys[k] = true
	}
}

func TestCanonicalRefuses(t *testing.T) {
	for _, in := range []string{
		"", "ftp://ghcr.io", "unix:///var/run/docker.sock", "file:/etc/passwd", "ghcr.io\n",
		"ghcr.io\x00evil", "ghcr .io", "https://", "https:///v2/", "user:pass@ghcr.io",
		"https://ghcr.io?x=1", "https://ghcr.io#frag", "ghcr.io:0", "ghcr.io:65536", "ghcr.io:-1",
		"ghcr.io:abc", "docker.io:5000", "index.docker.io:80", "registry-1.docker.io:8443/x", "::1", "[::1", "[1.2.3.4]", "-bad.example", "a..b", "ghcr.io/../x",
		"ghcr.io//x", "ghcr.io\\x", "\xff\xfe", strings.Repeat("a", 3000), "ghcr.io:+80",
	} {
		if k, err := Canonical(in); err == nil {
			t.Errorf("Canonical(%q) = %q, want an error", in, k)
		} else if !errors.Is(err, ErrInvalidServerURL) {
			t.Errorf("Canonical(%q) error %v is not ErrInvalidServerURL", in, err)
		} else if len(in) > 6 && strings.Contains(err.Error(), in) {
			t.Errorf("error for %q echoes the input: %v", in, err)
		}
	}
}

func TestHost(t *testing.T) {
	for in, want := range map[string]string{
		"https://index.docker.io/v1/": "index.docker.io", "docker.io": "index.docker.io",
		"https://index.docker.io/v1/access-token": "index.docker.io",
		"https://GHCR.io/v2/":                     "ghcr.io", "localhost:5000/x": "localhost:5000",
		"registry-1.docker.io:443": HubHost,
	} {
		if got, err := Host(in); err != nil || got != want {
			t.Errorf("Host(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// FuzzCanonical checks the canonicaliser's properties: it never panics, a
// key is its own canonical form (idempotent), a key never holds a byte that
// cannot travel on docker's get line, and scheme or trailing slash never
// change the answer.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"docker.io", "https://index.docker.io/v1/", "registry-1.docker.io:443", "localhost:5000", "[::1]:80/x", "ghcr.io/a/b/", "http://A.b:1/v2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := Canonical(s)
		if err != nil {
			return
		}
		k2, err := Canonical(k)
		if err != nil || k2 != k {
			t.Fatalf("Canonical(%q) = %q, but Canonical(%q) = %q, %v", s, k, k, k2, err)
		}
		if strings.ContainsAny(k, " \t\r\n\x00") {
			t.Fatalf("key %q has whitespace or NUL", k)
		}
		if h, err := Host(s); err == nil && (h == HubHost) != IsDockerHub(s) {
			t.Fatalf("Host(%q) = %q but IsDockerHub = %v", s, h, IsDockerHub(s))
		}
		if (k == HubHost || strings.HasPrefix(k, HubHost+"/")) && !IsDockerHub(s) {
			t.Fatalf("Canonical(%q) = %q, a Docker Hub key, but IsDockerHub is false", s, k)
		}
		if !strings.Contains(s, "://") {
			for _, v := range []string{"https://" + s, "http://" + s, s + "/"} {
				if kv, err := Canonical(v); err != nil || kv != k {
					t.Fatalf("Canonical(%q) = %q, %v; want %q like %q", v, kv, err, k, s)
				}
			}
		}
	})
}
