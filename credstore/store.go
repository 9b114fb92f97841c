// Package credstore is docker-credential-pat's store: the credential-helper
// protocol actions, the metadata index and use records, the token
// lifecycle (annotate, remove, prune), setup, and the repairs the doctor
// (package doctor) asks for. Server URLs are canonicalised by registryurl,
// tokens classified by token, docker's config.json handled by
// dockerconfig, registries probed by probe, times read by when. Secrets
// live in a keychain.Backend; metadata lives in an index file that never
// holds a secret. The package never prints: warnings for people go to
// Options.Warn.
package credstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/internal/atomicfile"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/internal/statefile"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
)

// Env names the environment variables the store reads through its caller.
const (
	EnvStateDir = "DOCKER_CREDENTIAL_PAT_STATE_DIR"
	EnvBackend  = "DOCKER_CREDENTIAL_PAT_BACKEND"
	EnvTimeout  = "DOCKER_CREDENTIAL_PAT_TIMEOUT"
	// EnvPromptTimeout bounds the wait for a person to answer a
	// keychain's dialog (see Options.PromptTimeout).
	EnvPromptTimeout = "DOCKER_CREDENTIAL_PAT_PROMPT_TIMEOUT"
)

// HelperName is this helper's name in docker's config: "credsStore": "pat".
const HelperName = "pat"

// HelperProgram is the program docker runs for "credsStore": "pat", and
// the default Options.Program.
const HelperProgram = "docker-credential-" + HelperName

// DefaultTimeout bounds each keychain call.
const DefaultTimeout = 5 * time.Second

// DefaultPromptTimeout bounds a keychain call while the keychain shows a
// person a dialog (unlock, allow access).
const DefaultPromptTimeout = keychain.DefaultPromptTimeout

// bulkWindow is how long after a list by the same calling process a get
// counts as docker reading every credential rather than a use.
const bulkWindow = 10 * time.Second

// ReminderWindow is how close to expiry a get reminds, once a day, and
// the doctor warns.
const ReminderWindow = 7 * 24 * time.Hour

// ErrNotFound is the protocol's not-found: docker treats it as "no
// credentials" and carries on anonymously.
var ErrNotFound = credentials.NewErrCredentialsNotFound()

// Warning is a message for a person: one line and, if there is one, a fix.
type Warning struct {
	Message string
	Hint    string
}

// Caller is the program that ran us, where the OS tells.
type Caller struct {
	PID  int    // parent process id, 0 if unknown
	Name string // its program name, "" if unknown
}

// Opener opens a keychain backend by name ("auto", "secretservice",
// "keychain", "wincred", "keyctl"), returning why auto chose what it chose.
type Opener func(name string) (b keychain.Backend, reason string, err error)

// Options configure a Store. Zero values mean the defaults.
type Options struct {
	StateDir string        // metadata directory; see DefaultStateDir
	Backend  string        // backend for new entries; default "auto"
	Open     Opener        // default keychain.Open with Timeout
	Timeout  time.Duration // per keychain call; default DefaultTimeout
	// PromptTimeout bounds a keychain call while a dialog waits for a
	// person, who is told once through Warn; default DefaultPromptTimeout.
	PromptTimeout time.Duration
	Now           func() time.Time // default time.Now
	Caller        Caller           // default: the parent process
	Warn          func(Warning)    // default: discard
	Context       context.Context  // default: context.Background()
	// Program is this program's name, as hints name it in the commands
	// they give ("docker-credential-pat doctor --repair"); default
	// HelperProgram.
	Program string
}

// Store is the credential store. It implements credentials.Helper.
type Store struct {
	dir     string
	backend string
	open    Opener
	now     func() time.Time
	caller  Caller
	warn    func(Warning)
	ctx     context.Context
	program string
	timeout time.Duration // each keychain call's, and the index lock wait's

	mu       sync.Mutex
	backends map[string]keychain.Backend
	fpKeys   map[string][]byte // fingerprint keys by backend name
}

var _ credentials.Helper = (*Store)(nil)

