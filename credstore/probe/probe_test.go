package probe

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/credstoretest"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/hint"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
)

// makeJWT builds an unsigned-looking JWT with the given claims; Probe
// never verifies the signature.
func makeJWT(t *testing.T, claims any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "ES256", "typ": "JWT", "kid": "test"}) + "." + enc(claims) + "." +
		base64.RawURLEncoding.EncodeToString([]byte("not a real signature"))
}

type access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// loopbackClient refuses redirects away from this machine.
func loopbackClient() *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if !isLoopback(req.URL.Host) || len(via) > 3 {
				return fmt.Errorf("redirect to %s refused in tests", req.URL.Host)
			}
			return nil
		},
	}
}

// tokenRegistry is a registry with a token endpoint, as distribution's
// token.md describes: /v2/ challenges, /token issues what answer returns.
type tokenRegistry struct {
	t        *testing.T
	srv      *httptest.Server
	user     string
	secret   string
	answer   func(w http.ResponseWriter, r *http.Request) // after the credentials check
	requests []string
}

func newTokenRegistry(t *testing.T, user, secret string, answer func(w http.ResponseWriter, r *http.Request)) *tokenRegistry {
	tr := &tokenRegistry{t: t, user: user, secret: secret, answer: answer}
	tr.srv = httptest.NewServer(http.HandlerFunc(tr.serve))
	t.Cleanup(tr.srv.Close)
	return tr
}

