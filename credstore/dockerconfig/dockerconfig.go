// Package dockerconfig reads and rewrites docker's config.json: credsStore,
// credHelpers and plaintext auths, keeping every key it does not own byte
// for byte; it writes a backup before each change, lists plaintext
// backups, and migrates plaintext credentials into a store.
package dockerconfig

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/internal/atomicfile"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/internal/statefile"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
)

// Docker config file and environment names.
const (
	DockerConfigFile = "config.json"
	EnvDockerConfig  = "DOCKER_CONFIG"
)

// maxDockerConfig bounds the docker config file we are willing to read.
const maxDockerConfig = 16 << 20

// DockerConfigDir returns $DOCKER_CONFIG, or .docker in the home directory.
func DockerConfigDir() (string, error) {
	if d := os.Getenv(EnvDockerConfig); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no docker config directory: %w (set %s)", err, EnvDockerConfig)
	}
	return filepath.Join(home, ".docker"), nil
}

// DockerConfig is docker's config.json, read so that a rewrite keeps every
// key we do not understand, byte for byte, in the order it had: only
// credsStore and the secrets inside auths entries are ours to change.
type DockerConfig struct {
	path   string
	exists bool
	orig   []byte      // the file as read; nil if it did not exist
	mode   fs.FileMode // the file's permissions; 0600 for a new file
	top    *rawObject
	auths  *rawObject // nil when the file has no auths key
	dirty  bool
	backup string // the backup the last Save wrote
	now    func() time.Time
}

// ConfigError is a docker config file that cannot be read or used.
type ConfigError struct {
	Path string
	Err  error

	content bool // the file's content is wrong, not reading or writing it
}

func (e *ConfigError) Error() string { return fmt.Sprintf("docker config %s: %v", e.Path, e.Err) }
func (e *ConfigError) Unwrap() error { return e.Err }

// Hints tell the user how to see what is wrong.
func (e *ConfigError) Hints() []string {
	if e.content {
		return []string{"python3 -m json.tool " + e.Path}
	}
	return nil
}

var errConfigNotObject = errors.New("not a JSON object")

// LoadDockerConfig reads config.json in dir. A missing file is an empty
// config that Save will create; a file that is not a JSON object, or whose
// auths or credHelpers are not objects, is an error naming the file: never
// silently an empty config, which Save would then write over the user's.
func LoadDockerConfig(dir string) (*DockerConfig, error) {
	return loadDockerConfigFile(filepath.Join(dir, DockerConfigFile))
}

func loadDockerConfigFile(path string) (*DockerConfig, error) {
	c := &DockerConfig{path: path, mode: 0o600, top: newRawObject(), now: time.Now}
	fail := func(err error) (*DockerConfig, error) { return nil, &ConfigError{Path: c.path, Err: err} }
	bad := func(err error) (*DockerConfig, error) {
		return nil, &ConfigError{Path: c.path, Err: err, content: true}
	}
	f, err := statefile.OpenNoWait(c.path) // a FIFO there must not hang setup or doctor
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if !st.Mode().IsRegular() {
		return fail(errors.New("not a regular file"))
	}
	if st.Size() > maxDockerConfig {
		return fail(fmt.Errorf("larger than %d bytes", maxDockerConfig))
	}
	data, err := readAllBounded(f, maxDockerConfig)
	if err != nil {
		return fail(err)
	}
	c.exists, c.orig, c.mode = true, data, st.Mode().Perm()
	if len(bytes.TrimSpace(data)) == 0 {
		// docker itself treats an empty file as an empty config.
		return c, nil
	}
	if c.top, err = parseRawObject(data); err != nil {
		return bad(err)
	}
	if raw, ok := c.top.get("auths"); ok && !isJSONNull(raw) {
		if c.auths, err = parseRawObject(raw); err != nil {
			return bad(fmt.Errorf("auths: %w", err))
		}
		for _, k := range c.auths.keys {
			if v := c.auths.vals[k]; !isJSONNull(v) {
				if _, err := parseRawObject(v); err != nil {
					return bad(fmt.Errorf("auths[%q]: %w", k, err))
				}
			}
		}
	}
	if _, err := c.credHelpers(); err != nil {
		return bad(fmt.Errorf("credHelpers: %w", err))
	}
	if raw, ok := c.top.get("credsStore"); ok && !isJSONNull(raw) {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return bad(errors.New("credsStore: not a string"))
		}
	}
	return c, nil
}

