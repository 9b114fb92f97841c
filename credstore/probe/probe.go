// Package probe asks a registry over HTTP what a credential may do there,
// the way docker's own token flow does. It never stores anything.
package probe

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/hint"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
)

// Result is what a registry said about a credential and a repository.
type Result struct {
	Registry   string   // canonical key of the registry probed
	Repository string   // as asked about, "library/" added for Docker Hub official images
	Endpoint   string   // the registry API's base URL, e.g. https://ghcr.io
	Scheme     string   // "bearer", "basic" or "none"
	Granted    []string // actions granted on Repository: pull, push, delete, then any others
	Scope      string   // "repository:REPO:pull,push" in distribution form; "" if none granted
	Asked      string   // the scope asked of the token endpoint: repository:REPO:pull,push,delete
	Realm      string   // the bearer challenge's token endpoint
	Service    string   // the bearer challenge's service
	// Authenticated reports that the registry accepted the credentials:
	// its token endpoint issued a token, or /v2/ answered a Basic request.
	Authenticated bool
}

// Probe errors. They never quote the secret.
var (
	// ErrCredentialsRejected: the registry (or its token endpoint) answered
	// 401 or 403 to the stored credentials.
	ErrCredentialsRejected = errors.New("the registry rejected the stored credentials")
	// ErrScopeUnknown: the registry issued a token, but neither the token
	// (not a JWT with an access claim) nor the answer says what it grants.
	ErrScopeUnknown = errors.New("the registry's token does not say which actions it grants")
	// ErrNotRegistry: /v2/ is not a registry API.
	ErrNotRegistry = errors.New("no registry API at /v2/")
	// ErrRedirectRefused: a request was redirected to another scheme, host
	// or port, where the credentials it carries must not go.
	ErrRedirectRefused = errors.New("refusing to follow a redirect to another origin: the credentials are not sent there")
)

// maxRedirects bounds the redirects Guard follows within one origin.
const maxRedirects = 5

// probeActions are the actions Probe asks for, in the order they are shown.
var probeActions = []string{"pull", "push", "delete"}

// maxProbeBody bounds what Probe reads of any answer.
const maxProbeBody = 1 << 20

// repositoryName is distribution's repository name grammar.
var repositoryName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
})

