package dockerconfig

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/credstoretest"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/hint"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
)

// fixtureSecrets are the generated secrets in a real-world config.
type fixtureSecrets struct {
	hub, ghcr, password, acrPassword, acrIdentity, gcr string
}

func (s fixtureSecrets) all() []string {
	return []string{s.hub, s.ghcr, s.password, s.acrPassword, s.acrIdentity, s.gcr}
}

// realWorldConfig writes testdata/docker-config-realworld.json, with fresh
// secrets in place of its placeholders, to a new directory with mode perm.
func realWorldConfig(t *testing.T, perm os.FileMode) (dir string, s fixtureSecrets, data []byte) {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join("testdata", "docker-config-realworld.json"))
	if err != nil {
		t.Fatal(err)
	}
	s = fixtureSecrets{
		hub:         credstoretest.Opaque("tok_hub_"),
		ghcr:        credstoretest.Opaque("tok_ghcr_"),
		password:    credstoretest.Opaque("pw-"),
		acrPassword: credstoretest.Opaque("pw-"),
		acrIdentity: credstoretest.Opaque("tok_acr_"),
		gcr:         credstoretest.Opaque("tok_gcr_"),
	}
	data = []byte(strings.NewReplacer(
		"@@HUB_AUTH@@", credstoretest.BasicAuth("hubuser", s.hub),
		"@@GHCR_AUTH@@", credstoretest.BasicAuth("octocat", s.ghcr),
		"@@PASSWORD_AUTH@@", credstoretest.BasicAuth("alice", s.password),
		"@@ACR_AUTH@@", credstoretest.BasicAuth("00000000-0000-0000-0000-000000000000", s.acrPassword),
		"@@ACR_IDENTITY_TOKEN@@", s.acrIdentity,
		"@@GCR_AUTH@@", credstoretest.BasicAuth("_json_key", s.gcr),
	).Replace(string(tmpl)))
	dir = t.TempDir()
	writeConfig(t, dir, data, perm)
	return dir, s, data
}

func writeConfig(t *testing.T, dir string, data []byte, perm os.FileMode) {
	t.Helper()
	p := filepath.Join(dir, DockerConfigFile)
	if err := os.WriteFile(p, data, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil { // past the umask
		t.Fatal(err)
	}
}

// topLevel decodes a config file's top-level keys, each compacted.
func topLevel(t *testing.T, data []byte) map[string]string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("config does not decode: %v\n%s", err, data)
	}
	out := map[string]string{}
	for k, v := range m {
		var b bytes.Buffer
		if err := json.Compact(&b, v); err != nil {
			t.Fatal(err)
		}
		out[k] = b.String()
	}
	return out
}

