package main

// A real registry for tests: the Debian docker-registry package (distribution
// v2) on 127.0.0.1, a random free port, storage in a temp dir, stopped by PID
// when the test ends. Two ways to authenticate:
//
//   - startHtpasswdRegistry: HTTP Basic against a bcrypt htpasswd file.
//   - startTokenRegistry: the registry token flow. The registry answers
//     401 with a Bearer challenge naming a token endpoint served by the test
//     (httptest on 127.0.0.1, /token on the same host:port as the registry,
//     which sits behind a reverse proxy there); the endpoint checks Basic
//     credentials against a per-user table and issues an ES256 JWT whose
//     "access" claim grants the requested actions that the user's grant
//     table allows.
//
// Everything listens on loopback, every wait is bounded, and everything stops
// itself through t.Cleanup. Without /usr/bin/docker-registry the tests skip,
// except with CI=true, where a missing registry is a failure.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

// Bounds on the registry's start and stop.
const (
	registryStartTimeout = 15 * time.Second
	registryStopTimeout  = 5 * time.Second
	registryStartTries   = 3 // a free port can be taken between probe and bind
)

// testRegistry is a running docker-registry.
type testRegistry struct {
	Host string // "127.0.0.1:PORT": the docker config key and image prefix
	URL  string // "http://127.0.0.1:PORT"
	Dir  string // config, htpasswd, storage and log live here
	log  string // the registry's stdout and stderr
}

// tokenUser is one account of the token endpoint.
type tokenUser struct {
	// Secret is what the user presents as the Basic password: an access
	// token in the tests of this project. Never logged.
	Secret string
	// Grants maps a repository name to the actions the user may be granted
	// on it ("pull", "push", "delete", or "*" for all of them). Requested
	// actions outside this list are silently left out of the token, as real
	// token servers do.
	Grants map[string][]string
}

// tokenRequest is one request the token endpoint answered, for assertions.
type tokenRequest struct {
	Method    string   // GET or POST (OAuth2 password grant)
	Account   string   // the authenticated user, "" for anonymous
	Service   string   // the service parameter
	Scopes    []string // as requested, e.g. "repository:team/app:pull,push"
	Granted   []tokenAccess
	Status    int    // HTTP status of the answer
	UserAgent string // which client asked
}

// tokenAccess is one entry of the JWT's "access" claim.
type tokenAccess struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// tokenRegistry is a registry in token-auth mode and its token endpoint.
type tokenRegistry struct {
	*testRegistry
	Realm   string // the token endpoint's URL
	Service string // the service name in challenges and the token's audience
	Issuer  string

	users map[string]tokenUser
	key   *ecdsa.PrivateKey
	cert  []byte // DER of the self-signed certificate in the registry's rootcertbundle

	mu       sync.Mutex
	requests []tokenRequest
}

// requireRegistry returns the registry binary (Debian's docker-registry,
// on PATH), or skips the test when it is missing (fails with CI=true).
func requireRegistry(t testing.TB) string {
	t.Helper()
	bin, err := keychaintest.LookTool("docker-registry")
	if err != nil {
		keychaintest.Skip(t, "registry tests", err.Error(), keychaintest.Apt("docker-registry"))
	}
	return bin
}