// Path is the config file's path.
func (c *DockerConfig) Path() string { return c.path }

// Exists reports whether the file existed when it was loaded.
func (c *DockerConfig) Exists() bool { return c.exists }

// CredsStore is the credential helper docker uses for every registry not
// named in credHelpers ("" if none): "pat" runs docker-credential-pat.
func (c *DockerConfig) CredsStore() string {
	raw, _ := c.top.get("credsStore")
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// SetCredsStore makes docker use docker-credential-name for every registry
// not named in credHelpers.
func (c *DockerConfig) SetCredsStore(name string) {
	if c.CredsStore() == name {
		if _, ok := c.top.get("credsStore"); ok {
			return
		}
	}
	c.top.set("credsStore", jsonString(name))
	c.dirty = true
}

// CredHelpers maps registry host names to the credential helper docker
// uses for them instead of credsStore.
func (c *DockerConfig) CredHelpers() map[string]string {
	m, _ := c.credHelpers()
	return m
}

func (c *DockerConfig) credHelpers() (map[string]string, error) {
	m := map[string]string{}
	raw, ok := c.top.get("credHelpers")
	if !ok || isJSONNull(raw) {
		return m, nil
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return map[string]string{}, errors.New("not an object of strings")
	}
	return m, nil
}

// AuthsKeys are the keys of auths, in file order: docker writes an entry
// there for each login, even one it hands to a credential helper.
func (c *DockerConfig) AuthsKeys() []string {
	if c.auths == nil {
		return nil
	}
	return append([]string(nil), c.auths.keys...)
}

// PlainAuth is a credential kept in plain text in config.json's auths.
type PlainAuth struct {
	ServerURL     string       // the auths key, as written
	Username      string       // "" for an identity token without a username
	Secret        token.Secret // the password or token, or the identity token
	IdentityToken bool         // Secret is an identitytoken: docker stores it under the username "<token>"
}

// Credentials are what docker's credential-helper client would send to a
// helper's store for this entry.
func (p PlainAuth) Credentials() (serverURL, username string, secret token.Secret) {
	if p.IdentityToken {
		return p.ServerURL, token.IdentityUsername, p.Secret
	}
	return p.ServerURL, p.Username, p.Secret
}

// MalformedAuth is an auths entry whose credentials cannot be read. Why
// never quotes the entry's content.
type MalformedAuth struct {
	ServerURL string
	Why       string
}

// MalformedAuthsError lists the auths entries that could not be read.
type MalformedAuthsError struct {
	Path    string
	Entries []MalformedAuth
}

func (e *MalformedAuthsError) Error() string {
	parts := make([]string, len(e.Entries))
	for i, m := range e.Entries {
		parts[i] = fmt.Sprintf("%s: %s", m.ServerURL, m.Why)
	}
	return fmt.Sprintf("docker config %s: unreadable auths entries: %s", e.Path, strings.Join(parts, "; "))
}

// PlaintextAuths returns every credential kept in plain text in auths, in
// file order: an auth value (base64 of user:password), username and
// password fields, or an identitytoken (which wins over the others, as in
// docker). Entries with no secret, such as the {} docker writes beside a
// credential helper, are not returned. Entries that cannot be read are
// skipped and reported in a *MalformedAuthsError, with the others returned.
func (c *DockerConfig) PlaintextAuths() ([]PlainAuth, error) {
	plain, bad := c.plaintext()
	if len(bad) > 0 {
		return plain, &MalformedAuthsError{Path: c.path, Entries: bad}
	}
	return plain, nil
}

// authEntry is the part of an auths entry that carries credentials.
type authEntry struct {
	Auth          *string `json:"auth"`
	Username      *string `json:"username"`
	Password      *string `json:"password"`
	IdentityToken *string `json:"identitytoken"`
}

func (c *DockerConfig) plaintext() (plain []PlainAuth, bad []MalformedAuth) {
	if c.auths == nil {
		return nil, nil
	}
	for _, key := range c.auths.keys {
		raw := c.auths.vals[key]
		if isJSONNull(raw) {
			continue
		}
		var e authEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			bad = append(bad, MalformedAuth{key, "auth, username, password and identitytoken must be strings"})
			continue
		}
		p := PlainAuth{ServerURL: key, Username: deref(e.Username)}
		var password string
		if a := strings.TrimSpace(deref(e.Auth)); a != "" {
			user, pass, why := decodeAuth(a)
			if why != "" && deref(e.IdentityToken) == "" {
				bad = append(bad, MalformedAuth{key, why})
				continue
			}
			if why == "" {
				p.Username, password = user, pass
			}
		} else {
			password = deref(e.Password)
		}
		switch {
		case deref(e.IdentityToken) != "":
			p.IdentityToken, p.Secret = true, token.NewSecret(deref(e.IdentityToken))
		case password != "" && p.Username != "":
			p.Secret = token.NewSecret(password)
		case password != "":
			bad = append(bad, MalformedAuth{key, "a password without a username"})
			continue
		default:
			continue // a username alone, or {}: nothing secret here
		}
		plain = append(plain, p)
	}
	return plain, bad
}

