package dockerconfig

import (
	"errors"
	"fmt"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/hint"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
	"github.com/docker/docker-credential-helpers/credentials"
)

// Adder stores credentials: the protocol's store. *Store implements it,
// applying the token policy: a password is refused with an error.
type Adder interface {
	Add(creds *credentials.Credentials) error
}

// refuser is implemented by the store's errors that refuse a credential
// (a password, not a token) rather than fail to store it. Migrate keeps
// refused entries in config.json and carries on; any other error stops it.
type refuser interface{ Refusal() }

// KeptEntry is a plaintext auths entry that Migrate left in config.json.
type KeptEntry struct {
	ServerURL string // the auths key, as written
	Username  string
	Reason    string // one line, lower case; never the secret
	Hint      string // how to replace it by a token: a command where there is one
}

// MigrateResult says what Migrate did.
type MigrateResult struct {
	Moved              []string    // auths keys whose secrets moved to the store and left config.json
	Kept               []KeptEntry // plaintext entries left in config.json, and why
	PreviousCredsStore string      // credsStore before, "" if none: its credentials are no longer used
	Backup             string      // the copy of the previous config.json, "" if none was written
}

// Migrate moves config.json's plaintext credentials into store, then sets
// credsStore to helperName, removes the moved secrets from config.json and
// saves it once, with a backup.
//
// Nothing is lost if it stops at any point: every secret is in the store
// before config.json changes, the file is replaced atomically, and an
// entry leaves config.json only once it is stored. A refusal by the store
// (a password) keeps the entry, with the reason; any other store error
// stops Migrate before config.json is touched, and running it again
// finishes the job.
//
// Entries docker was not reading, because a credHelpers entry names their
// registry, are kept. When credsStore already named a helper, docker was
// not reading config.json's secrets either: an entry whose registry the
// store already holds (when store also lists, as *Store does) is kept
// rather than written over a newer token.
func Migrate(cfg *DockerConfig, store Adder, helperName string) (MigrateResult, error) {
	res := MigrateResult{PreviousCredsStore: cfg.CredsStore()}
	if res.PreviousCredsStore == helperName {
		res.PreviousCredsStore = ""
	}
	plain, bad := cfg.plaintext()
	for _, m := range bad {
		res.Kept = append(res.Kept, KeptEntry{ServerURL: m.ServerURL, Reason: m.Why,
			Hint: "fix or remove the entry in " + cfg.Path()})
	}
	stored, err := storedKeys(store, cfg.CredsStore() != "")
	if err != nil {
		return res, err
	}
	helpers := helperHosts(cfg.CredHelpers())

	type moved struct{ username, secret string }
	byKey := map[string]moved{}
	var toRemove []string
	for _, p := range plain {
		serverURL, username, secret := p.Credentials()
		kept := func(reason, hint string) {
			res.Kept = append(res.Kept, KeptEntry{ServerURL: p.ServerURL, Username: p.Username, Reason: reason, Hint: hint})
		}
		key, err := registryurl.Canonical(serverURL)
		if err != nil {
			kept(err.Error(), "fix or remove the entry in "+cfg.Path())
			continue
		}
		host, _ := registryurl.Host(key)
		if h, ok := helpers[host]; ok {
			kept(fmt.Sprintf("credHelpers sends %s to docker-credential-%s, which docker uses instead of this entry", host, h),
				"remove the entry from "+cfg.Path()+" once docker login "+registryurl.Display(key)+" works")
			continue
		}
		if prev, ok := byKey[key]; ok {
			if prev == (moved{username, secret.Reveal()}) {
				toRemove = append(toRemove, p.ServerURL) // the same credential under another spelling
			} else {
				kept("another auths entry for the same registry ("+key+") was moved",
					"remove the entry from "+cfg.Path()+" if it is stale")
			}
			continue
		}
		if stored[key] {
			kept("the keychain already holds credentials for this registry; this copy was not in use",
				"docker-credential-"+helperName+" inspect "+registryurl.Display(key)+", then remove the entry from "+cfg.Path())
			continue
		}
		err = store.Add(&credentials.Credentials{ServerURL: serverURL, Username: username, Secret: secret.Reveal()})
		var r refuser
		switch {
		case errors.As(err, &r):
			fix := hint.First(err)
			if fix == "" {
				fix = "create an access token for " + registryurl.Display(key) + ", then: docker login " + registryurl.Display(key) + " -u " + p.Username
			}
			kept(err.Error(), fix)
			continue
		case err != nil:
			return res, fmt.Errorf("moving the credentials for %s: %w (config.json was not changed)", p.ServerURL, err)
		}
		byKey[key] = moved{username, secret.Reveal()}
		toRemove = append(toRemove, p.ServerURL)
	}
	cfg.SetCredsStore(helperName)
	for _, k := range toRemove {
		cfg.RemovePlaintext(k)
	}
	if err := cfg.Save(); err != nil {
		return res, err
	}
	res.Moved = toRemove
	res.Backup = cfg.Backup()
	return res, nil
}

// storedKeys returns the canonical keys store already holds, when it can
// list them and when that matters.
func storedKeys(store Adder, matters bool) (map[string]bool, error) {
	keys := map[string]bool{}
	l, ok := store.(interface {
		List() (map[string]string, error)
	})
	if !matters || !ok {
		return keys, nil
	}
	m, err := l.List()
	if err != nil {
		return nil, err
	}
	for serverURL := range m {
		if k, err := registryurl.Canonical(serverURL); err == nil {
			keys[k] = true
		}
	}
	return keys, nil
}

// helperHosts maps credHelpers' registries, canonicalised as Host does, to
// their helper.
func helperHosts(credHelpers map[string]string) map[string]string {
	out := map[string]string{}
	for reg, h := range credHelpers {
		if host, err := registryurl.Host(reg); err == nil {
			out[host] = h
		}
	}
	return out
}