// startHtpasswdRegistry starts a registry that accepts HTTP Basic with the
// given user/secret pairs (bcrypt-hashed into its htpasswd file).
func startHtpasswdRegistry(t testing.TB, users map[string]string) *testRegistry {
	t.Helper()
	bin := requireRegistry(t)
	dir := t.TempDir()
	var htpasswd bytes.Buffer
	for _, name := range slices.Sorted(maps.Keys(users)) {
		// MinCost: the hash is only ever checked by this test registry, and
		// each check costs the registry a full bcrypt round.
		hash, err := bcrypt.GenerateFromPassword([]byte(users[name]), bcrypt.MinCost)
		if err != nil {
			t.Fatalf("bcrypt: %v", err)
		}
		fmt.Fprintf(&htpasswd, "%s:%s\n", name, hash)
	}
	path := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(path, htpasswd.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	auth := fmt.Sprintf("auth:\n  htpasswd:\n    realm: e2e\n    path: %s\n", path)
	return startRegistry(t, bin, dir, auth)
}

// startTokenRegistry starts a registry in token-auth mode with a token
// endpoint served by the test. users maps a user name to its secret and
// grants. Anonymous requests to the endpoint get a token with no access (as
// Docker Hub does for private repositories); wrong credentials get 401.
//
// Example, a user who may pull and push team/app and only pull team/base:
//
//	reg := startTokenRegistry(t, map[string]tokenUser{
//		"alice": {Secret: tok, Grants: map[string][]string{
//			"team/app":  {"pull", "push"},
//			"team/base": {"pull"},
//		}},
//	})
//	// reg.Host is "127.0.0.1:PORT"; reg.Requests() lists what was asked.
func startTokenRegistry(t testing.TB, users map[string]tokenUser) *tokenRegistry {
	t.Helper()
	bin := requireRegistry(t)
	dir := t.TempDir()
	tr := &tokenRegistry{
		Service: "e2e-registry",
		Issuer:  "e2e-token-issuer",
		users:   users,
	}
	var err error
	if tr.key, tr.cert, err = selfSignedES256(tr.Issuer); err != nil {
		t.Fatalf("token signing key: %v", err)
	}
	bundle := filepath.Join(dir, "rootcerts.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tr.cert}), 0o600); err != nil {
		t.Fatal(err)
	}

	// One front address for the registry and its token endpoint, as most
	// deployments have: clients such as crane refuse a realm on another
	// loopback or private address than the registry's own.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("token endpoint: %v", err)
	}
	front := "http://" + ln.Addr().String()
	tr.Realm = front + "/token"

	auth := fmt.Sprintf("auth:\n  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n",
		tr.Realm, tr.Service, tr.Issuer, bundle)
	backend := startRegistry(t, bin, dir, auth)
	target, err := url.Parse(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/token", tr.serveToken)
	mux.Handle("/", httputil.NewSingleHostReverseProxy(target)) // keeps the client's Host header
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	reg := *backend
	reg.Host, reg.URL = ln.Addr().String(), front
	tr.testRegistry = &reg
	return tr
}

// Requests returns the token requests answered so far.
func (tr *tokenRegistry) Requests() []tokenRequest {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.requests)
}