func (tr *tokenRegistry) serve(w http.ResponseWriter, r *http.Request) {
	tr.requests = append(tr.requests, r.Method+" "+r.URL.Path)
	if strings.Contains(r.URL.String(), tr.secret) {
		tr.t.Errorf("the secret is in a URL")
	}
	switch r.URL.Path {
	case "/v2/":
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+tr.srv.URL+`/token?extra=1",service="registry.test",scope="registry:catalog:*"`)
		w.WriteHeader(http.StatusUnauthorized)
	case "/token":
		q := r.URL.Query()
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				tr.t.Error(err)
			}
			q = r.PostForm
			if r.Header.Get("Authorization") != "" {
				tr.t.Error("an identity token exchange also sent Basic auth")
			}
			if q.Get("grant_type") != "refresh_token" || q.Get("refresh_token") != tr.secret {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
		} else {
			u, p, ok := r.BasicAuth()
			if !ok || u != tr.user || p != tr.secret || q.Get("account") != tr.user {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			if q.Get("extra") != "1" {
				tr.t.Error("the realm's own query was dropped")
			}
		}
		if q.Get("service") != "registry.test" {
			tr.t.Errorf("service %q", q.Get("service"))
		}
		if want := "repository:team/app:pull,push,delete"; q.Get("scope") != want {
			tr.t.Errorf("scope %q, want %q", q.Get("scope"), want)
		}
		tr.answer(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (tr *tokenRegistry) host() string { return strings.TrimPrefix(tr.srv.URL, "http://") }

func jsonAnswer(v any) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
}

func probeCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestProbeBearerGrants(t *testing.T) {
	for name, tc := range map[string]struct {
		access []access
		field  string
		want   []string
	}{
		"pull and push": {[]access{{"repository", "team/app", []string{"push", "pull"}}}, "token", []string{"pull", "push"}},
		"everything":    {[]access{{"repository", "team/app", []string{"delete", "pull", "push", "pull"}}}, "token", []string{"pull", "push", "delete"}},
		"pull only, in access_token": {[]access{
			{"repository", "team/other", []string{"push"}},
			{"registry", "catalog", []string{"*"}},
			{"repository", "team/app", []string{"pull"}},
		}, "access_token", []string{"pull"}},
		"wildcard":          {[]access{{"repository", "team/app", []string{"*"}}}, "token", []string{"*"}},
		"two access blocks": {[]access{{"repository", "team/app", []string{"pull"}}, {"repository", "team/app", []string{"push"}}}, "token", []string{"pull", "push"}},
		"nothing granted":   {[]access{}, "token", nil},
	} {
		t.Run(name, func(t *testing.T) {
			secret := credstoretest.Opaque("tok_")
			jwt := makeJWT(t, map[string]any{"iss": "test", "sub": "robot", "aud": "registry.test",
				"exp": time.Now().Add(time.Hour).Unix(), "access": tc.access})
			tr := newTokenRegistry(t, "robot", secret, jsonAnswer(map[string]any{
				tc.field: jwt, "expires_in": 300, "issued_at": time.Now().UTC().Format(time.RFC3339)}))
			res, err := Run(probeCtx(t), loopbackClient(), tr.host(), "robot", token.NewSecret(secret), "team/app")
			if err != nil {
				t.Fatal(err)
			}
			if res.Scheme != "bearer" || res.Service != "registry.test" || res.Realm != tr.srv.URL+"/token?extra=1" ||
				!res.Authenticated || res.Endpoint != tr.srv.URL || res.Registry != tr.host() || res.Repository != "team/app" {
				t.Errorf("result %+v", res)
			}
			if !reflect.DeepEqual(res.Granted, tc.want) {
				t.Errorf("granted %q, want %q", res.Granted, tc.want)
			}
			wantScope := ""
			if len(tc.want) > 0 {
				wantScope = "repository:team/app:" + strings.Join(tc.want, ",")
			}
			if res.Scope != wantScope {
				t.Errorf("scope %q, want %q", res.Scope, wantScope)
			}
		})
	}
}

func TestProbeIdentityTokenUsesOAuthRefresh(t *testing.T) {
	secret := credstoretest.Opaque("tok_identity_")
	jwt := makeJWT(t, map[string]any{"access": []access{{"repository", "team/app", []string{"pull"}}}})
	tr := newTokenRegistry(t, "", secret, jsonAnswer(map[string]any{"access_token": jwt, "expires_in": 300}))
	res, err := Run(probeCtx(t), loopbackClient(), "http://"+tr.host(), "<token>", token.NewSecret(secret), "team/app")
	if err != nil {
		t.Fatal(err)
	}
	if res.Scope != "repository:team/app:pull" {
		t.Fatalf("result %+v", res)
	}
	if got := strings.Join(tr.requests, ", "); got != "GET /v2/, POST /token" {
		t.Fatalf("requests: %s", got)
	}
}

func TestProbeOpaqueToken(t *testing.T) {
	secret := credstoretest.Opaque("tok_")
	t.Run("no scope", func(t *testing.T) {
		tr := newTokenRegistry(t, "u", secret, jsonAnswer(map[string]any{"token": "djE6b3BhcXVlLXRva2Vu"}))
		res, err := Run(probeCtx(t), loopbackClient(), tr.host(), "u", token.NewSecret(secret), "team/app")
		if !errors.Is(err, ErrScopeUnknown) {
			t.Fatalf("err = %v, want ErrScopeUnknown", err)
		}
		if !res.Authenticated || res.Scheme != "bearer" || res.Granted != nil {
			t.Errorf("result %+v", res)
		}
		if res.Asked != "repository:team/app:pull,push,delete" {
			t.Errorf("asked for %q", res.Asked)
		}
	})
	t.Run("JWT without access claim", func(t *testing.T) {
		tr := newTokenRegistry(t, "u", secret, jsonAnswer(map[string]any{"token": makeJWT(t, map[string]any{"sub": "x"})}))
		if _, err := Run(probeCtx(t), loopbackClient(), tr.host(), "u", token.NewSecret(secret), "team/app"); !errors.Is(err, ErrScopeUnknown) {
			t.Fatalf("err = %v, want ErrScopeUnknown", err)
		}
	})
	t.Run("OAuth scope answer", func(t *testing.T) {
		tr := newTokenRegistry(t, "u", secret, jsonAnswer(map[string]any{"access_token": "opaque",
			"scope": "repository:team/other:push repository:team/app:pull,push"}))
		res, err := Run(probeCtx(t), loopbackClient(), tr.host(), "u", token.NewSecret(secret), "team/app")
		if err != nil || res.Scope != "repository:team/app:pull,push" {
			t.Fatalf("result %+v, %v", res, err)
		}
	})
}

func TestProbeFailures(t *testing.T) {
	secret := credstoretest.Opaque("tok_")
	for name, tc := range map[string]struct {
		user, secret string
		answer       func(http.ResponseWriter, *http.Request)
		want         error
		wantText     string
	}{
		"wrong secret": {"u", credstoretest.Opaque("tok_other_"), nil, ErrCredentialsRejected, "HTTP 401"},
		"bad JSON": {"u", secret, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"token": "`+secret+``)
		}, nil, "not a token response"},
		"HTML": {"u", secret, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `<html>`+secret+`</html>`)
		}, nil, "not a token response"},
		"no token": {"u", secret, jsonAnswer(map[string]any{"expires_in": 60}), nil, "no token"},
		"forbidden": {"u", secret, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
		}, ErrCredentialsRejected, "HTTP 403"},
		"server error": {"u", secret, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
		}, nil, "HTTP 502"},
	} {
		t.Run(name, func(t *testing.T) {
			tr := newTokenRegistry(t, "u", secret, tc.answer)
			_, err := Run(probeCtx(t), loopbackClient(), tr.host(), tc.user, token.NewSecret(tc.secret), "team/app")
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.want, tc.wantText)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), tc.secret) {
				t.Fatal("the error quotes the secret")
			}
			if tc.want == ErrCredentialsRejected && !strings.Contains(hint.First(err), "docker login 127.0.0.1:") {
				t.Errorf("hint %q", hint.First(err))
			}
		})
	}
}

