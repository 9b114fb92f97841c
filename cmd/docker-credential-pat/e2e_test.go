package main

// End-to-end tests: the helper as users run it, through registry clients
// nobody on this project wrote (crane, oras, regctl, skopeo, the docker CLI),
// against a real registry (registry_test.go) and a private Secret Service.
//
// TestE2E builds the helper once with go build (CGO_ENABLED=0), puts it
// first on PATH, and gives every client a DOCKER_CONFIG whose config.json
// says {"credsStore": "pat"}. The registry authenticates with passwords
// (htpasswd), so each scenario's state dir holds a policy.json listing the
// registry under opaqueTokenRegistries, and the "password" is a random
// 40-character token: the policy is not weakened otherwise.
//
// Clients come from `make deps` (.ci/install-deps): found on PATH, then in
// the project's .cache/tools/bin. A client that is not installed is skipped
// with keychaintest.Skip (which names the fix), except with CI=true, where
// that is a failure.
//
// The helper runs with DOCKER_CREDENTIAL_PAT_BACKEND=auto next to a private
// Secret Service (keychaintest); set DOCKER_CREDENTIAL_PAT_E2E_BACKEND to
// force one (secretservice, keyctl). Each check that the keychain holds an
// item looks in the backend `inspect --json` names, without the helper.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/keychain"
	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

// clientTimeout bounds every client or helper run.
const clientTimeout = 60 * time.Second

// hubKey is where docker keeps Docker Hub's credentials.
const hubKey = "https://index.docker.io/v1/"

// e2eSuite is what the scenarios of TestE2E share.
type e2eSuite struct {
	helperDir string // holds the freshly built docker-credential-pat
	clientDir string // where `make deps` puts the go-installed clients
	backend   string
	keyring   *keychaintest.SecretService // nil with another backend
}

func TestE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tests skipped with -short")
	}
	requireRegistry(t)
	s := &e2eSuite{backend: os.Getenv("DOCKER_CREDENTIAL_PAT_E2E_BACKEND"), clientDir: keychaintest.ToolsDir()}
	if s.backend == "" {
		s.backend = "auto"
	}
	if s.backend == "auto" || s.backend == "secretservice" {
		s.keyring = keychaintest.Start(t, testing.Short())
	}
	s.helperDir = buildHelper(t)

	t.Run("crane", s.testCrane)
	t.Run("oras", s.testOras)
	t.Run("docker", s.testDocker)
	t.Run("skopeo", s.testSkopeo)
	t.Run("skopeo-credsStore", s.testSkopeoCredsStore)
	t.Run("regctl", s.testRegctl)
	t.Run("push-pull", s.testPushPull)
	t.Run("dockerhub-keys", s.testDockerHubKeys)
	t.Run("wrong-token", s.testWrongToken)
	t.Run("token-auth", s.testTokenAuth)
}