// serveToken is the token endpoint: GET with Basic auth (the docker token
// flow) or POST with grant_type=password (the OAuth2 flow).
func (tr *tokenRegistry) serveToken(w http.ResponseWriter, r *http.Request) {
	req := tokenRequest{Method: r.Method, UserAgent: r.UserAgent()}
	defer func() {
		tr.mu.Lock()
		tr.requests = append(tr.requests, req)
		tr.mu.Unlock()
	}()
	fail := func(status int, code, msg string) {
		req.Status = status
		w.Header().Set("Content-Type", "application/json")
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="e2e-token"`)
		}
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"code": code, "message": msg}}})
	}

	var user, secret string
	var hasCreds bool
	switch r.Method {
	case http.MethodGet:
		user, secret, hasCreds = r.BasicAuth()
		q := r.URL.Query()
		req.Service = q.Get("service")
		for _, s := range q["scope"] {
			req.Scopes = append(req.Scopes, strings.Fields(s)...)
		}
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			fail(http.StatusBadRequest, "invalid_request", "bad form")
			return
		}
		if r.PostForm.Get("grant_type") != "password" {
			fail(http.StatusBadRequest, "unsupported_grant_type", "only the password grant is served")
			return
		}
		user, secret = r.PostForm.Get("username"), r.PostForm.Get("password")
		hasCreds = true
		req.Service = r.PostForm.Get("service")
		req.Scopes = strings.Fields(r.PostForm.Get("scope"))
	default:
		fail(http.StatusMethodNotAllowed, "invalid_request", "GET or POST")
		return
	}
	if req.Service != tr.Service {
		fail(http.StatusBadRequest, "invalid_request", "unknown service")
		return
	}

	var grants map[string][]string
	if hasCreds {
		u, ok := tr.users[user]
		if !ok || !constantTimeEqual(u.Secret, secret) {
			fail(http.StatusUnauthorized, "UNAUTHORIZED", "invalid username or token")
			return
		}
		req.Account, grants = user, u.Grants
	}
	req.Granted = grantedAccess(req.Scopes, grants)

	now := time.Now()
	jwt, err := tr.signJWT(map[string]any{
		"iss":    tr.Issuer,
		"sub":    req.Account,
		"aud":    tr.Service,
		"exp":    now.Add(5 * time.Minute).Unix(),
		"nbf":    now.Add(-time.Second).Unix(),
		"iat":    now.Unix(),
		"jti":    randomHex(16),
		"access": req.Granted,
	})
	if err != nil {
		fail(http.StatusInternalServerError, "internal", "cannot sign")
		return
	}
	req.Status = http.StatusOK
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"token":        jwt,
		"access_token": jwt,
		"expires_in":   300,
		"issued_at":    now.UTC().Format(time.RFC3339),
	})
}

// grantedAccess intersects the requested scopes with a grant table. Scopes
// are "repository:NAME:ACTION[,ACTION...]"; NAME may contain ':' only in
// the registry-with-port form, which the last colon separates correctly.
func grantedAccess(scopes []string, grants map[string][]string) []tokenAccess {
	out := []tokenAccess{}
	for _, s := range scopes {
		typ, rest, ok := strings.Cut(s, ":")
		i := strings.LastIndex(rest, ":")
		if !ok || i < 0 || typ != "repository" {
			continue
		}
		name, actions := rest[:i], strings.Split(rest[i+1:], ",")
		allowed := grants[name]
		var got []string
		for _, a := range actions {
			if a == "*" && slices.Contains(allowed, "*") {
				got = append(got, "*")
			} else if a != "*" && (slices.Contains(allowed, a) || slices.Contains(allowed, "*")) {
				got = append(got, a)
			}
		}
		out = append(out, tokenAccess{Type: typ, Name: name, Actions: nonNil(got)})
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// signJWT signs claims with ES256. The header carries the certificate in
// x5c; distribution verifies it against its rootcertbundle (the same
// self-signed certificate) and takes the signing key from it.
func (tr *tokenRegistry) signJWT(claims map[string]any) (string, error) {
	header := map[string]any{
		"typ": "JWT",
		"alg": "ES256",
		"x5c": []string{base64.StdEncoding.EncodeToString(tr.cert)},
	}
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	digest := sha256.Sum256([]byte(signed))
	r, s, err := ecdsa.Sign(rand.Reader, tr.key, digest[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64) // JWS ES256: R || S, 32 bytes each
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signed + "." + enc.EncodeToString(sig), nil
}

// selfSignedES256 makes a P-256 key and a self-signed CA certificate for it.
func selfSignedES256(cn string) (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	return key, der, err
}

// startRegistry writes a config with the given auth section and starts the
// registry on a free loopback port, retrying when the port was taken.
func startRegistry(t testing.TB, bin, dir, auth string) *testRegistry {
	t.Helper()
	var lastErr error
	for try := 0; try < registryStartTries; try++ {
		reg, err := tryStartRegistry(t, bin, dir, auth)
		if err == nil {
			return reg
		}
		lastErr = err
	}
	t.Fatalf("docker-registry did not start: %v", lastErr)
	return nil
}

func tryStartRegistry(t testing.TB, bin, dir, auth string) (*testRegistry, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	host := fmt.Sprintf("127.0.0.1:%d", port)
	storage := filepath.Join(dir, "storage")
	config := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: %s
%s`, storage, host, randomHex(16), auth)
	configPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(configPath, []byte(config), 0o600); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "registry.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()

	cmd := exec.Command(bin, "serve", configPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		select {
		case <-exited:
			return
		default:
		}
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(registryStopTimeout):
			cmd.Process.Kill()
			<-exited
		}
	}

	reg := &testRegistry{Host: host, URL: "http://" + host, Dir: dir, log: logPath}
	if err := waitReady(reg.URL+"/v2/", exited); err != nil {
		stop()
		return nil, fmt.Errorf("%w\nregistry log:\n%s", err, reg.logTail())
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("registry %s log:\n%s", host, reg.logTail())
		}
	})
	return reg, nil
}

// waitReady polls url until the registry answers 200 or 401, it exits, or
// registryStartTimeout passes.
func waitReady(url string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(registryStartTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("docker-registry exited during start")
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("docker-registry not ready within %v", registryStartTimeout)
}

// logTail returns the last lines of the registry's log.
func (r *testRegistry) logTail() string {
	b, err := os.ReadFile(r.log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// randomToken returns n random characters from [A-Za-z0-9]: an opaque test
// token, generated per test and never committed.
func randomToken(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err)
		}
		b[i] = alphabet[j.Int64()]
	}
	return string(b)
}