// decodeAuth splits an auth value, base64 of "user:password", and says why
// not when it cannot. Padding may be missing, as some tools write it.
func decodeAuth(a string) (user, pass, why string) {
	b, err := base64.StdEncoding.DecodeString(a)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(a, "="))
	}
	if err != nil {
		return "", "", "auth is not valid base64"
	}
	user, pass, ok := strings.Cut(string(b), ":")
	if !ok {
		return "", "", "auth is not base64 of user:password (no colon)"
	}
	if user == "" {
		return "", "", "auth has an empty username"
	}
	return user, pass, ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// plaintextKeys are the auths entry keys that hold secrets.
var plaintextKeys = []string{"auth", "identitytoken", "password"}

// RemovePlaintext removes the secrets of the auths entry serverURL (its
// exact key): auth, identitytoken and password. The entry itself stays,
// with its other keys, as docker leaves {} beside a credential helper.
func (c *DockerConfig) RemovePlaintext(serverURL string) {
	if c.auths == nil {
		return
	}
	raw, ok := c.auths.get(serverURL)
	if !ok || isJSONNull(raw) {
		return
	}
	entry, err := parseRawObject(raw)
	if err != nil {
		return // LoadDockerConfig checked every entry
	}
	changed := false
	for _, k := range plaintextKeys {
		changed = entry.remove(k) || changed
	}
	if !changed {
		return
	}
	c.auths.set(serverURL, entry.encode())
	c.top.set("auths", c.auths.encode())
	c.dirty = true
}

// Changed reports whether Save has something to write.
func (c *DockerConfig) Changed() bool { return c.dirty }

// Backup is the path of the backup the last Save wrote, "" if none. It
// holds the previous content, plaintext credentials included.
func (c *DockerConfig) Backup() string { return c.backup }

// Save writes the config back if it changed. It first copies the previous
// file to config.json.bak-<UTC timestamp> (0600), then replaces the file
// atomically, keeping its permissions (0600 for a new file). A symbolic
// link at the config's path is followed, so the link survives.
func (c *DockerConfig) Save() error {
	if !c.dirty {
		return nil
	}
	fail := func(err error) error { return &ConfigError{Path: c.path, Err: err} }
	target, err := configTarget(c.path)
	if err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return fail(err)
	}
	if !c.exists {
		if _, err := os.Lstat(target); err == nil {
			return fail(errors.New("created by another program since it was read; nothing was written"))
		}
	}
	if c.exists {
		cur, err := os.ReadFile(target)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fail(err)
		}
		if err == nil && !bytes.Equal(cur, c.orig) {
			return fail(errors.New("changed by another program since it was read; nothing was written"))
		}
		if err == nil {
			if c.backup, err = writeBackup(target, cur, c.now()); err != nil {
				return fail(fmt.Errorf("backup: %w", err))
			}
		}
	}
	data := c.encode()
	if err := atomicfile.WriteFile(target, data, c.mode); err != nil {
		return fail(err)
	}
	c.exists, c.orig, c.dirty = true, data, false
	return nil
}