// Run asks registry which actions the credential username/secret is
// granted on repository, the way docker's own token flow does: GET /v2/,
// read the WWW-Authenticate challenge, then for a Bearer challenge ask its
// realm for scope repository:REPO:pull,push,delete and read the granted
// actions from the token's access claim (a JWT, decoded, not verified: we
// only read what the registry tells us about itself). A username of
// "<token>" marks an identity token, exchanged with an OAuth2 refresh_token
// POST; any other credential is sent as Basic auth.
//
// Registries with Basic auth only are reported as Scheme "basic", with
// Authenticated set if /v2/ accepts the credentials: their scope cannot be
// learned. Registries that ask for nothing are Scheme "none".
//
// registry is a server URL as docker names it. Without a scheme, https is
// used; a loopback registry that answers https with plain HTTP is retried
// over http, as docker does. An explicit http:// is used as given. Every
// request carries ctx: its deadline bounds the probe. client supplies the
// transport (TLS, proxies); nil is NewClient(). Every request goes through
// Guard(client), whatever client's own redirect policy. A token endpoint
// in plain HTTP is used only when it and the registry are both this
// machine.
func Run(ctx context.Context, client *http.Client, registry, username string, secret token.Secret, repository string) (Result, error) {
	var res Result
	key, err := registryurl.Canonical(registry)
	if err != nil {
		return res, err
	}
	host, _ := registryurl.Host(key)
	res.Registry, res.Repository = key, repository
	if registryurl.IsDockerHub(key) {
		host = "registry-1.docker.io"
		if !strings.Contains(repository, "/") {
			res.Repository = "library/" + repository
		}
	}
	if !repositoryName().MatchString(res.Repository) || len(res.Repository) > 255 {
		return res, fmt.Errorf("invalid repository name %q: lower-case letters, digits and . _ - / separators", repository)
	}
	p := &prober{ctx: ctx, client: Guard(client), username: username, secret: secret}

	schemes := []string{"https"}
	switch lower := strings.ToLower(registry); {
	case strings.HasPrefix(lower, "http://"):
		schemes = []string{"http"}
	case strings.HasPrefix(lower, "https://"):
	case isLoopback(host):
		schemes = []string{"https", "http"}
	}
	var resp *http.Response
	for i, scheme := range schemes {
		res.Endpoint = scheme + "://" + host
		resp, err = p.do(http.MethodGet, res.Endpoint+"/v2/", nil, false)
		if notTLS(err) && i+1 < len(schemes) {
			continue // a plain-HTTP registry on this machine
		}
		break
	}
	if err != nil {
		if notTLS(err) {
			return res, hint.Wrap(fmt.Errorf("%s does not speak TLS: %w", host, err),
				"probe http://"+host+" only if the registry is yours and plain HTTP is intended")
		}
		return res, err
	}
	drain(resp)
	switch resp.StatusCode {
	case http.StatusOK:
		res.Scheme = "none"
		return res, nil
	case http.StatusUnauthorized:
	case http.StatusNotFound:
		return res, fmt.Errorf("%w at %s (HTTP 404)", ErrNotRegistry, res.Endpoint)
	default:
		return res, fmt.Errorf("GET %s/v2/: unexpected HTTP %d", res.Endpoint, resp.StatusCode)
	}
	challenges := parseChallenges(resp.Header.Values("WWW-Authenticate"))
	if c, ok := challenges["bearer"]; ok {
		res.Scheme, res.Realm, res.Service = "bearer", c["realm"], c["service"]
		return p.bearer(res)
	}
	if _, ok := challenges["basic"]; ok {
		res.Scheme = "basic"
		return p.basic(res)
	}
	if len(challenges) == 0 {
		return res, fmt.Errorf("GET %s/v2/: HTTP 401 without a WWW-Authenticate challenge", res.Endpoint)
	}
	return res, fmt.Errorf("GET %s/v2/: unsupported authentication scheme (%s)", res.Endpoint,
		strings.Join(slices.Sorted(maps.Keys(challenges)), ", "))
}

// NewClient returns the HTTP client a probe uses by default: every phase
// bounded, proxies from the environment as docker uses them. The whole
// probe is bounded by its context.
func NewClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 15 * time.Second,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       30 * time.Second,
		},
	}
}