func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// registryGet is a tiny client for harness self-tests: GET path with an
// optional Authorization header value.
func registryGet(t testing.TB, rawURL, authorization string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// fetchToken runs the token flow by hand: realm?service=...&scope=... with
// Basic user:secret (both empty for anonymous). It returns the status and,
// on 200, the token.
func (tr *tokenRegistry) fetchToken(t testing.TB, user, secret string, scopes ...string) (int, string) {
	t.Helper()
	q := url.Values{"service": {tr.Service}}
	for _, s := range scopes {
		q.Add("scope", s)
	}
	req, err := http.NewRequest(http.MethodGet, tr.Realm+"?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, secret)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Token string `json:"token"`
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, body.Token
}

// TestE2ERegistryHtpasswd checks the htpasswd harness: Basic challenge,
// right and wrong secrets, over real HTTP.
func TestE2ERegistryHtpasswd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts docker-registry; skipped with -short")
	}
	secret := randomToken(40)
	reg := startHtpasswdRegistry(t, map[string]string{"e2e": secret})

	resp := registryGet(t, reg.URL+"/v2/", "")
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
		t.Fatalf("anonymous /v2/: %s, challenge %q; want 401 with a Basic challenge", resp.Status, resp.Header.Get("WWW-Authenticate"))
	}
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	if resp := registryGet(t, reg.URL+"/v2/", basic("e2e", secret)); resp.StatusCode != http.StatusOK {
		t.Fatalf("/v2/ with the right secret: %s, want 200", resp.Status)
	}
	if resp := registryGet(t, reg.URL+"/v2/", basic("e2e", randomToken(40))); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/v2/ with a wrong secret: %s, want 401", resp.Status)
	}
}

// TestE2ERegistryToken checks the token harness end to end: the registry's
// Bearer challenge names the test's endpoint, the endpoint grants only what
// the table allows, and the registry enforces the granted actions.
func TestE2ERegistryToken(t *testing.T) {
	if testing.Short() {
		t.Skip("starts docker-registry; skipped with -short")
	}
	secret := randomToken(40)
	reg := startTokenRegistry(t, map[string]tokenUser{
		"alice": {Secret: secret, Grants: map[string][]string{
			"team/app":  {"pull", "push"},
			"team/base": {"pull"},
		}},
	})

	resp := registryGet(t, reg.URL+"/v2/", "")
	challenge := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(challenge, "Bearer ") ||
		!strings.Contains(challenge, `realm="`+reg.Realm+`"`) || !strings.Contains(challenge, `service="`+reg.Service+`"`) {
		t.Fatalf("anonymous /v2/: %s, challenge %q; want 401 naming realm %s", resp.Status, challenge, reg.Realm)
	}

	status, tok := reg.fetchToken(t, "alice", secret, "repository:team/app:pull,push,delete", "repository:team/base:pull,push")
	if status != http.StatusOK {
		t.Fatalf("token for alice: status %d", status)
	}
	reqs := reg.Requests()
	last := reqs[len(reqs)-1]
	want := []tokenAccess{
		{Type: "repository", Name: "team/app", Actions: []string{"pull", "push"}},
		{Type: "repository", Name: "team/base", Actions: []string{"pull"}},
	}
	if last.Account != "alice" || fmt.Sprint(last.Granted) != fmt.Sprint(want) {
		t.Fatalf("granted %v to %q, want %v to alice", last.Granted, last.Account, want)
	}

	bearer := "Bearer " + tok
	if resp := registryGet(t, reg.URL+"/v2/", bearer); resp.StatusCode != http.StatusOK {
		t.Fatalf("/v2/ with alice's token: %s, want 200 (the registry rejected the JWT)", resp.Status)
	}
	// Pull granted: the registry lets the request through to "unknown repository".
	if resp := registryGet(t, reg.URL+"/v2/team/app/tags/list", bearer); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("tags of team/app with pull: %s, want 404 (authorised, empty)", resp.Status)
	}
	// Push granted on team/app only: a blob upload starts there, not on team/base.
	upload := func(repo string) int {
		req, _ := http.NewRequest(http.MethodPost, reg.URL+"/v2/"+repo+"/blobs/uploads/", nil)
		req.Header.Set("Authorization", bearer)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := upload("team/app"); got != http.StatusAccepted {
		t.Fatalf("upload to team/app with push: %d, want 202", got)
	}
	if got := upload("team/base"); got != http.StatusUnauthorized {
		t.Fatalf("upload to team/base with pull only: %d, want 401", got)
	}
	if resp := registryGet(t, reg.URL+"/v2/team/other/tags/list", bearer); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("tags of team/other, not granted: %s, want 401", resp.Status)
	}

	if status, _ := reg.fetchToken(t, "alice", randomToken(40), "repository:team/app:pull"); status != http.StatusUnauthorized {
		t.Fatalf("token with a wrong secret: status %d, want 401", status)
	}
	status, anon := reg.fetchToken(t, "", "", "repository:team/app:pull")
	if status != http.StatusOK {
		t.Fatalf("anonymous token: status %d, want 200 with no access", status)
	}
	if resp := registryGet(t, reg.URL+"/v2/team/app/tags/list", "Bearer "+anon); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("tags of team/app anonymously: %s, want 401", resp.Status)
	}
}