// configTarget is the file a config at path is: the target of a symbolic
// link there (dotfiles set-ups), so that Save keeps the link and writes
// its backups beside the target, and PlaintextBackups looks there.
func configTarget(path string) (string, error) {
	p, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil
	}
	return p, err
}

// PlainBackup is a backup of config.json (written by Save) that still
// holds credentials in plain text.
type PlainBackup struct {
	Path        string
	Credentials int // entries with a secret, readable or not
}

// PlaintextBackups lists the backups of config.json in dir that hold
// credentials in plain text: setup --migrate moves them into the keychain
// but keeps the file it changed, so they stay on disk until removed. When
// config.json is a symbolic link, the backups beside its target count too:
// Save writes them there.
func PlaintextBackups(dir string) ([]PlainBackup, error) {
	path := filepath.Join(dir, DockerConfigFile)
	paths, err := filepath.Glob(path + ".bak-*")
	if err != nil {
		return nil, err
	}
	if target, err := configTarget(path); err == nil && target != path {
		more, err := filepath.Glob(target + ".bak-*")
		if err != nil {
			return nil, err
		}
		paths = append(paths, more...)
	}
	var out []PlainBackup
	for _, p := range paths {
		c, err := loadDockerConfigFile(p)
		if err != nil {
			continue // not a config: not ours to judge
		}
		plain, bad := c.plaintext()
		if n := len(plain) + len(bad); n > 0 {
			out = append(out, PlainBackup{Path: p, Credentials: n})
		}
	}
	return out, nil
}

// writeBackup writes data beside path under a new name, never over an
// existing file, and returns that name.
func writeBackup(path string, data []byte, now time.Time) (string, error) {
	base := path + ".bak-" + now.UTC().Format("20060102T150405Z")
	name := base
	for i := 1; ; i++ {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) && i < 100 {
			name = fmt.Sprintf("%s-%d", base, i)
			continue
		}
		if err != nil {
			return "", err
		}
		_, err = f.Write(data)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(name)
			return "", err
		}
		return name, nil
	}
}

// encode renders the config as docker does: tab-indented JSON.
func (c *DockerConfig) encode() []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, c.top.encode(), "", "\t"); err != nil {
		// Every value was checked valid JSON when it was read or set.
		panic("credstore: docker config encodes to invalid JSON: " + err.Error())
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// rawObject is a JSON object whose values are kept verbatim and whose keys
// keep their order. A repeated key keeps its first place and its last
// value, as encoding/json reads it.
type rawObject struct {
	keys []string
	vals map[string]json.RawMessage
}

func newRawObject() *rawObject { return &rawObject{vals: map[string]json.RawMessage{}} }

func parseRawObject(data []byte) (*rawObject, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errConfigNotObject
	}
	o := newRawObject()
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string) // inside an object the decoder yields only string keys
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		o.set(key, v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return o, nil
}

func (o *rawObject) get(k string) (json.RawMessage, bool) {
	v, ok := o.vals[k]
	return v, ok
}

func (o *rawObject) set(k string, v json.RawMessage) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *rawObject) remove(k string) bool {
	if _, ok := o.vals[k]; !ok {
		return false
	}
	delete(o.vals, k)
	for i, key := range o.keys {
		if key == k {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			break
		}
	}
	return true
}

func (o *rawObject) encode() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(jsonString(k))
		b.WriteByte(':')
		b.Write(o.vals[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}

// jsonString encodes s as a JSON string without escaping <, > and &, as
// docker writes them.
func jsonString(s string) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimRight(b.Bytes(), "\n")
}

func isJSONNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// readAllBounded reads f up to max bytes and fails beyond.
func readAllBounded(f *os.File, max int64) ([]byte, error) {
	var b bytes.Buffer
	n, err := b.ReadFrom(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if n > max {
		return nil, fmt.Errorf("larger than %d bytes", max)
	}
	return b.Bytes(), nil
}