// Guard returns a copy of client (nil: NewClient()) that follows a
// redirect only within the origin (scheme, host and port) of the request
// it started from, at most maxRedirects times, and otherwise stops with
// ErrRedirectRefused. Go's client re-sends a 307's body (an identity
// token's refresh_token) to any host, and keeps the Authorization header
// on a redirect from https to http on the same host: every request that
// carries a credential must go through a guarded client. client's own
// CheckRedirect, if any, still applies after the guard's.
func Guard(client *http.Client) *http.Client {
	if client == nil {
		client = NewClient()
	}
	guarded := *client
	next := client.CheckRedirect
	guarded.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if from, to := origin(via[0].URL), origin(req.URL); from != to {
			return fmt.Errorf("%w (from %s to %s)", ErrRedirectRefused, from, to)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &guarded
}

// origin is u's scheme://host:port in lower case, with the scheme's
// default port written out.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

type prober struct {
	ctx      context.Context
	client   *http.Client
	username string
	secret   token.Secret
}

// do sends a request, with Basic auth if basic is set.
func (p *prober) do(method, u string, form url.Values, basic bool) (*http.Response, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(p.ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", "docker-credential-pat")
	if basic && (p.username != "" || !p.secret.IsZero()) {
		req.SetBasicAuth(p.username, p.secret.Reveal())
	}
	return p.client.Do(req)
}

func (p *prober) rejected(res Result, status int, where string) error {
	return hint.Wrap(
		fmt.Errorf("%w (HTTP %d from %s)", ErrCredentialsRejected, status, where),
		"docker login "+registryurl.Display(res.Registry)+" with a new access token",
	)
}

// basic checks that /v2/ accepts the credentials.
func (p *prober) basic(res Result) (Result, error) {
	if p.secret.IsZero() {
		return res, nil
	}
	if strings.HasPrefix(res.Endpoint, "http:") && !isLoopback(hostOf(res.Endpoint)) {
		return res, fmt.Errorf("%s is plain HTTP: credentials are not sent there", res.Endpoint)
	}
	resp, err := p.do(http.MethodGet, res.Endpoint+"/v2/", nil, true)
	if err != nil {
		return res, err
	}
	drain(resp)
	switch resp.StatusCode {
	case http.StatusOK:
		res.Authenticated = true
		return res, nil
	case http.StatusUnauthorized, http.StatusForbidden:
		return res, p.rejected(res, resp.StatusCode, res.Endpoint+"/v2/")
	}
	return res, fmt.Errorf("GET %s/v2/ with credentials: unexpected HTTP %d", res.Endpoint, resp.StatusCode)
}

// tokenResponse is a token endpoint's answer (distribution's token.md
// and oauth.md).
type tokenResponse struct {
	Token       string `json:"token"`
	AccessToken string `json:"access_token"`
	Scope       string `json:"scope"`
	ExpiresIn   int64  `json:"expires_in"`
	IssuedAt    string `json:"issued_at"`
}

// bearer asks the challenge's realm for a token scoped to the repository.
func (p *prober) bearer(res Result) (Result, error) {
	realm, err := url.Parse(res.Realm)
	if err != nil || (realm.Scheme != "https" && realm.Scheme != "http") || realm.Host == "" {
		return res, fmt.Errorf("the registry's bearer challenge has no usable realm (%q)", res.Realm)
	}
	// In clear only from this machine to this machine: a remote registry
	// naming a local port as its realm would have the token sent to
	// whatever listens there.
	if realm.Scheme == "http" && (!isLoopback(realm.Host) || !isLoopback(hostOf(res.Endpoint))) {
		return res, fmt.Errorf("the registry's token endpoint %s is plain HTTP: credentials are not sent there", res.Realm)
	}
	scope := "repository:" + res.Repository + ":" + strings.Join(probeActions, ",")
	res.Asked = scope
	var resp *http.Response
	if p.username == token.IdentityUsername {
		// An identity token is an OAuth2 refresh token (distribution's
		// oauth.md); it travels in the body, never in the URL.
		form := url.Values{
			"grant_type":    {"refresh_token"},
			"refresh_token": {p.secret.Reveal()},
			"client_id":     {"docker-credential-pat"},
			"scope":         {scope},
		}
		if res.Service != "" {
			form.Set("service", res.Service)
		}
		resp, err = p.do(http.MethodPost, realm.String(), form, false)
	} else {
		q := realm.Query()
		if res.Service != "" {
			q.Set("service", res.Service)
		}
		q.Set("scope", scope)
		if p.username != "" {
			q.Set("account", p.username)
		}
		realm.RawQuery = q.Encode()
		resp, err = p.do(http.MethodGet, realm.String(), nil, true)
	}
	if err != nil {
		return res, err
	}
	defer drain(resp)
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return res, p.rejected(res, resp.StatusCode, "the token endpoint "+res.Realm)
	case resp.StatusCode != http.StatusOK:
		return res, fmt.Errorf("token endpoint %s: unexpected HTTP %d", res.Realm, resp.StatusCode)
	}
	var tr tokenResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxProbeBody)).Decode(&tr); err != nil {
		return res, fmt.Errorf("token endpoint %s: the answer is not a token response: %v", res.Realm, jsonErrorOnly(err))
	}
	token := tr.Token
	if token == "" {
		token = tr.AccessToken
	}
	if token == "" {
		return res, fmt.Errorf("token endpoint %s: the answer has no token", res.Realm)
	}
	res.Authenticated = !p.secret.IsZero()
	actions, known := jwtRepositoryActions(token, res.Repository)
	if !known && tr.Scope != "" {
		actions, known = scopeRepositoryActions(tr.Scope, res.Repository), true
	}
	if !known {
		return res, fmt.Errorf("%w (%s)", ErrScopeUnknown, res.Realm)
	}
	res.Granted = orderActions(actions)
	if len(res.Granted) > 0 {
		res.Scope = "repository:" + res.Repository + ":" + strings.Join(res.Granted, ",")
	}
	return res, nil
}

