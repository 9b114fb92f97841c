//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// passStore is a throwaway GnuPG home with a key that has no passphrase and
// a password store initialised for it, for docker-credential-pass.
type passStore struct {
	gnupgHome string
	storeDir  string
	env       []string // base and the two above, for pass and gpg
	keyID     string   // the key's fingerprint, as in the store's .gpg-id
}

func (p *passStore) vars() []string {
	return []string{"GNUPGHOME=" + p.gnupgHome, "PASSWORD_STORE_DIR=" + p.storeDir}
}

func startPassStore(dir string, base []string) (*passStore, error) {
	for _, tool := range []string{"pass", "gpg", "gpgconf"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, errors.New(tool + " not installed (apt-get install pass gnupg)")
		}
	}
	p := &passStore{gnupgHome: filepath.Join(dir, "gnupg"), storeDir: filepath.Join(dir, "password-store")}
	if err := os.MkdirAll(p.gnupgHome, 0o700); err != nil {
		return nil, err
	}
	env := append(append([]string(nil), base...), p.vars()...)
	p.env = env
	gen := exec.Command("gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
		"--quick-gen-key", "docker-credential-pat bench <bench@example.invalid>", "default", "default", "never")
	gen.Env = env
	if err := runQuiet(gen, time.Minute); err != nil {
		p.stop()
		return nil, err
	}
	list := exec.Command("gpg", "--batch", "--list-keys", "--with-colons")
	list.Env = env
	out, err := list.Output()
	if err != nil {
		p.stop()
		return nil, err
	}
	var fpr string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() && fpr == "" {
		if f := strings.Split(sc.Text(), ":"); len(f) > 9 && f[0] == "fpr" {
			fpr = f[9]
		}
	}
	if fpr == "" {
		p.stop()
		return nil, errors.New("gpg made no key")
	}
	p.keyID = fpr
	ini := exec.Command("pass", "init", fpr)
	ini.Env = env
	if err := runQuiet(ini, time.Minute); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// stop ends the gpg-agent that gpg started for this home (by its socket,
// not by name).
func (p *passStore) stop() {
	kill := exec.Command("gpgconf", "--homedir", p.gnupgHome, "--kill", "all")
	_ = runQuiet(kill, 30*time.Second)
}

// insert stores c exactly as docker-credential-pass's store would (`pass
// insert -f -m docker-credential-helpers/<base64url(serverURL)>/<username>`):
// the same file, encrypted by the same gpg command pass runs, but without
// pass's shell script and the helper's `pass ls` walk of the whole store
// before every call, which make filling 1,000 entries too slow for the
// time budget. The secret goes to gpg on stdin only.
func (p *passStore) insert(ctx context.Context, c creds) error {
	dir := filepath.Join(p.storeDir, "docker-credential-helpers", base64.URLEncoding.EncodeToString([]byte(c.ServerURL)))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "gpg", "-e", "-r", p.keyID, "-o", filepath.Join(dir, c.Username+".gpg"),
		"--quiet", "--yes", "--compress-algo=none", "--no-encrypt-to")
	cmd.Env = p.env
	cmd.Stdin = strings.NewReader(c.Secret)
	return runQuiet(cmd, processTimeout)
}