func authsOf(t *testing.T, data []byte) map[string]map[string]string {
	t.Helper()
	var cfg struct {
		Auths map[string]map[string]string `json:"auths"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.Auths
}

func backups(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, DockerConfigFile+".bak*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDockerConfigDir(t *testing.T) {
	t.Setenv(EnvDockerConfig, "/somewhere/else")
	if d, err := DockerConfigDir(); err != nil || d != "/somewhere/else" {
		t.Fatalf("DockerConfigDir() = %q, %v with DOCKER_CONFIG set", d, err)
	}
	t.Setenv(EnvDockerConfig, "")
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	if d, err := DockerConfigDir(); err != nil || d != filepath.Join(home, ".docker") {
		t.Fatalf("DockerConfigDir() = %q, %v; want %q", d, err, filepath.Join(home, ".docker"))
	}
}

func TestDockerConfigMissingFileIsEmptyAndCreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", ".docker")
	c, err := LoadDockerConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path() != filepath.Join(dir, DockerConfigFile) || c.Exists() || c.CredsStore() != "" {
		t.Fatalf("missing file: path %q exists %v credsStore %q", c.Path(), c.Exists(), c.CredsStore())
	}
	if p, err := c.PlaintextAuths(); err != nil || len(p) != 0 {
		t.Fatalf("PlaintextAuths() = %v, %v", p, err)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Save of an unchanged missing config wrote a file (stat: %v)", err)
	}
	c.SetCredsStore("pat")
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(c.Path())
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "{\n\t\"credsStore\": \"pat\"\n}\n" {
		t.Fatalf("new config.json = %q", data)
	}
	if runtime.GOOS != "windows" {
		if st, _ := os.Stat(c.Path()); st.Mode().Perm() != 0o600 {
			t.Fatalf("new config.json mode %v, want 0600", st.Mode().Perm())
		}
		if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
			t.Fatalf("new config directory mode %v, want 0700", st.Mode().Perm())
		}
	}
	if b := backups(t, dir); len(b) != 0 || c.Backup() != "" {
		t.Fatalf("a new file needs no backup, got %v", b)
	}
}

func TestDockerConfigMalformedIsAnError(t *testing.T) {
	for name, content := range map[string]string{
		"truncated":          `{"auths": {`,
		"array":              `[]`,
		"string":             `"credsStore"`,
		"auths not object":   `{"auths": []}`,
		"auths entry number": `{"auths": {"ghcr.io": 5}}`,
		"credHelpers values": `{"credHelpers": {"gcr.io": 1}}`,
		"credsStore number":  `{"credsStore": 1}`,
		"two objects":        `{} {}`,
		"trailing garbage":   `{"credsStore": "pat"} x`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeConfig(t, dir, []byte(content), 0o600)
			c, err := LoadDockerConfig(dir)
			if err == nil {
				t.Fatalf("LoadDockerConfig(%q) = %+v, want an error", content, c)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), filepath.Join(dir, DockerConfigFile)) {
				t.Fatalf("error %q does not name the file", err)
			}
		})
	}
	t.Run("directory", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, DockerConfigFile), 0o700); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadDockerConfig(dir); err == nil {
			t.Fatal("a directory named config.json loaded as a config")
		}
	})
	t.Run("empty file", func(t *testing.T) {
		dir := t.TempDir()
		writeConfig(t, dir, []byte(" \n"), 0o600)
		c, err := LoadDockerConfig(dir)
		if err != nil || !c.Exists() {
			t.Fatalf("an empty file, as docker reads it, is an empty config: %v", err)
		}
	})
}

func TestDockerConfigReadsRealWorldFile(t *testing.T) {
	dir, s, _ := realWorldConfig(t, 0o600)
	c, err := LoadDockerConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.CredsStore() != "" {
		t.Fatalf("credsStore %q", c.CredsStore())
	}
	if h := c.CredHelpers(); len(h) != 2 || h["gcr.io"] != "gcloud" {
		t.Fatalf("credHelpers %v", h)
	}
	plain, err := c.PlaintextAuths()
	var me *MalformedAuthsError
	if !errors.As(err, &me) || len(me.Entries) != 1 || me.Entries[0].ServerURL != "broken.example.com" {
		t.Fatalf("PlaintextAuths error = %v, want broken.example.com reported", err)
	}
	want := []PlainAuth{
		{ServerURL: registryurl.HubKey, Username: "hubuser", Secret: token.NewSecret(s.hub)},
		{ServerURL: "ghcr.io", Username: "octocat", Secret: token.NewSecret(s.ghcr)},
		{ServerURL: "registry.example.com:5000", Username: "alice", Secret: token.NewSecret(s.password)},
		{ServerURL: "myregistry.azurecr.io", Username: "00000000-0000-0000-0000-000000000000",
			Secret: token.NewSecret(s.acrIdentity), IdentityToken: true},
		{ServerURL: "gcr.io", Username: "_json_key", Secret: token.NewSecret(s.gcr)},
	}
	if len(plain) != len(want) {
		t.Fatalf("got %d plaintext entries, want %d: %+v", len(plain), len(want), plain)
	}
	for i := range want {
		if plain[i] != want[i] || plain[i].Secret.Reveal() != want[i].Secret.Reveal() {
			t.Errorf("entry %d = %+v, want %+v", i, plain[i], want[i])
		}
	}
	if _, user, sec := plain[3].Credentials(); user != "<token>" || sec.Reveal() != s.acrIdentity {
		t.Errorf("identity token credentials: username %q", user)
	}
}

func TestPlaintextAuthsForms(t *testing.T) {
	pass := credstoretest.Opaque("tok_")
	dir := t.TempDir()
	cfg := map[string]any{"auths": map[string]any{
		"unpadded.example":  map[string]string{"auth": strings.TrimRight(credstoretest.BasicAuth("u1", pass+"x"), "=")},
		"fields.example":    map[string]string{"username": "u2", "password": pass},
		"colon.example":     map[string]string{"auth": credstoretest.BasicAuth("u3", pass+":with:colons")},
		"useronly.example":  map[string]string{"username": "u4"},
		"emptypass.example": map[string]string{"auth": credstoretest.BasicAuth("u5", "")},
		"nocolon.example":   map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(pass))},
		"nouser.example":    map[string]string{"password": pass},
		"number.example":    map[string]any{"auth": 12},
		"null.example":      nil,
	}}
	data, _ := json.Marshal(cfg)
	writeConfig(t, dir, data, 0o600)
	c, err := LoadDockerConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := c.PlaintextAuths()
	got := map[string]string{}
	for _, p := range plain {
		got[p.ServerURL] = p.Username + " " + p.Secret.Reveal()
	}
	want := map[string]string{
		"unpadded.example": "u1 " + pass + "x",
		"fields.example":   "u2 " + pass,
		"colon.example":    "u3 " + pass + ":with:colons",
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	var me *MalformedAuthsError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want the malformed entries", err)
	}
	bad := map[string]bool{}
	for _, m := range me.Entries {
		bad[m.ServerURL] = true
	}
	for _, k := range []string{"nocolon.example", "nouser.example", "number.example"} {
		if !bad[k] {
			t.Errorf("%s not reported as malformed: %v", k, err)
		}
	}
	if strings.Contains(err.Error(), pass) {
		t.Fatal("the malformed-entry error quotes a secret")
	}
}

func TestRemovePlaintextAndSaveKeepEverythingElse(t *testing.T) {
	dir, s, orig := realWorldConfig(t, 0o640)
	c, err := LoadDockerConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) }
	c.SetCredsStore("pat")
	c.RemovePlaintext("ghcr.io")
	c.RemovePlaintext("myregistry.azurecr.io")
	c.RemovePlaintext("no.such.entry")
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(c.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range []string{s.ghcr, credstoretest.BasicAuth("octocat", s.ghcr), s.acrIdentity} {
		if bytes.Contains(data, []byte(sec)) {
			t.Fatal("a removed secret is still in config.json")
		}
	}
	before, after := topLevel(t, orig), topLevel(t, data)
	for k, v := range before {
		if k != "auths" && after[k] != v {
			t.Errorf("key %q changed:\n was %s\n now %s", k, v, after[k])
		}
	}
	if after["credsStore"] != `"pat"` || len(after) != len(before)+1 {
		t.Errorf("credsStore %s; %d keys, was %d", after["credsStore"], len(after), len(before))
	}
	if !bytes.Contains(data, []byte(`"numbers": [`)) || !bytes.Contains(data, []byte("1.50,")) ||
		!bytes.Contains(data, []byte("12345678901234567890")) {
		t.Errorf("numbers were not kept verbatim:\n%s", data)
	}
	// Key order is kept: currentContext still follows credHelpers.
	if bytes.Index(data, []byte(`"credHelpers"`)) > bytes.Index(data, []byte(`"currentContext"`)) {
		t.Errorf("key order changed:\n%s", data)
	}
	a := authsOf(t, data)
	if len(a) != 7 {
		t.Fatalf("auths has %d entries, want all 7 kept: %v", len(a), a)
	}
	if len(a["ghcr.io"]) != 1 || a["ghcr.io"]["email"] != "ci@example.com" {
		t.Errorf("ghcr.io entry = %v, want only its email", a["ghcr.io"])
	}
	if len(a["myregistry.azurecr.io"]) != 0 {
		t.Errorf("azurecr entry = %v, want {}", a["myregistry.azurecr.io"])
	}
	if a[registryurl.HubKey]["auth"] != credstoretest.BasicAuth("hubuser", s.hub) || a["quay.io"] == nil {
		t.Errorf("untouched entries changed: %v", a)
	}
	if !bytes.HasPrefix(data, []byte("{\n\t\"auths\": {\n\t\t")) || !bytes.HasSuffix(data, []byte("}\n")) {
		t.Errorf("not written as docker writes it (tabs, final newline):\n%s", data)
	}

	// The backup holds the previous content, privately.
	b := backups(t, dir)
	if len(b) != 1 || b[0] != c.Backup() || filepath.Base(b[0]) != "config.json.bak-20260304T050607Z" {
		t.Fatalf("backups %v, Backup() %q", b, c.Backup())
	}
	if got, _ := os.ReadFile(b[0]); !bytes.Equal(got, orig) {
		t.Fatal("backup differs from the previous config.json")
	}
	if runtime.GOOS != "windows" {
		if st, _ := os.Stat(b[0]); st.Mode().Perm() != 0o600 {
			t.Errorf("backup mode %v, want 0600", st.Mode().Perm())
		}
		if st, _ := os.Stat(c.Path()); st.Mode().Perm() != 0o640 {
			t.Errorf("config.json mode %v, want its previous 0640", st.Mode().Perm())
		}
	}

	// Unchanged: Save writes nothing and makes no backup.
	c2, err := LoadDockerConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	c2.SetCredsStore("pat")
	c2.RemovePlaintext("ghcr.io")
	if c2.Changed() {
		t.Fatal("setting what is already there counts as a change")
	}
	// A second save in the same second does not overwrite the first backup.
	c2.now = c.now
	c2.SetCredsStore("other")
	if err := c2.Save(); err != nil {
		t.Fatal(err)
	}
	if b := backups(t, dir); len(b) != 2 || !strings.HasSuffix(c2.Backup(), "Z-1") {
		t.Fatalf("backups after a second save: %v", b)
	}
}

func TestSaveRefusesAConcurrentChange(t *testing.T) {
	dir, _, _ := realWorldConfig(t, 0o600)
	c, err := LoadDockerConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.SetCredsStore("pat")
	theirs := []byte(`{"credsStore": "desktop"}`)
	writeConfig(t, dir, theirs, 0o600)
	if err := c.Save(); err == nil {
		t.Fatal("Save wrote over a file another program changed")
	}
	if got, _ := os.ReadFile(c.Path()); !bytes.Equal(got, theirs) {
		t.Fatal("the other program's file was changed")
	}
	if b := backups(t, dir); len(b) != 0 {
		t.Fatalf("backup written for a refused save: %v", b)
	}
}

func TestSaveFollowsASymlinkedConfig(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	real := t.TempDir()
	writeConfig(t, real, []byte(`{"currentContext": "x"}`), 0o600)
	dir := t.TempDir()
	link := filepath.Join(dir, DockerConfigFile)
	if err := os.Symlink(filepath.Join(real, DockerConfigFile), link); err != nil {
		t.Fatal(err)
	}
	c, err := LoadDockerConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.SetCredsStore("pat")
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symbolic link was replaced (%v)", err)
	}
	got, _ := os.ReadFile(filepath.Join(real, DockerConfigFile))
	if !bytes.Contains(got, []byte(`"credsStore": "pat"`)) || !bytes.Contains(got, []byte(`"currentContext": "x"`)) {
		t.Fatalf("link target = %s", got)
	}
}

// The backup of a symbolic-linked config.json is written beside the
// link's target, and PlaintextBackups finds it there.
func TestPlaintextBackupsOfASymlinkedConfig(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	dotfiles := t.TempDir()
	target := filepath.Join(dotfiles, "docker-config.json")
	if err := os.WriteFile(target, []byte(`{"auths": {"ghcr.io": {"auth": "`+credstoretest.BasicAuth("me", credstoretest.GitHub("ghp_"))+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(target, filepath.Join(dir, DockerConfigFile)); err != nil {
		t.Fatal(err)
	}
	c, err := LoadDockerConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.SetCredsStore("pat")
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Backup(), target+".bak-") {
		t.Fatalf("backup %q is not beside the link's target", c.Backup())
	}
	got, err := PlaintextBackups(dir)
	if err != nil || len(got) != 1 || got[0].Path != c.Backup() || got[0].Credentials != 1 {
		t.Fatalf("PlaintextBackups = %+v, %v; want the backup %s", got, err, c.Backup())
	}
}

func TestConfigKeysAreNotHTMLEscaped(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, []byte(`{"psFormat": "<b>{{.ID}}</b> & co", "auths": {"a&b.example": {"auth": "`+credstoretest.BasicAuth("u", "p")+`"}}}`), 0o600)
	c, err := LoadDockerConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.SetCredsStore("p<a>t")
	c.RemovePlaintext("a&b.example")
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(c.Path())
	for _, want := range []string{`"<b>{{.ID}}</b> & co"`, `"a&b.example": {}`, `"credsStore": "p<a>t"`} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("%s missing from\n%s", want, got)
		}
	}
}

func TestMalformedConfigHint(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, []byte(`{"auths": {`), 0o600)
	_, err := LoadDockerConfig(dir)
	if h := hint.First(err); h != "python3 -m json.tool "+filepath.Join(dir, DockerConfigFile) {
		t.Fatalf("hint %q for %v", h, err)
	}
}

// FuzzRawObjectRoundTrip: whatever encoding/json reads as an object, a
// rewrite keeps: the same keys with the same values.
func FuzzRawObjectRoundTrip(f *testing.F) {
	f.Add([]byte(`{"a": 1, "b": {"c": [1.50, "x\u003c"]}, "a": 2}`))
	f.Add([]byte(`{"auths": {"x": {"auth": "eDp5"}}, "psFormat": "\t{{.ID}}"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var want map[string]any
		if json.Unmarshal(data, &want) != nil || want == nil {
			return
		}
		o, err := parseRawObject(data)
		if err != nil {
			t.Fatalf("encoding/json reads %q, parseRawObject fails: %v", data, err)
		}
		var got map[string]any
		if err := json.Unmarshal(o.encode(), &got); err != nil {
			t.Fatalf("rewrite of %q is not JSON: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("rewrite of %q reads %v, want %v", data, got, want)
		}
	})
}

// A FIFO as config.json, or as a backup of it, is refused at once: setup
// and doctor never wait on it.
func TestFIFOConfigDoesNotHang(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no FIFOs on Windows")
	}
	dir := t.TempDir()
	for _, name := range []string{DockerConfigFile, DockerConfigFile + ".bak-20260101T000000Z"} {
		if err := mkfifo(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := LoadDockerConfig(dir)
		if _, berr := PlaintextBackups(dir); berr != nil {
			err = berr
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("LoadDockerConfig of a FIFO = %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("reading a FIFO config.json hangs")
	}
}