// jwtRepositoryActions reads the actions a distribution JWT grants on
// repository from its access claim, without verifying the signature.
// known is false when token is not a JWT with an access claim.
func jwtRepositoryActions(token, repository string) (actions []string, known bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, false
	}
	var claims struct {
		Access *[]struct {
			Type    string   `json:"type"`
			Name    string   `json:"name"`
			Actions []string `json:"actions"`
		} `json:"access"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Access == nil {
		return nil, false
	}
	for _, a := range *claims.Access {
		if a.Type == "repository" && a.Name == repository {
			actions = append(actions, a.Actions...)
		}
	}
	return actions, true
}

// scopeRepositoryActions reads repository's actions from an OAuth2 scope
// answer: space-separated "repository:NAME:ACTIONS" entries.
func scopeRepositoryActions(scope, repository string) []string {
	var actions []string
	for _, s := range strings.Fields(scope) {
		rest, ok := strings.CutPrefix(s, "repository:"+repository+":")
		if ok {
			actions = append(actions, strings.Split(rest, ",")...)
		}
	}
	return actions
}

// orderActions removes duplicates and empty actions, putting pull, push
// and delete first and any others after, sorted.
func orderActions(actions []string) []string {
	var out, others []string
	for _, a := range probeActions {
		if slices.Contains(actions, a) {
			out = append(out, a)
		}
	}
	for _, a := range actions {
		if a != "" && !slices.Contains(probeActions, a) && !slices.Contains(others, a) {
			others = append(others, a)
		}
	}
	slices.Sort(others)
	return append(out, others...)
}

// parseChallenges parses WWW-Authenticate values into challenges by lower-
// case scheme, each with its parameters by lower-case name.
func parseChallenges(values []string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, v := range values {
		var cur map[string]string
		for i := 0; i < len(v); {
			for i < len(v) && (v[i] == ' ' || v[i] == '\t' || v[i] == ',') {
				i++
			}
			start := i
			for i < len(v) && !strings.ContainsRune(" \t,=\"", rune(v[i])) {
				i++
			}
			name := strings.ToLower(v[start:i])
			j := i
			for j < len(v) && (v[j] == ' ' || v[j] == '\t') {
				j++
			}
			if j < len(v) && v[j] == '=' && cur != nil {
				i = j + 1
				for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
					i++
				}
				var val string
				val, i = challengeValue(v, i)
				cur[name] = val
				continue
			}
			if name == "" {
				if i < len(v) {
					i++ // a stray '=' or '"': skip it
				}
				continue
			}
			cur = map[string]string{}
			if _, seen := out[name]; !seen {
				out[name] = cur
			}
		}
	}
	return out
}

// challengeValue reads a token or a quoted string at v[i:].
func challengeValue(v string, i int) (string, int) {
	if i < len(v) && v[i] == '"' {
		var b strings.Builder
		for i++; i < len(v); i++ {
			switch v[i] {
			case '\\':
				if i+1 < len(v) {
					i++
					b.WriteByte(v[i])
				}
			case '"':
				return b.String(), i + 1
			default:
				b.WriteByte(v[i])
			}
		}
		return b.String(), i
	}
	start := i
	for i < len(v) && v[i] != ',' && v[i] != ' ' && v[i] != '\t' {
		i++
	}
	return v[start:i], i
}

// notTLS reports whether err says the server does not speak TLS: it
// answered in plain HTTP, or with something else that is not a TLS record.
func notTLS(err error) bool {
	var rhe tls.RecordHeaderError
	return err != nil && (errors.Is(err, http.ErrSchemeMismatch) || errors.As(err, &rhe))
}

// isLoopback reports whether host[:port] is this machine.
func isLoopback(hostport string) bool {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	h = strings.Trim(h, "[]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// hostOf is the host[:port] of an endpoint URL.
func hostOf(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	return u.Host
}

// drain reads a little of the body, so the connection can be reused, and
// closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// jsonErrorOnly keeps a JSON error's kind but not the data it quotes,
// which could be part of a token.
func jsonErrorOnly(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Errorf("field %q has the wrong type", te.Field)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("empty or truncated")
	}
	return errors.New("invalid JSON")
}