func TestProbeBasicAndNone(t *testing.T) {
	secret := credstoretest.Opaque("tok_")
	basic := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); ok && u == "u" && p == secret {
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="Registry Realm"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer basic.Close()
	host := strings.TrimPrefix(basic.URL, "http://")
	res, err := Run(probeCtx(t), loopbackClient(), host, "u", token.NewSecret(secret), "team/app")
	if err != nil || res.Scheme != "basic" || !res.Authenticated || res.Scope != "" || res.Granted != nil {
		t.Fatalf("basic: %+v, %v", res, err)
	}
	res, err = Run(probeCtx(t), loopbackClient(), host, "u", token.NewSecret(credstoretest.Opaque("tok_")), "team/app")
	if !errors.Is(err, ErrCredentialsRejected) || res.Scheme != "basic" || res.Authenticated {
		t.Fatalf("basic, wrong secret: %+v, %v", res, err)
	}

	none := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Error("credentials sent to a registry that asked for none")
		}
	}))
	defer none.Close()
	res, err = Run(probeCtx(t), loopbackClient(), none.URL, "u", token.NewSecret(secret), "team/app")
	if err != nil || res.Scheme != "none" {
		t.Fatalf("none: %+v, %v", res, err)
	}

	notRegistry := httptest.NewServer(http.NotFoundHandler())
	defer notRegistry.Close()
	if _, err := Run(probeCtx(t), loopbackClient(), notRegistry.URL, "u", token.NewSecret(secret), "team/app"); !errors.Is(err, ErrNotRegistry) {
		t.Fatalf("404: %v", err)
	}
}