// buildHelper builds docker-credential-pat into a temp dir as a user would.
func buildHelper(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", filepath.Join(dir, name), ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// requireClient returns the client's path or skips (fails with CI=true).
func (s *e2eSuite) requireClient(t *testing.T, client string) string {
	t.Helper()
	path, err := keychaintest.LookTool(client)
	if err != nil {
		fix := "make deps"
		switch client {
		case "skopeo":
			fix = keychaintest.Apt("skopeo")
		case "docker":
			fix = keychaintest.Apt("docker.io")
		}
		keychaintest.Skip(t, "end-to-end tests", err.Error(), fix)
	}
	return path
}

// scenario is one registry, one user with one token, and the directories
// and environment the clients run with.
type scenario struct {
	t      *testing.T
	s      *e2eSuite
	host   string // 127.0.0.1:PORT, also the helper's key
	user   string
	token  string
	config string // DOCKER_CONFIG
	state  string // DOCKER_CREDENTIAL_PAT_STATE_DIR
	home   string
	env    []string
	start  time.Time

	itemKey, itemBackend string // see rememberItem
}

// newScenario starts an htpasswd registry for a fresh user and token.
func (s *e2eSuite) newScenario(t *testing.T) *scenario {
	t.Helper()
	token := randomToken(40)
	reg := startHtpasswdRegistry(t, map[string]string{"e2e": token})
	return s.scenarioFor(t, reg.Host, "e2e", token, true)
}

// scenarioFor sets up the directories and environment for host; opaque
// lists host in policy.json as a registry issuing opaque tokens.
func (s *e2eSuite) scenarioFor(t *testing.T, host, user, token string, opaque bool) *scenario {
	t.Helper()
	sc := &scenario{
		t: t, s: s, host: host, user: user, token: token,
		config: t.TempDir(), state: t.TempDir(), home: t.TempDir(),
		start: time.Now().Truncate(time.Second),
	}
	sc.writeConfig(map[string]any{"credsStore": "pat"})
	if opaque {
		policy := fmt.Sprintf(`{"opaqueTokenRegistries":[{"registry":%q,"provider":"distribution","note":"e2e test registry"}]}`, host)
		if err := os.WriteFile(filepath.Join(sc.state, "policy.json"), []byte(policy), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var env []string
	if s.keyring != nil {
		env = append(env, s.keyring.Env()...)
	}
	// Later entries win: HOME is the scenario's, not the keyring's.
	env = append(env,
		"PATH="+s.helperDir+string(os.PathListSeparator)+s.clientDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+sc.home,
		"XDG_CONFIG_HOME="+filepath.Join(sc.home, ".config"),
		"DOCKER_CONFIG="+sc.config,
		"DOCKER_HOST=unix://"+filepath.Join(sc.home, "no-daemon.sock"), // never a real daemon
		"DOCKER_CREDENTIAL_PAT_STATE_DIR="+sc.state,
		"DOCKER_CREDENTIAL_PAT_BACKEND="+s.backend,
		"TMPDIR="+os.TempDir(),
		"LANG=C.UTF-8",
	)
	sc.env = env
	return sc
}

func (sc *scenario) writeConfig(cfg map[string]any) {
	sc.t.Helper()
	b, err := json.MarshalIndent(cfg, "", "\t")
	if err != nil {
		sc.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sc.config, "config.json"), b, 0o600); err != nil {
		sc.t.Fatal(err)
	}
}

// redact keeps the scenario's token out of anything the test prints.
func (sc *scenario) redact(s string) string {
	return strings.ReplaceAll(s, sc.token, "[TOKEN]")
}

// run runs a program with the scenario's environment, bounded by
// clientTimeout. The error is nil when it exited 0.
func (sc *scenario) run(stdin, prog string, args ...string) (stdout, stderr string, err error) {
	sc.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = sc.env
	cmd.Dir = sc.home
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s timed out after %v", prog, clientTimeout)
	}
	return out.String(), errb.String(), err
}

// must runs a program and fails the test if it does not exit 0.
func (sc *scenario) must(stdin, prog string, args ...string) string {
	sc.t.Helper()
	out, errb, err := sc.run(stdin, prog, args...)
	if err != nil {
		sc.t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", filepath.Base(prog), strings.Join(args, " "), err,
			sc.redact(out), sc.redact(errb))
	}
	return out
}

// helper runs the freshly built helper.
func (sc *scenario) helper(stdin string, args ...string) (string, string, error) {
	sc.t.Helper()
	return sc.run(stdin, filepath.Join(sc.s.helperDir, name), args...)
}

// get asks the helper, over the protocol, for key's credentials.
func (sc *scenario) get(key string) (user, secret string, ok bool) {
	sc.t.Helper()
	out, _, err := sc.helper(key, "get")
	if err != nil {
		if strings.TrimSpace(out) != "credentials not found in native keychain" {
			sc.t.Fatalf("get %s: %v: %s", key, err, sc.redact(out))
		}
		return "", "", false
	}
	var c struct{ Username, Secret string }
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		sc.t.Fatalf("get %s printed something that is not JSON", key)
	}
	return c.Username, c.Secret, true
}

// list is the helper's protocol list.
func (sc *scenario) list() map[string]string {
	sc.t.Helper()
	out, errb, err := sc.helper("", "list")
	if err != nil {
		sc.t.Fatalf("list: %v: %s %s", err, out, errb)
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		sc.t.Fatalf("list printed %q", out)
	}
	return m
}

