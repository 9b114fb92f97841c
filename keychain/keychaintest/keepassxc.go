package keychaintest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// KeePassXCOptions set up a KeePassXC for StartKeePassXC.
type KeePassXCOptions struct {
	// ConfirmAccess keeps KeePassXC's default "allow access" confirmation:
	// reading an item another client created then needs a dialog, so a
	// headless GetSecret answers IsLocked. Off, every client reads freely.
	ConfirmAccess bool
	// Short skips the test under -short: pass testing.Short().
	Short bool
}

// KeePassXCAvailable reports why KeePassXC cannot run here, or "".
func KeePassXCAvailable() string {
	return missing(program{"keepassxc", "keepassxc"}, program{"keepassxc-cli", "keepassxc"})
}

// StartKeePassXC skips the test (fails it with CI=true) when KeePassXC
// cannot run, else starts it as StartKeePassXCDir does in a fresh temporary
// directory and stops it when the test ends, like Start.
func StartKeePassXC(t TB, opts KeePassXCOptions) *SecretService {
	t.Helper()
	require(t, opts.Short, ImplKeePassXC, KeePassXCAvailable())
	return startManaged(t, func(dir string) (*SecretService, error) { return StartKeePassXCDir(dir, opts) })
}

// StartKeePassXCDir starts a private session bus and, on it, KeePassXC
// headless (Qt's offscreen platform) with a new database whose root group
// is exposed to the Secret Service (the collection is named after the file:
// /org/freedesktop/secrets/collection/db, also the default alias), unlocked
// with a throwaway password. It returns once that collection is unlocked.
// Everything lives under dir, as with StartSecretService.
//
// KeePassXC ignores SIGTERM: Stop kills it.
func StartKeePassXCDir(dir string, opts KeePassXCOptions) (*SecretService, error) {
	return startImpl(dir, ImplKeePassXC, KeePassXCAvailable(), func(s *SecretService) error {
		return s.startKeePassXC(opts)
	})
}

// keePassDB is the database every KeePassXC of this process starts from,
// each from a copy of its own: keepassxc-cli takes most of a second to make
// one, which a test that starts dozens would pay each time.
var keePassDB struct {
	once sync.Once
	data []byte // the .kdbx file
	pw   string // its throwaway password
	err  error
}

func (s *SecretService) startKeePassXC(opts KeePassXCOptions) error {
	keePassDB.once.Do(func() { keePassDB.data, keePassDB.pw, keePassDB.err = s.newKeePassDB() })
	if keePassDB.err != nil {
		return keePassDB.err
	}
	pw := keePassDB.pw
	db := filepath.Join(s.home, "db.kdbx")
	if err := os.WriteFile(db, keePassDB.data, 0o600); err != nil {
		return err
	}

	conf := filepath.Join(s.dir, "config", "keepassxc")
	if err := os.MkdirAll(conf, 0o700); err != nil {
		return err
	}
	confirm := "false"
	if opts.ConfirmAccess {
		confirm = "true"
	}
	// AutoSaveAfterEveryChange=false: KeePassXC 2.7.4 saves the database in
	// a pooled thread while its main loop goes on serving D-Bus, and an
	// item deleted right after it was written (the doctor's probe; a
	// replace's sweep) is freed under the writer: it crashed with SIGSEGV
	// in QUuid::toRfc4122 in about one run in seven of the doctor scripts,
	// and in none of ten runs without the save.
	ini := "[General]\nConfigVersion=2\nAutoSaveAfterEveryChange=false\n\n[FdoSecrets]\nEnabled=true\n" +
		"ConfirmAccessItem=" + confirm + "\nConfirmDeleteItem=false\nShowNotification=false\n"
	if err := os.WriteFile(filepath.Join(conf, "keepassxc.ini"), []byte(ini), 0o600); err != nil {
		return err
	}

	cmd := exec.Command("keepassxc", "--pw-stdin", db)
	cmd.Env = s.daemonEnv(s.addr)
	cmd.Dir = s.home
	cmd.SysProcAttr = sysProcAttr()
	cmd.Stdin = strings.NewReader(pw + "\n")
	d, err := s.start("keepassxc", cmd)
	if err != nil {
		return err
	}
	d.killOnly = true
	s.mu.Lock()
	s.svc = d
	s.mu.Unlock()
	// The collection appears while the database is still being opened:
	// wait for it to be unlocked, not for the name on the bus.
	return s.waitFor(d, "the default collection unlocked", s.unlocked)
}

// newKeePassDB makes a database (in s's directories) and returns its
// bytes and password.
func (s *SecretService) newKeePassDB() (data []byte, pw string, err error) {
	password := make([]byte, 16)
	group := make([]byte, 16)
	if _, err := rand.Read(password); err != nil {
		return nil, "", err
	}
	if _, err := rand.Read(group); err != nil {
		return nil, "", err
	}
	pw = hex.EncodeToString(password)
	db := filepath.Join(s.dir, "template.kdbx")
	xml := filepath.Join(s.dir, "db.xml")
	if err := os.WriteFile(xml, []byte(keePassXML(group)), 0o600); err != nil {
		return nil, "", err
	}
	// The database comes from XML because only there can the group the
	// Secret Service exposes be set without the GUI. -t 100 is the
	// smallest key-derivation time keepassxc-cli takes (milliseconds).
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cli := exec.CommandContext(ctx, "keepassxc-cli", "import", "-q", "-p", "-t", "100", xml, db)
	cli.Env = s.daemonEnv("")
	cli.Dir = s.home
	cli.Stdin = strings.NewReader(pw + "\n" + pw + "\n")
	if out, err := cli.CombinedOutput(); err != nil {
		return nil, "", fmt.Errorf("keychaintest: keepassxc-cli import: %v: %s", err, strings.TrimSpace(string(out)))
	}
	data, err = os.ReadFile(db)
	return data, pw, err
}

// keePassXML is a KeePass XML database with one (root) group whose UUID is
// group, exposed to the Secret Service (KeePassXC's FDO_SECRETS_EXPOSED_GROUP
// custom data: the UUID in braces, 8-4-4-4-12 hex digits).
func keePassXML(group []byte) string {
	h := hex.EncodeToString(group)
	braced := "{" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:] + "}"
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<KeePassFile>
	<Meta>
		<Generator>docker-credential-pat keychaintest</Generator>
		<CustomData>
			<Item><Key>FDO_SECRETS_EXPOSED_GROUP</Key><Value>` + braced + `</Value></Item>
		</CustomData>
	</Meta>
	<Root>
		<Group>
			<UUID>` + base64.StdEncoding.EncodeToString(group) + `</UUID>
			<Name>Passwords</Name>
		</Group>
	</Root>
</KeePassFile>
`
}