// newTLSRegistry is a TLS registry whose /v2/ challenges with its own
// /token, served by token.
func newTLSRegistry(t *testing.T, token http.HandlerFunc) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/":
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+srv.URL+`/token",service="tls.test"`)
			w.WriteHeader(http.StatusUnauthorized)
		case "/token":
			token(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestProbeOverTLS(t *testing.T) {
	secret := credstoretest.Opaque("tok_")
	srv := newTLSRegistry(t, jsonAnswer(map[string]string{"token": makeJWT(t, map[string]any{
		"access": []access{{"repository", "team/app", []string{"pull", "push"}}}})}))
	res, err := Run(probeCtx(t), srv.Client(), strings.TrimPrefix(srv.URL, "https://"), "u", token.NewSecret(secret), "team/app")
	if err != nil || res.Endpoint != srv.URL || res.Scope != "repository:team/app:pull,push" {
		t.Fatalf("%+v, %v", res, err)
	}
}

func TestProbeRefusesPlainHTTPRealmElsewhere(t *testing.T) {
	secret := credstoretest.Opaque("tok_")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/" {
			t.Errorf("unexpected request %s", r.URL)
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="http://auth.example.com/token",service="x"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	_, err := Run(probeCtx(t), loopbackClient(), srv.URL, "u", token.NewSecret(secret), "team/app")
	if err == nil || !strings.Contains(err.Error(), "plain HTTP") {
		t.Fatalf("err = %v", err)
	}
}

func TestProbeDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := Run(ctx, loopbackClient(), srv.URL, "u", token.NewSecret(credstoretest.Opaque("tok_")), "team/app")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
}

func TestProbeRejectsBadRepository(t *testing.T) {
	for _, repo := range []string{"", "Team/App", "team/app:tag", "team//app", "team/app ", "a/../b", "team/app,push"} {
		if _, err := Run(probeCtx(t), loopbackClient(), "127.0.0.1:1", "u", token.NewSecret("x"), repo); err == nil ||
			!strings.Contains(err.Error(), "invalid repository") {
			t.Errorf("repository %q: err = %v", repo, err)
		}
	}
	// Docker Hub official images live under library/; nothing is sent
	// before the name is checked, so a bad name fails without a request.
	if res, _ := Run(probeCtx(t), loopbackClient(), "docker.io", "u", token.NewSecret("x"), "BAD"); res.Repository != "library/BAD" {
		t.Errorf("hub repository %q", res.Repository)
	}
}

func TestParseChallenges(t *testing.T) {
	got := parseChallenges([]string{
		`Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull", Basic realm="x, y"`,
		`NEGOTIATE`,
		`basic realm=ignored`,
		`Bearer realm="https://auth.example/\"q\"", error="insufficient_scope"`,
	})
	want := map[string]map[string]string{
		"bearer":    {"realm": "https://auth.example/token", "service": "registry.example", "scope": "repository:a/b:pull"},
		"basic":     {"realm": "x, y"},
		"negotiate": {},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if g := parseChallenges([]string{`=, "stray", Bearer  realm = "r"`}); g["bearer"]["realm"] != "r" {
		t.Fatalf("junk before a challenge: %q", g)
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST:5000": true, "127.0.0.1": true, "127.1.2.3:80": true,
		"[::1]:5000": true, "[::1]": true, "10.0.0.1": false, "example.com": false, "localhost.example.com": false,
	} {
		if isLoopback(host) != want {
			t.Errorf("isLoopback(%q) = %v", host, !want)
		}
	}
}

// listener is a server that must never be asked anything: it records
// every request that reaches it.
type listener struct {
	srv  *httptest.Server
	hits []string
}

func newListener(t *testing.T) *listener {
	l := &listener{}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		l.hits = append(l.hits, r.Method+" "+r.URL.String()+" auth="+r.Header.Get("Authorization")+" body="+string(body))
	}))
	t.Cleanup(l.srv.Close)
	return l
}

func TestProbeRefusesRedirectToAnotherHost(t *testing.T) {
	secret := credstoretest.Opaque("tok_identity_")
	elsewhere := newListener(t)
	tr := newTokenRegistry(t, "", secret, nil)
	tr.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			http.Redirect(w, r, elsewhere.srv.URL+"/steal", http.StatusTemporaryRedirect)
			return
		}
		tr.serve(w, r)
	})
	// loopbackClient would follow the redirect: the guard must not.
	_, err := Run(probeCtx(t), loopbackClient(), "http://"+tr.host(), token.IdentityUsername, token.NewSecret(secret), "team/app")
	if !errors.Is(err, ErrRedirectRefused) {
		t.Fatalf("err = %v, want ErrRedirectRefused", err)
	}
	if len(elsewhere.hits) > 0 {
		t.Fatalf("the refresh token followed the redirect: %q", elsewhere.hits)
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatal("the error quotes the secret")
	}
}