// entry is the part of `inspect --json` / `ls --json` the tests read.
type entry struct {
	ServerURL  string     `json:"serverURL"`
	Username   string     `json:"username"`
	Provider   string     `json:"provider"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	LastUsedBy string     `json:"lastUsedBy"`
	UseCount   int        `json:"useCount"`
	itemEntry
}

// itemEntry says where the secret lives (keys beyond issue 4's list).
type itemEntry struct {
	Key     string `json:"key"`
	Backend string `json:"backend"`
}

// inspect runs `inspect HOST --json`; ok is false (and the test marked
// failed, clearly) when the command is missing or fails.
func (sc *scenario) inspect(key string) (entry, bool) {
	sc.t.Helper()
	out, errb, err := sc.helper("", "inspect", key, "--json")
	var e entry
	if err != nil {
		sc.t.Errorf("docker-credential-pat inspect %s --json failed (is issue 4's inspect in this build?): %v\nstdout: %s\nstderr: %s",
			key, err, sc.redact(out), sc.redact(errb))
		return e, false
	}
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		sc.t.Errorf("inspect %s --json printed no entry object: %v\n%s", key, err, sc.redact(out))
		return e, false
	}
	return e, true
}

// lsHas reports whether `ls --json` lists host; ok is false (and the test
// marked failed) when ls is missing or fails.
func (sc *scenario) lsHas(host string) (has, ok bool) {
	sc.t.Helper()
	out, errb, err := sc.helper("", "ls", "--json")
	if err != nil {
		sc.t.Errorf("docker-credential-pat ls --json failed (is issue 4's ls in this build?): %v\nstdout: %s\nstderr: %s",
			err, sc.redact(out), sc.redact(errb))
		return false, false
	}
	var es []entry
	if err := json.Unmarshal([]byte(out), &es); err != nil {
		sc.t.Errorf("ls --json printed no array of entries: %v\n%s", err, sc.redact(out))
		return false, false
	}
	for _, e := range es {
		if strings.Contains(e.ServerURL, host) {
			return true, true
		}
	}
	return false, true
}

// keychainHas looks in the keychain itself, not through the helper, for
// the item of the entry whose key and backend `inspect --json` reported
// (see rememberItem): with secret-tool in the Secret Service, or in the
// kernel keyring from this process, which shares the session keyring the
// helper anchors in. checked is false when there is nothing to look with.
func (sc *scenario) keychainHas() (has, checked bool) {
	sc.t.Helper()
	switch sc.itemBackend {
	case "secretservice":
		tool, err := exec.LookPath("secret-tool")
		if err != nil {
			keychaintest.Skip(sc.t, "end-to-end tests", "secret-tool not installed", keychaintest.Apt("libsecret-tools"))
		}
		out, errb, err := sc.run("", tool, "search", "--all", "service", keychain.Service)
		if err != nil && strings.TrimSpace(out+errb) != "" {
			sc.t.Fatalf("secret-tool search: %v: %s", err, sc.redact(errb))
		}
		for line := range strings.SplitSeq(out+errb, "\n") {
			if strings.HasPrefix(line, "attribute.") && strings.Contains(line, sc.itemKey) {
				return true, true
			}
		}
		return false, true
	case "keyctl":
		b, err := keychain.NewKeyctl()
		if err != nil {
			sc.t.Fatalf("open the kernel keyring: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
		defer cancel()
		_, err = b.Get(ctx, sc.itemKey)
		if err != nil && !errors.Is(err, keychain.ErrNotFound) {
			sc.t.Fatalf("kernel keyring get %s: %v", sc.itemKey, err)
		}
		return err == nil, true
	}
	return false, false
}

// rememberItem records which backend holds the entry and under what key,
// for keychainHas.
func (sc *scenario) rememberItem(e itemEntry) {
	sc.itemKey, sc.itemBackend = e.Key, e.Backend
	if sc.s.keyring != nil && e.Backend != "secretservice" {
		sc.t.Logf("the helper chose the %s backend although a Secret Service is running", e.Backend)
	}
}

// noSecretInFiles fails if the token, or docker's base64 "auth" form of it,
// is in any file under the docker config, the state dir or HOME.
func (sc *scenario) noSecretInFiles() {
	sc.t.Helper()
	needles := [][]byte{[]byte(sc.token), []byte(base64Auth(sc.user, sc.token))}
	for _, root := range []string{sc.config, sc.state, sc.home} {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			for _, n := range needles {
				if bytes.Contains(b, n) {
					sc.t.Errorf("the token is in %s", path)
				}
			}
			return nil
		})
	}
}

// assertStored checks that a login went through the helper into the keychain.
func (sc *scenario) assertStored(client string) {
	sc.t.Helper()
	user, secret, ok := sc.get(sc.host)
	if !ok || user != sc.user || secret != sc.token {
		sc.t.Errorf("after %s login: helper get %s = (%q, token match %v, found %v), want (%q, the token)",
			client, sc.host, user, secret == sc.token, ok, sc.user)
	}
	if _, listed := sc.list()[sc.host]; !listed {
		sc.t.Errorf("after %s login: helper list has no %s", client, sc.host)
	}
	if e, ok := sc.inspect(sc.host); ok {
		sc.rememberItem(e.itemEntry)
		if has, checked := sc.keychainHas(); checked && !has {
			sc.t.Errorf("after %s login: the %s backend has no item %q", client, sc.itemBackend, sc.itemKey)
		} else if !checked {
			sc.t.Errorf("after %s login: cannot look in backend %q for the item", client, sc.itemBackend)
		}
	}
	sc.noSecretInFiles()
}

// useCount is the entry's useCount now, -1 if inspect fails.
func (sc *scenario) useCount() int {
	sc.t.Helper()
	e, ok := sc.inspect(sc.host)
	if !ok {
		return -1
	}
	return e.UseCount
}

// assertUsedBy checks that the entry records a use by client since the
// scenario started, beyond the before uses counted earlier.
func (sc *scenario) assertUsedBy(client string, before int) {
	sc.t.Helper()
	e, ok := sc.inspect(sc.host)
	if !ok || before < 0 {
		return
	}
	if e.LastUsedAt == nil || e.LastUsedAt.Before(sc.start) || e.LastUsedBy != client || e.UseCount <= before {
		sc.t.Errorf("after a %s fetch: lastUsedAt %v, lastUsedBy %q, useCount %d (was %d); want a use by %s since %v",
			client, e.LastUsedAt, e.LastUsedBy, e.UseCount, before, client, sc.start.UTC())
	}
}

// assertGone checks that a logout erased the entry everywhere.
func (sc *scenario) assertGone(client string) {
	sc.t.Helper()
	if has, _ := sc.keychainHas(); has {
		sc.t.Errorf("after %s logout: the %s backend still has item %q", client, sc.itemBackend, sc.itemKey)
	}
	if _, _, ok := sc.get(sc.host); ok {
		sc.t.Errorf("after %s logout: helper get %s still answers", client, sc.host)
	}
	if _, listed := sc.list()[sc.host]; listed {
		sc.t.Errorf("after %s logout: helper list still has %s", client, sc.host)
	}
	if has, ok := sc.lsHas(sc.host); ok && has {
		sc.t.Errorf("after %s logout: ls --json still lists %s", client, sc.host)
	}
	sc.noSecretInFiles()
}

// pushArtifact puts an image at host/repo:v1 with crane, so that there is
// something to fetch. It stores the credentials with the helper protocol and
// erases them again, leaving the scenario as it was.
func (sc *scenario) pushArtifact(repo string) string {
	sc.t.Helper()
	ref := sc.host + "/" + repo + ":v1"
	crane := sc.s.requireClient(sc.t, "crane")
	sc.storeDirect(sc.host)
	sc.must("", crane, "append", "-f", sc.layerTar(), "-t", ref)
	if _, _, err := sc.helper(sc.host, "erase"); err != nil {
		sc.t.Fatalf("erase after seeding: %v", err)
	}
	return ref
}

// storeDirect stores the scenario's credentials under key with the
// protocol, as a client's login would.
func (sc *scenario) storeDirect(key string) {
	sc.t.Helper()
	in, _ := json.Marshal(map[string]string{"ServerURL": key, "Username": sc.user, "Secret": sc.token})
	if out, errb, err := sc.helper(string(in), "store"); err != nil {
		sc.t.Fatalf("store %s: %v: %s %s", key, err, sc.redact(out), sc.redact(errb))
	}
}

// layerTar writes a tar with one file of random bytes and returns its path.
func (sc *scenario) layerTar() string {
	sc.t.Helper()
	data := make([]byte, 256<<10)
	rand.Read(data)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "e2e/random.bin", Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg})
	tw.Write(data)
	if err := tw.Close(); err != nil {
		sc.t.Fatal(err)
	}
	path := filepath.Join(sc.t.TempDir(), "layer.tar")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		sc.t.Fatal(err)
	}
	return path
}

// loginFlow: log in with the client (token on stdin), check the keychain,
// fetch a manifest with it, check the use, log out, check it is gone.
func (sc *scenario) loginFlow(client string, login, fetch, logout []string) {
	sc.t.Helper()
	sc.must(sc.token, login[0], login[1:]...)
	sc.assertStored(client)
	before := sc.useCount()
	out := sc.must("", fetch[0], fetch[1:]...)
	if !strings.Contains(out, "schemaVersion") {
		sc.t.Errorf("%s fetch printed no manifest: %.200s", client, out)
	}
	sc.assertUsedBy(client, before)
	// docker erases several spellings of the host; none may draw a complaint.
	out, errb, err := sc.run("", logout[0], logout[1:]...)
	if err != nil || strings.Contains(out+errb, name) || strings.Contains(strings.ToLower(errb), "could not erase") {
		sc.t.Errorf("%s logout: %v\nstdout: %s\nstderr: %s", client, err, sc.redact(out), sc.redact(errb))
	}
	sc.assertGone(client)
}

func (s *e2eSuite) testCrane(t *testing.T) {
	crane := s.requireClient(t, "crane")
	sc := s.newScenario(t)
	ref := sc.pushArtifact("e2e/crane")
	sc.loginFlow("crane",
		[]string{crane, "auth", "login", sc.host, "-u", sc.user, "--password-stdin"},
		[]string{crane, "manifest", ref},
		[]string{crane, "auth", "logout", sc.host})
}

func (s *e2eSuite) testOras(t *testing.T) {
	oras := s.requireClient(t, "oras")
	sc := s.newScenario(t)
	ref := sc.pushArtifact("e2e/oras")
	sc.loginFlow("oras",
		[]string{oras, "login", "--plain-http", "-u", sc.user, "--password-stdin", sc.host},
		[]string{oras, "manifest", "fetch", "--plain-http", ref},
		[]string{oras, "logout", sc.host})
}

// The docker CLI without a daemon: login falls back to logging in client
// side, `manifest inspect` is client side, logout only touches the store.
func (s *e2eSuite) testDocker(t *testing.T) {
	docker := s.requireClient(t, "docker")
	sc := s.newScenario(t)
	ref := sc.pushArtifact("e2e/docker")
	sc.loginFlow("docker",
		[]string{docker, "login", "-u", sc.user, "--password-stdin", sc.host},
		[]string{docker, "manifest", "inspect", "--insecure", ref},
		[]string{docker, "logout", sc.host})
}

// skopeo honours credHelpers, not credsStore: the registry is routed to the
// helper by name, as a user of skopeo would have to.
func (s *e2eSuite) testSkopeo(t *testing.T) {
	skopeo := s.requireClient(t, "skopeo")
	sc := s.newScenario(t)
	ref := sc.pushArtifact("e2e/skopeo")
	sc.writeConfig(map[string]any{"credsStore": "pat", "credHelpers": map[string]string{sc.host: "pat"}})
	authfile := filepath.Join(sc.config, "config.json")
	sc.loginFlow("skopeo",
		[]string{skopeo, "login", "--authfile", authfile, "--tls-verify=false", "-u", sc.user, "--password-stdin", sc.host},
		[]string{skopeo, "inspect", "--raw", "--authfile", authfile, "--tls-verify=false", "docker://" + ref},
		[]string{skopeo, "logout", "--authfile", authfile, sc.host})
}

// skopeo 1.9 (containers/image) ignores credsStore: its login writes the
// base64 password into config.json and drops the credsStore key, which is
// why testSkopeo (and the README) use credHelpers {"HOST": "pat"}. This pins
// that: when it fails, skopeo has learnt credsStore, and the credHelpers
// advice can go.
func (s *e2eSuite) testSkopeoCredsStore(t *testing.T) {
	skopeo := s.requireClient(t, "skopeo")
	sc := s.newScenario(t)
	authfile := filepath.Join(sc.config, "config.json")
	sc.must(sc.token, skopeo, "login", "--authfile", authfile, "--tls-verify=false", "-u", sc.user, "--password-stdin", sc.host)
	b, err := os.ReadFile(authfile)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		CredsStore *string `json:"credsStore"`
		Auths      map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("config.json after skopeo login: %v", err)
	}
	if _, _, ok := sc.get(sc.host); ok || cfg.Auths[sc.host].Auth != base64Auth(sc.user, sc.token) {
		t.Errorf("skopeo login with credsStore: helper has it %v, config.json has it %v: "+
			"skopeo now honours credsStore; use it in testSkopeo and drop the credHelpers advice",
			ok, cfg.Auths[sc.host].Auth == base64Auth(sc.user, sc.token))
	}
}

// regctl reads docker's credsStore, but its own `registry login` and
// `registry logout` keep the password in ~/.regctl/config.json and never
// call a helper. So the credentials come from the helper protocol (as any
// other client's login would leave them) and regctl only fetches.
func (s *e2eSuite) testRegctl(t *testing.T) {
	regctl := s.requireClient(t, "regctl")
	sc := s.newScenario(t)
	ref := sc.pushArtifact("e2e/regctl")
	// Plain HTTP for this host; regctl pings it anonymously while at it.
	sc.run("", regctl, "registry", "set", sc.host, "--tls", "disabled")
	sc.storeDirect(sc.host)
	sc.assertStored("regctl")
	before := sc.useCount()
	out := sc.must("", regctl, "manifest", "get", "--format", "raw-body", ref)
	if !strings.Contains(out, "schemaVersion") {
		t.Errorf("regctl manifest get printed no manifest: %.200s", out)
	}
	// regctl runs `list` and then `get` of the one host it needs: that is
	// a use, not docker's read-every-credential bulk pattern.
	sc.assertUsedBy("regctl", before)
	if _, _, err := sc.helper(sc.host, "erase"); err != nil {
		t.Fatalf("erase: %v", err)
	}
	sc.assertGone("regctl")
	if _, errb, err := sc.run("", regctl, "manifest", "get", ref); err == nil {
		t.Errorf("regctl fetched %s after the credentials were erased", ref)
	} else if strings.Contains(errb, name) {
		t.Errorf("regctl's error quotes the helper: %s", sc.redact(errb))
	}
}

// An image pushed through the helper's credentials comes back byte for
// byte, through every client that can read it.
func (s *e2eSuite) testPushPull(t *testing.T) {
	crane := s.requireClient(t, "crane")
	sc := s.newScenario(t)
	sc.must(sc.token, crane, "auth", "login", sc.host, "-u", sc.user, "--password-stdin")
	sc.assertStored("crane")

	layer := sc.layerTar()
	want, err := os.ReadFile(layer)
	if err != nil {
		t.Fatal(err)
	}
	ref := sc.host + "/e2e/bytes:v1"
	pushed := strings.TrimSpace(sc.must("", crane, "append", "-f", layer, "-t", ref))
	digest := strings.TrimSpace(sc.must("", crane, "digest", ref))
	if !strings.HasSuffix(pushed, "@"+digest) {
		t.Fatalf("crane append pushed %q, the registry serves %s", pushed, digest)
	}
	manifest := sc.must("", crane, "manifest", ref)
	if got := "sha256:" + sha256Hex([]byte(manifest)); got != digest {
		t.Fatalf("manifest bytes hash to %s, digest is %s", got, digest)
	}
	var m struct {
		Layers []struct{ Digest string } `json:"layers"`
	}
	if err := json.Unmarshal([]byte(manifest), &m); err != nil || len(m.Layers) != 1 {
		t.Fatalf("manifest has %d layers (%v), want 1", len(m.Layers), err)
	}
	layerDigest := m.Layers[0].Digest
	blob := sc.must("", crane, "blob", sc.host+"/e2e/bytes@"+layerDigest)
	checkLayer := func(client string, blob []byte) {
		t.Helper()
		if got := "sha256:" + sha256Hex(blob); got != layerDigest {
			t.Errorf("%s: layer blob hashes to %s, manifest says %s", client, got, layerDigest)
			return
		}
		zr, err := gzip.NewReader(bytes.NewReader(blob))
		if err != nil {
			t.Errorf("%s: layer is not gzip: %v", client, err)
			return
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: layer uncompressed differs from the pushed tar (%d bytes vs %d, %v)", client, len(got), len(want), err)
		}
	}
	checkLayer("crane blob", []byte(blob))

	t.Run("skopeo-copy", func(t *testing.T) {
		skopeo := s.requireClient(t, "skopeo")
		sc.writeConfig(map[string]any{"credsStore": "pat", "credHelpers": map[string]string{sc.host: "pat"}})
		defer sc.writeConfig(map[string]any{"credsStore": "pat"})
		out := filepath.Join(t.TempDir(), "image")
		sc.must("", skopeo, "copy", "--authfile", filepath.Join(sc.config, "config.json"), "--src-tls-verify=false",
			"docker://"+ref, "dir:"+out)
		b, err := os.ReadFile(filepath.Join(out, strings.TrimPrefix(layerDigest, "sha256:")))
		if err != nil {
			t.Fatal(err)
		}
		checkLayer("skopeo copy", b)
		mb, err := os.ReadFile(filepath.Join(out, "manifest.json"))
		if err != nil || "sha256:"+sha256Hex(mb) != digest {
			t.Errorf("skopeo copied a manifest that is not the pushed one (%v)", err)
		}
	})
	t.Run("regctl-blob", func(t *testing.T) {
		regctl := s.requireClient(t, "regctl")
		sc.run("", regctl, "registry", "set", sc.host, "--tls", "disabled")
		checkLayer("regctl blob get", []byte(sc.must("", regctl, "blob", "get", sc.host+"/e2e/bytes", layerDigest)))
	})
	t.Run("oras-file", func(t *testing.T) {
		oras := s.requireClient(t, "oras")
		dir := t.TempDir()
		data := make([]byte, 64<<10)
		rand.Read(data)
		if err := os.WriteFile(filepath.Join(dir, "payload.bin"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		// oras runs in dir, to push the file under a relative name.
		push := func(args ...string) string {
			ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, oras, args...)
			cmd.Env, cmd.Dir = sc.env, dir
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("oras %s: %v\n%s", strings.Join(args, " "), err, sc.redact(string(out)))
			}
			return string(out)
		}
		aref := sc.host + "/e2e/file:v1"
		push("push", "--plain-http", aref, "payload.bin")
		fetched := push("manifest", "fetch", "--plain-http", aref)
		if !strings.Contains(fetched, "sha256:"+sha256Hex(data)) {
			t.Errorf("oras manifest does not name the payload's digest sha256:%s", sha256Hex(data))
		}
		outDir := filepath.Join(dir, "pulled")
		push("pull", "--plain-http", "-o", outDir, aref)
		got, err := os.ReadFile(filepath.Join(outDir, "payload.bin"))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("oras pulled back %d bytes that differ from the %d pushed (%v)", len(got), len(data), err)
		}
	})

	sc.must("", crane, "auth", "logout", sc.host)
	sc.assertGone("crane")
}

// Docker Hub's key forms, with no network: a credential stored under
// https://index.docker.io/v1/ is found for docker.io, index.docker.io and
// registry-1.docker.io, and docker's and oras's logouts erase it.
func (s *e2eSuite) testDockerHubKeys(t *testing.T) {
	crane := s.requireClient(t, "crane")
	sc := s.scenarioFor(t, "index.docker.io", "e2ehub", dockerHubPAT(t), false)
	seed := func() {
		t.Helper()
		sc.storeDirect(hubKey)
		// As docker login leaves it: the key in auths, the secret in the helper.
		sc.writeConfig(map[string]any{"credsStore": "pat", "auths": map[string]any{hubKey: map[string]any{}}})
	}
	seed()
	sc.noSecretInFiles()
	for _, form := range []string{"docker.io", "index.docker.io", "registry-1.docker.io"} {
		out, errb, err := sc.run("", crane, "auth", "get", form)
		var c struct{ Username, Secret string }
		if err != nil || json.Unmarshal([]byte(out), &c) != nil || c.Username != sc.user || c.Secret != sc.token {
			t.Errorf("crane auth get %s: user %q, token match %v, err %v: %s", form, c.Username, c.Secret == sc.token, err, sc.redact(errb))
		}
	}
	hubGone := func(how string) {
		t.Helper()
		if _, listed := sc.list()[hubKey]; listed {
			t.Errorf("after %s: helper list still has %s", how, hubKey)
		}
		if _, _, ok := sc.get("docker.io"); ok {
			t.Errorf("after %s: helper get docker.io still answers", how)
		}
		if has, ok := sc.lsHas("index.docker.io"); ok && has {
			t.Errorf("after %s: ls --json still lists Docker Hub", how)
		}
	}
	t.Run("docker-logout", func(t *testing.T) {
		docker := s.requireClient(t, "docker")
		for _, args := range [][]string{{"logout"}, {"logout", "docker.io"}} {
			seed()
			sc.must("", docker, args...)
			hubGone("docker " + strings.Join(args, " "))
		}
	})
	t.Run("oras-logout", func(t *testing.T) {
		oras := s.requireClient(t, "oras")
		seed()
		sc.must("", oras, "logout", "docker.io")
		hubGone("oras logout docker.io")
	})
	sc.helper(hubKey, "erase")
}

// unauthorizedRe matches the clients' own words for a refused login.
var unauthorizedRe = regexp.MustCompile(`(?i)unauthori[sz]ed|invalid username/password|authentication required`)

// A wrong token: the client says so in its own words, the helper says
// nothing, and nothing is stored.
func (s *e2eSuite) testWrongToken(t *testing.T) {
	sc := s.newScenario(t)
	wrong := randomToken(40)
	ref := sc.pushArtifact("e2e/wrong")
	authfile := filepath.Join(sc.config, "config.json")
	refused := func(t *testing.T, client string, login ...string) {
		t.Helper()
		_, errb, err := sc.run(wrong, login[0], login[1:]...)
		if err == nil {
			t.Fatalf("%s login with a wrong token succeeded", client)
		}
		if !unauthorizedRe.MatchString(errb) || strings.Contains(errb, name) {
			t.Errorf("%s: want the client's own refusal, not the helper's; stderr: %s", client, strings.ReplaceAll(errb, wrong, "[WRONG]"))
		}
		t.Logf("%s says: %s", client, strings.TrimSpace(strings.ReplaceAll(errb, wrong, "[WRONG]")))
		if _, listed := sc.list()[sc.host]; listed {
			t.Errorf("%s: a refused login left %s in the helper", client, sc.host)
		}
		if out, _, err := sc.helper("", "inspect", sc.host, "--json"); err == nil {
			t.Errorf("%s: a refused login left an entry: %s", client, sc.redact(out))
		}
	}
	t.Run("docker", func(t *testing.T) {
		docker := s.requireClient(t, "docker")
		refused(t, "docker", docker, "login", "-u", sc.user, "--password-stdin", sc.host)
	})
	t.Run("oras", func(t *testing.T) {
		oras := s.requireClient(t, "oras")
		refused(t, "oras", oras, "login", "--plain-http", "-u", sc.user, "--password-stdin", sc.host)
	})
	t.Run("skopeo", func(t *testing.T) {
		skopeo := s.requireClient(t, "skopeo")
		sc.writeConfig(map[string]any{"credsStore": "pat", "credHelpers": map[string]string{sc.host: "pat"}})
		defer sc.writeConfig(map[string]any{"credsStore": "pat"})
		refused(t, "skopeo", skopeo, "login", "--authfile", authfile, "--tls-verify=false", "-u", sc.user, "--password-stdin", sc.host)
	})
	// crane's login does not ask the registry: it stores what it is given,
	// and the fetch is what fails, in crane's words.
	t.Run("crane", func(t *testing.T) {
		crane := s.requireClient(t, "crane")
		sc.must(wrong, crane, "auth", "login", sc.host, "-u", sc.user, "--password-stdin")
		_, errb, err := sc.run("", crane, "manifest", ref)
		if err == nil {
			t.Fatalf("crane fetched %s with a wrong token", ref)
		}
		if !unauthorizedRe.MatchString(errb) || strings.Contains(errb, name) {
			t.Errorf("crane: want the registry's refusal in crane's words; stderr: %s", strings.ReplaceAll(errb, wrong, "[WRONG]"))
		}
		sc.must("", crane, "auth", "logout", sc.host)
		if _, listed := sc.list()[sc.host]; listed {
			t.Errorf("crane logout left %s in the helper", sc.host)
		}
	})
}

// The registry token flow: the helper's credential is what the clients
// send to the token endpoint, and the scopes they get are the grant table's.
func (s *e2eSuite) testTokenAuth(t *testing.T) {
	crane := s.requireClient(t, "crane")
	token := randomToken(40)
	reg := startTokenRegistry(t, map[string]tokenUser{
		"e2e": {Secret: token, Grants: map[string][]string{"e2e/app": {"pull", "push"}, "e2e/readonly": {"pull"}}},
	})
	sc := s.scenarioFor(t, reg.Host, "e2e", token, true)
	sc.must(token, crane, "auth", "login", sc.host, "-u", sc.user, "--password-stdin")
	sc.assertStored("crane")
	ref := sc.host + "/e2e/app:v1"
	sc.must("", crane, "append", "-f", sc.layerTar(), "-t", ref)
	before := sc.useCount()
	sc.must("", crane, "manifest", ref)
	sc.assertUsedBy("crane", before)
	if _, errb, err := sc.run("", crane, "append", "-f", sc.layerTar(), "-t", sc.host+"/e2e/readonly:v1"); err == nil {
		t.Errorf("crane pushed to e2e/readonly with a pull-only grant")
	} else if strings.Contains(errb, name) {
		t.Errorf("a denied push quotes the helper: %s", sc.redact(errb))
	}
	var authed bool
	for _, r := range reg.Requests() {
		if r.Account == "e2e" && r.Status == 200 && strings.HasPrefix(r.UserAgent, "crane") {
			authed = true
		}
	}
	if !authed {
		t.Errorf("the token endpoint never saw crane authenticate as e2e: %+v", reg.Requests())
	}
	t.Run("oras", func(t *testing.T) {
		oras := s.requireClient(t, "oras")
		out := sc.must("", oras, "manifest", "fetch", "--plain-http", ref)
		if !strings.Contains(out, "schemaVersion") {
			t.Errorf("oras fetched no manifest through the token flow: %.200s", out)
		}
	})
	sc.must("", crane, "auth", "logout", sc.host)
	sc.assertGone("crane")
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// base64Auth is docker's "auth" field for user:secret.
func base64Auth(user, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + secret))
}