// DefaultStateDir is $DOCKER_CREDENTIAL_PAT_STATE_DIR, or
// docker-credential-pat under the user's configuration directory.
func DefaultStateDir() (string, error) {
	if d := os.Getenv(EnvStateDir); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no state directory: %w (set %s)", err, EnvStateDir)
	}
	return filepath.Join(base, "docker-credential-pat"), nil
}

// New returns a Store. It touches neither the disk nor the keychain.
func New(opts Options) (*Store, error) {
	s := &Store{
		dir:      opts.StateDir,
		backend:  opts.Backend,
		open:     opts.Open,
		now:      opts.Now,
		caller:   opts.Caller,
		warn:     opts.Warn,
		ctx:      opts.Context,
		program:  opts.Program,
		backends: map[string]keychain.Backend{},
		fpKeys:   map[string][]byte{},
	}
	if s.dir == "" {
		d, err := DefaultStateDir()
		if err != nil {
			return nil, err
		}
		s.dir = d
	}
	if s.backend == "" {
		s.backend = "auto"
	}
	s.timeout = opts.Timeout
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.open == nil {
		kopts := keychain.Options{Timeout: s.timeout, PromptTimeout: opts.PromptTimeout}
		if kopts.PromptTimeout <= 0 {
			kopts.PromptTimeout = DefaultPromptTimeout
		}
		kopts.OnPrompt = func(keychain string) {
			s.warn(Warning{Message: fmt.Sprintf("a dialog of %s is waiting for you: answer it (waiting up to %v)",
				keychain, kopts.PromptTimeout)})
		}
		s.open = func(name string) (keychain.Backend, string, error) { return keychain.Open(name, kopts) }
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.warn == nil {
		s.warn = func(Warning) {}
	}
	if s.ctx == nil {
		s.ctx = context.Background()
	}
	if s.program == "" {
		s.program = HelperProgram
	}
	return s, nil
}

// Own names this program in the hints of err that give one of its
// commands: those of the index errors, and the keychain's "run the doctor".
// Errors the store returns are owned already.
func (s *Store) Own(err error) error {
	var ie *IndexError
	if errors.As(err, &ie) && ie.program == "" {
		ie.program = s.program
	}
	var ke *keychain.Error
	if errors.As(err, &ke) && ke.Hint == keychain.HintDoctor {
		ke.Hint = "run `" + s.Command("doctor") + "` for details"
	}
	return err
}

// StateDir is the directory holding the index.
func (s *Store) StateDir() string { return s.dir }

// IndexPath is the metadata index file.
func (s *Store) IndexPath() string { return filepath.Join(s.dir, indexFile) }

// backendFor opens (once per process) the backend an entry lives in, or
// the default backend for name "".
func (s *Store) backendFor(name string) (keychain.Backend, error) {
	if name == "" {
		name = s.backend
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.backends[name]; b != nil {
		return b, nil
	}
	b, reason, err := s.open(name)
	if err != nil {
		return nil, err
	}
	if name == "auto" {
		s.announceChoice(b.Name(), reason)
	}
	s.backends[name] = b
	s.backends[b.Name()] = b
	return b, nil
}

// BackendFile, in the state directory, records the backend auto chose last
// (read at start-up by cmd/internal/startup too).
const BackendFile = "backend"

// lastChoice is the backend auto chose last, as announceChoice recorded
// it, or "".
func (s *Store) lastChoice() string {
	prev, err := statefile.ReadFile(filepath.Join(s.dir, BackendFile), 256)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(prev))
}

// announceChoice tells the user once which backend auto chose, and again
// whenever the choice changes.
func (s *Store) announceChoice(name, reason string) {
	if s.lastChoice() == name {
		return
	}
	if reason != "" {
		s.warn(Warning{Message: reason})
	}
	if s.ensureDir() == nil {
		_ = atomicfile.Write(filepath.Join(s.dir, BackendFile), []byte(name+"\n"), 0o600, false)
	}
}

// payload is what the keychain item holds.
type payload struct {
	V         int    `json:"v"`
	ServerURL string `json:"serverURL"`
	Username  string `json:"username"`
	Secret    string `json:"secret"`
}

func encodePayload(serverURL, username string, secret token.Secret) ([]byte, error) {
	return json.Marshal(payload{V: 1, ServerURL: serverURL, Username: username, Secret: secret.Reveal()})
}

func decodePayload(data []byte) (payload, error) {
	var p payload
	if err := json.Unmarshal(data, &p); err != nil || p.V != 1 {
		return payload{}, errors.New("keychain item is not a docker-credential-pat item")
	}
	return p, nil
}

func (s *Store) ensureDir() error {
	if err := s.checkDir(); err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	return nil
}

// checkDir refuses a state directory, or a uses/ in it, that another user
// could write: they could point our writes anywhere we can write, and
// tell get where a token lives. A uses/ that is a link is refused too.
func (s *Store) checkDir() error {
	if err := statefile.CheckDir(s.dir, true); err != nil {
		return fmt.Errorf("state directory %w", err)
	}
	return statefile.CheckDir(filepath.Join(s.dir, UsesDir), false)
}

func (s *Store) readIndex() (*index, error) {
	if err := s.checkDir(); err != nil {
		return nil, err
	}
	x, err := readIndex(s.IndexPath())
	return x, s.Own(err)
}

// locked runs fn with the index loaded under the inter-process lock.
func (s *Store) locked(fn func(x *index) error) error {
	if err := s.ensureDir(); err != nil {
		return err
	}
	unlock, err := lockState(s.dir, s.timeout)
	if err != nil {
		return err
	}
	defer unlock()
	x, err := s.readIndex()
	if err != nil {
		return err
	}
	return s.Own(fn(x))
}

// After a list, docker's GetAllCredentials (a classic build) gets every
// key, while a client such as regctl lists and then gets the one registry
// it needs. So the first get after a list by the same calling process
// counts as a use, and a second one turns both into bulk reads, undoing
// the first use. The list marker file carries what that takes.
const listMarkerFile = "last-list"

// listMarker is the state of the last list, rewritten under the index lock
// by the gets that follow it.
type listMarker struct {
	PID    int        `json:"pid"`
	At     time.Time  `json:"at"`
	Gets   int        `json:"gets"`             // gets by PID since the list
	First  string     `json:"first,omitempty"`  // the key the first get counted a use of
	PrevAt *time.Time `json:"prevAt,omitempty"` // First's lastUsedAt before that use
	PrevBy string     `json:"prevBy,omitempty"` // and its lastUsedBy
}

// markList records a list by the calling process.
func (s *Store) markList() {
	if s.caller.PID == 0 || s.ensureDir() != nil {
		return
	}
	s.writeListMarker(listMarker{PID: s.caller.PID, At: s.now().UTC()})
}

// writeListMarker replaces the list marker, in place as a use record (see
// rewrite): each get of a bulk read writes it, and a rename over it would
// cost each 0.5 ms. Losing it, or reading it half-written (a list and a get
// at once), costs only a use count, so it is not synced.
func (s *Store) writeListMarker(m listMarker) {
	data, _ := json.Marshal(m)
	p := filepath.Join(s.dir, listMarkerFile)
	f, err := statefile.OpenWrite(p)
	if err != nil {
		return
	}
	defer f.Close()
	old, err := io.ReadAll(io.LimitReader(f, maxInPlace+1))
	if err != nil {
		return
	}
	_ = rewrite(f, p, old, data)
}

// recentList returns the marker of a list by this caller within the bulk
// window, or nil.
func (s *Store) recentList() *listMarker {
	if s.caller.PID == 0 {
		return nil
	}
	data, err := statefile.ReadFile(filepath.Join(s.dir, listMarkerFile), 4<<10)
	if err != nil {
		return nil
	}
	var m listMarker
	if json.Unmarshal(data, &m) != nil || m.PID != s.caller.PID {
		return nil
	}
	if age := s.now().Sub(m.At); age < 0 || age > bulkWindow {
		return nil
	}
	return &m
}