func TestProbeRefusesRedirectFromTLSToPlainHTTP(t *testing.T) {
	secret := credstoretest.Opaque("tok_")
	plain := newListener(t)
	plainPort := plain.srv.Listener.Addr().(*net.TCPAddr).Port
	srv := newTLSRegistry(t, func(w http.ResponseWriter, r *http.Request) { // same host, plain HTTP
		http.Redirect(w, r, fmt.Sprintf("http://127.0.0.1:%d/token?%s", plainPort, r.URL.RawQuery), http.StatusFound)
	})
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return nil } // follows anything
	_, err := Run(probeCtx(t), client, strings.TrimPrefix(srv.URL, "https://"), "u", token.NewSecret(secret), "team/app")
	if !errors.Is(err, ErrRedirectRefused) {
		t.Fatalf("err = %v, want ErrRedirectRefused", err)
	}
	if len(plain.hits) > 0 {
		t.Fatalf("credentials went out in clear: %q", plain.hits)
	}
}

func TestProbeRefusesLocalPlainRealmOfRemoteRegistry(t *testing.T) {
	secret := credstoretest.Opaque("tok_")
	local := newListener(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+local.srv.URL+`/token",service="x"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	// registry.example.com (in the test certificate) is served by srv: a
	// remote TLS registry, as far as the probe can tell.
	client := srv.Client()
	transport := client.Transport.(*http.Transport).Clone()
	dial := (&net.Dialer{}).DialContext
	transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == "registry.example.com:443" {
			addr = srv.Listener.Addr().String()
		}
		return dial(ctx, network, addr)
	}
	client.Transport = transport
	_, err := Run(probeCtx(t), client, "registry.example.com", "u", token.NewSecret(secret), "team/app")
	if err == nil || !strings.Contains(err.Error(), "plain HTTP") {
		t.Fatalf("err = %v, want a refusal of the plain-HTTP realm", err)
	}
	if len(local.hits) > 0 {
		t.Fatalf("credentials went to the local port: %q", local.hits)
	}
}

func TestProbeFollowsRedirectWithinOrigin(t *testing.T) {
	secret := credstoretest.Opaque("tok_")
	jwt := makeJWT(t, map[string]any{"access": []access{{"repository", "team/app", []string{"pull"}}}})
	tr := newTokenRegistry(t, "u", secret, jsonAnswer(map[string]any{"token": jwt}))
	tr.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth" {
			http.Redirect(w, r, "/token?"+r.URL.RawQuery, http.StatusTemporaryRedirect)
			return
		}
		if r.URL.Path == "/v2/" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+tr.srv.URL+`/auth?extra=1",service="registry.test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		tr.serve(w, r)
	})
	res, err := Run(probeCtx(t), nil, tr.host(), "u", token.NewSecret(secret), "team/app")
	if err != nil || res.Scope != "repository:team/app:pull" {
		t.Fatalf("%+v, %v", res, err)
	}
}

func TestGuardOrigin(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		ok       bool
	}{
		{"https://r.example/token", "https://R.example:443/other", true},
		{"http://127.0.0.1:5000/a", "http://127.0.0.1:5000/b", true},
		{"https://r.example/token", "http://r.example/token", false},
		{"https://r.example/token", "https://r.example:8443/token", false},
		{"https://r.example/token", "https://evil.example/token", false},
		{"http://127.0.0.1:5000/a", "http://localhost:5000/a", false},
	} {
		from, _ := http.NewRequest(http.MethodGet, tc.from, nil)
		to, _ := http.NewRequest(http.MethodGet, tc.to, nil)
		err := Guard(nil).CheckRedirect(to, []*http.Request{from})
		if (err == nil) != tc.ok {
			t.Errorf("%s -> %s: %v", tc.from, tc.to, err)
		}
	}
}
