//go:build !darwin && !windows

package keychain

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/docker-credential-pat/docker-credential-pat/keychain/earlybus"
)

// The Secret Service backend (Linux and the BSDs) is our own client of
// org.freedesktop.secrets over godbus: one item per key in the "login"
// collection if there is one, else the default alias (where go-keyring,
// which wrote the items of earlier versions, put them), with the
// attributes service=Service and username=key, the label go-keyring gave
// ("Password for '<key>' on 'docker-credential-pat'") followed by " #" and
// the item's generation (KWallet names its entries after labels), a
// "plain" session and the data as text (see pack). It works the same with gnome-keyring,
// KeePassXC and KWallet:
//
//   - A Set of a key with one item gives that item the new secret in
//     place (SetSecret: one write). Otherwise, and when that fails, it
//     never asks the service to replace an item (KeePassXC 2.7.4
//     answers CreateItem(replace=true) of an existing item with a prompt
//     that never completes): it creates a new item with one more attribute,
//     genAttr, a value that sorts after every earlier one, then deletes the
//     items of the key that are older than the newest it finds (see sweep).
//     Until then a Get picks the newest, so there is no moment without an
//     item, and a failed write leaves the old one.
//   - A locked collection (or item) is unlocked when the service can do it
//     without a person: no prompt at all, or a prompt that completes by
//     itself within promptGrace (KWallet opened at login by pam_kwallet).
//     A prompt that waits for a person gets the prompt deadline and one
//     OnPrompt call when a display could show it (see unlock), and is
//     dismissed with ErrLocked at once when none can.
//   - The first message on each connection is the greeting (see greet),
//     which keeps gnome-keyring-daemon alive.
//   - A get at a place names the session it guesses it will get (see
//     Resume) and asks for the secret right behind OpenSession; the
//     service refuses a session that is not the caller's own, and the
//     call is made again with the session's path.
const (
	secretsName     = "org.freedesktop.secrets"
	secretsPath     = dbus.ObjectPath("/org/freedesktop/secrets")
	serviceIface    = "org.freedesktop.Secret.Service"
	sessionIface    = "org.freedesktop.Secret.Session"
	collectionIface = "org.freedesktop.Secret.Collection"
	itemIface       = "org.freedesktop.Secret.Item"
	promptIface     = "org.freedesktop.Secret.Prompt"
	loginCollection = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	defaultAlias    = dbus.ObjectPath("/org/freedesktop/secrets/aliases/default")
	propGet         = "org.freedesktop.DBus.Properties.Get"
	noPrompt        = dbus.ObjectPath("/")

	// genAttr is the attribute that orders the items of one key.
	genAttr = "dcp-generation"
	// contentType is what go-keyring sent, and what pack makes true.
	contentType = "text/plain; charset=utf8"
	// promptGrace is how long a prompt may take to complete by itself
	// (KWallet's unlock of a wallet opened at login: a few milliseconds)
	// before it is taken for a dialog waiting for a person.
	promptGrace = 300 * time.Millisecond
)

// secretService is the Secret Service backend.
type secretService struct {
	promptTimeout time.Duration    // a person's time for a dialog
	onPrompt      func(who string) // told once that a dialog waits
	prompted      sync.Once        // onPrompt is called once per backend
	now           func() time.Time // for generations
	canPrompt     func() bool      // a display could show a dialog
	whoShows      func(*dbus.Conn) string
}

func newSecretService(opts Options) *secretService {
	pt := opts.PromptTimeout
	if pt <= 0 {
		pt = DefaultPromptTimeout
	}
	onPrompt := opts.OnPrompt
	if onPrompt == nil {
		onPrompt = func(string) {}
	}
	return &secretService{promptTimeout: pt, onPrompt: onPrompt, now: time.Now,
		canPrompt: canPrompt, whoShows: secretsProgram}
}

func (b *secretService) Name() string { return NameSecretService }

// Get reads the newest item of key: find the items, pick the newest,
// GetSecret.
func (b *secretService) Get(ctx context.Context, key string) ([]byte, error) {
	c, err := b.connect(ctx, "get")
	if err != nil {
		return nil, mapError(NameSecretService, "get", err)
	}
	data, err := c.get(ctx, key)
	if err != nil {
		return nil, mapError(NameSecretService, "get", err)
	}
	return data, nil
}

// GetAt is Get starting at a place an earlier SetAt or GetAt returned
// (see Locator): the collection and the object path of key's item. When
// the greeting named the same collection, the item's Attributes and its
// secret are asked for at once, without a search, and the secret is used
// only if the attributes make the item this backend's item for key:
// SearchItems, which takes longer the more items the collection holds,
// the Locked read and a round trip are left out. Anything else (no such
// object, another key's or another program's item, a locked collection
// or item) goes the way of Get, which unlocks what can be unlocked.
//
// The item at the place is key's, but it may not be the newest of key if
// another process created a newer one and died before sweeping the older:
// Get would serve the newer. The next Set or Delete of the key sweeps,
// and the place is gone then.
func (b *secretService) GetAt(ctx context.Context, key, at string, holds func([]byte) bool) ([]byte, string, error) {
	c, err := b.connect(ctx, "get")
	if err != nil {
		return nil, "", mapError(NameSecretService, "get", err)
	}
	if item, ok := c.placed(at); ok {
		data, ok, err := c.getPlaced(ctx, key, item, holds)
		if err != nil {
			return nil, "", mapError(NameSecretService, "get", err)
		}
		if ok {
			return data, at, nil
		}
	}
	data, item, err := c.getItem(ctx, key)
	if err != nil {
		return nil, "", mapError(NameSecretService, "get", err)
	}
	return data, c.place(item), nil
}

// place is where item is, for GetAt.
func (c *client) place(item dbus.ObjectPath) string {
	if item == noPrompt || item == "" {
		return "" // created through a prompt, which names it elsewhere
	}
	return string(c.collection) + " " + string(item)
}

// placed returns the item of a place, if it is in the collection the
// greeting named.
func (c *client) placed(at string) (dbus.ObjectPath, bool) {
	collection, item, ok := strings.Cut(at, " ")
	if !ok || dbus.ObjectPath(collection) != c.collection || !dbus.ObjectPath(item).IsValid() || item == string(noPrompt) {
		return "", false
	}
	return dbus.ObjectPath(item), true
}

// getPlaced reads item's secret and returns it if the item is key's of
// this backend: as holds says, when the caller gave it (one call), else as
// the item's attributes say (asked for at once with the secret). The
// secret of any other item is dropped. ok is false when the item is not
// key's, or the service answers with an error (no such object, locked):
// GetAt then searches. err is a call that got no answer, which a search
// would only meet again.
func (c *client) getPlaced(ctx context.Context, key string, item dbus.ObjectPath, holds func([]byte) bool) (data []byte, ok bool, err error) {
	session := c.openSession(ctx)
	var attrsCall *dbus.Call
	if holds == nil {
		attrsCall = c.conn.Object(secretsName, item).GoWithContext(ctx, propGet, 0, nil, itemIface, "Attributes")
	}
	// The Service's GetSecrets, not the item's GetSecret: gnome-keyring
	// answers a call on an item's path later the more items it holds
	// (1.1 against 0.8 ms at 1,000 items, 0.58 against 0.50 at one).
	// An item it cannot read (no such item, locked) is left out of the
	// answer: the search then.
	var secrets map[dbus.ObjectPath]ssSecret
	defer func() {
		for _, sec := range secrets {
			clear(sec.Value)
		}
	}()
	getSecrets := func(s dbus.ObjectPath) error {
		return wait(ctx, c.conn.Object(secretsName, secretsPath).GoWithContext(ctx, serviceIface+".GetSecrets", 0, nil, []dbus.ObjectPath{item}, s)).Store(&secrets)
	}
	// With a guess of the session's path (see Resume), GetSecrets leaves
	// now, right behind the OpenSession that left on the greeting's answer,
	// rather than a round trip later. The Secret Service looks a session up
	// among the caller's own (gnome-keyring: "The session does not exist"
	// otherwise): a wrong guess is answered with an error, and the call
	// goes again with the session's path once it is known.
	guess := guessSession(session.p)
	if guess != "" {
		err = getSecrets(guess)
	}
	if guess == "" || err != nil && answered(err) {
		s, perr := session.path()
		if perr != nil {
			return nil, false, unanswered(perr)
		}
		secrets = nil
		err = getSecrets(s)
	}
	var v dbus.Variant
	if err == nil && attrsCall != nil {
		err = wait(ctx, attrsCall).Store(&v)
	}
	if err != nil {
		return nil, false, unanswered(err)
	}
	sec, found := secrets[item]
	if !found {
		return nil, false, nil
	}
	data, ok = unpack(string(sec.Value))
	if !ok {
		return nil, false, nil // a bad encoding: Get says what is wrong
	}
	if holds != nil {
		ok = holds(data)
	} else {
		attrs, _ := v.Value().(map[string]string)
		ok = attrs["service"] == Service && attrs["username"] == key
	}
	if !ok {
		clear(data)
		return nil, false, nil
	}
	return data, true, nil
}

// unanswered is err if it is no answer from the service (see answered),
// else nil.
func unanswered(err error) error {
	if answered(err) {
		return nil
	}
	return err
}

// get is getItem without the item.
func (c *client) get(ctx context.Context, key string) ([]byte, error) {
	data, _, err := c.getItem(ctx, key)
	return data, err
}

// getItem finds key's items, picks the newest and reads its secret. An
// item deleted between the search and the read was swept by a newer Set
// (or removed by a Delete): the search is then made again, up to getTries
// times in all. It returns the item read too.
func (c *client) getItem(ctx context.Context, key string) ([]byte, dbus.ObjectPath, error) {
	session := c.openSession(ctx)
	var value string
	var item dbus.ObjectPath
	for try := 1; ; try++ {
		items, err := c.find(ctx, key)
		if err != nil {
			return nil, "", err
		}
		if len(items) == 0 {
			return nil, "", &Error{Backend: NameSecretService, Op: "get", Kind: ErrNotFound}
		}
		if item, err = c.newest(ctx, items); err != nil {
			return nil, "", err
		}
		s, err := session.path()
		if err != nil {
			return nil, "", err
		}
		value, err = c.getSecret(ctx, item, s)
		if err == nil {
			break
		}
		if !isUnknownObject(err) || try == getTries {
			return nil, "", err
		}
		// The item went, or the session (the service restarted, say).
		session.forget()
		session = c.openSession(ctx)
	}
	data, ok := unpack(value)
	if !ok {
		return nil, "", &Error{Backend: NameSecretService, Op: "get", Kind: ErrUnavailable,
			Detail: "the stored item has a bad " + encodedPrefix + " encoding",
			Hint:   "store the credential again (docker login)"}
	}
	return data, item, nil
}

// Warm connects and sends the greeting, after whose answer the session is
// opened, as the next call would, and returns without waiting for any
// answer: a get overlaps the round trips with reading the index. Only
// dialBus's connection is made here (ctx bounds its connect); godbus's
// handshake, where that one cannot be had, is left to the call.
func (b *secretService) Warm(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	if conn, err := connectBus(ctx, "get", false, true); err == nil {
		sendGreeting(conn)
	}
}

// Resume takes an earlier process's Learned, its session's path, from
// which it guesses the path of the session this process will open (see
// nextSession).
func (b *secretService) Resume(load func() string) {
	guess := nextSession(dbus.ObjectPath(load()))
	sessionGuess.Lock()
	sessionGuess.path = guess
	sessionGuess.Unlock()
}

// Learned is the path of this process's session, once the Secret Service
// has answered with it, else "".
func (b *secretService) Learned() string {
	greetings.Lock()
	g := greetings.g
	greetings.Unlock()
	if g == nil {
		return ""
	}
	g.mu.Lock()
	p := g.pending
	g.mu.Unlock()
	if p == nil {
		return ""
	}
	select {
	case <-p.done:
		if p.err == nil {
			return string(p.path)
		}
	default:
	}
	return ""
}

// sessionGuess is the path the session of this process will likely have
// (see Resume), until a get takes it.
var sessionGuess struct {
	sync.Mutex
	path dbus.ObjectPath
}

// guessSession returns the guessed path of p while the Secret Service has
// not said it, once per process.
func guessSession(p *pendingSession) dbus.ObjectPath {
	sessionGuess.Lock()
	guess := sessionGuess.path
	sessionGuess.path = ""
	sessionGuess.Unlock()
	select {
	case <-p.done:
		return ""
	default:
		return guess
	}
}

// nextSession is the path of the session after s where the Secret Service
// numbers its sessions in order, for every client (gnome-keyring:
// /org/freedesktop/secrets/session/s7, then s8), or "" for a path not
// numbered so.
func nextSession(s dbus.ObjectPath) dbus.ObjectPath {
	const dir = "/org/freedesktop/secrets/session/"
	name, ok := strings.CutPrefix(string(s), dir)
	if !ok || !s.IsValid() {
		return ""
	}
	digits := strings.TrimLeft(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
	n, err := strconv.ParseUint(digits, 10, 31)
	if err != nil || n == 1<<31-1 || digits[0] == '0' && len(digits) > 1 {
		return ""
	}
	return dbus.ObjectPath(dir + name[:len(name)-len(digits)] + strconv.FormatUint(n+1, 10))
}

// Set creates a new item for key and sweeps the older ones.
func (b *secretService) Set(ctx context.Context, key string, data []byte) error {
	_, err := b.SetAt(ctx, key, data)
	return err
}

// SetAt is Set, and returns the place of the new item for GetAt.
func (b *secretService) SetAt(ctx context.Context, key string, data []byte) (string, error) {
	c, err := b.connect(ctx, "set")
	if err != nil {
		return "", mapError(NameSecretService, "set", err)
	}
	item, err := c.set(ctx, key, data)
	if err != nil {
		return "", mapError(NameSecretService, "set", err)
	}
	return c.place(item), nil
}

// set creates key's new item, sweeps the older ones and returns the new
// one ("/" when it was created through a prompt).
func (c *client) set(ctx context.Context, key string, data []byte) (dbus.ObjectPath, error) {
	if item, ok := c.rewrite(ctx, key, data); ok {
		return item, nil
	}
	item, err := c.create(ctx, key, data)
	if err != nil {
		return "", err
	}
	// The new item is stored: a failed sweep leaves older items, which
	// Get passes over and the next Set or Delete sweeps.
	_ = c.sweep(ctx, key)
	return item, nil
}

// rewrite gives key's one item the secret data in place (Item.SetSecret),
// when key has exactly one item: a single write, where a create and a
// sweep make two (gnome-keyring rewrites its whole keyring file for
// each, the bulk of a store's time at 1,000 entries). It reports false,
// having changed nothing, in every other case, and the caller creates and
// sweeps instead: no item or several, a locked collection, or a service
// that refuses SetSecret.
func (c *client) rewrite(ctx context.Context, key string, data []byte) (dbus.ObjectPath, bool) {
	session := c.openSession(ctx)
	items, err := c.find(ctx, key)
	if err != nil || len(items) != 1 {
		return "", false
	}
	s, err := session.path()
	if err != nil {
		return "", false
	}
	secret := ssSecret{Session: s, Parameters: []byte{}, Value: []byte(pack(data)), ContentType: contentType}
	if err := c.conn.Object(secretsName, items[0]).CallWithContext(ctx, itemIface+".SetSecret", 0, secret).Err; err != nil {
		return "", false
	}
	return items[0], true
}

// create adds an item for key holding data, with a new generation, and
// returns it ("/" when it was created through a prompt).
func (c *client) create(ctx context.Context, key string, data []byte) (dbus.ObjectPath, error) {
	session := c.openSession(ctx)
	if err := c.unlocked(ctx); err != nil {
		return "", err
	}
	s, err := session.path()
	if err != nil {
		return "", err
	}
	gen := c.b.generation()
	props := map[string]dbus.Variant{
		itemIface + ".Label": dbus.MakeVariant(fmt.Sprintf("Password for '%s' on '%s' #%s", key, Service, gen)),
		itemIface + ".Attributes": dbus.MakeVariant(map[string]string{
			"service": Service, "username": key, genAttr: gen}),
	}
	secret := ssSecret{Session: s, Parameters: []byte{}, Value: []byte(pack(data)), ContentType: contentType}
	var item, prompt dbus.ObjectPath
	err = c.conn.Object(secretsName, c.collection).
		CallWithContext(ctx, collectionIface+".CreateItem", 0, props, secret, false).Store(&item, &prompt)
	if err != nil {
		if answered(err) && strings.Contains(strings.ToLower(err.Error()), "session") {
			session.forget() // the next operation opens another
		}
		return "", err
	}
	if err := c.prompt(ctx, prompt, hintSSNeedsDialog); err != nil {
		return "", err
	}
	return item, nil
}

// Delete removes every item of key.
func (b *secretService) Delete(ctx context.Context, key string) error {
	c, err := b.connect(ctx, "delete")
	if err == nil {
		err = c.delete(ctx, key)
	}
	return mapError(NameSecretService, "delete", err)
}

func (c *client) delete(ctx context.Context, key string) error {
	items, err := c.find(ctx, key)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return &Error{Backend: NameSecretService, Op: "delete", Kind: ErrNotFound}
	}
	for _, item := range items {
		if err := c.deleteItem(ctx, item); err != nil {
			return err
		}
	}
	return nil
}

// generation is a value of genAttr greater than any this machine made
// before: the time in nanoseconds, 16 hex digits, then random digits so
// that two at the same instant differ.
func (b *secretService) generation() string {
	r := make([]byte, 4)
	_, _ = rand.Read(r)
	return fmt.Sprintf("%016x-%s", b.now().UnixNano(), hex.EncodeToString(r))
}

// client is one operation's view of the Secret Service: the connection,
// the collection the greeting named, and the operation for errors.
type client struct {
	b          *secretService
	g          *greeting
	conn       *dbus.Conn
	collection dbus.ObjectPath
	op         string
}

func (b *secretService) connect(ctx context.Context, op string) (*client, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxError(NameSecretService, op, err)
	}
	conn, err := sessionConn(ctx, op)
	if err != nil {
		return nil, err
	}
	g, err := greetConn(ctx, conn)
	if err != nil && redial(conn) {
		if conn, err = sessionConn(ctx, op); err == nil {
			g, err = greetConn(ctx, conn)
		}
	}
	if err != nil {
		return nil, err
	}
	return &client{b: b, g: g, conn: conn, collection: g.collection, op: op}, nil
}

// find returns the items of key in the collection, unlocking it first if
// it is locked. The Locked read and the search go out together.
func (c *client) find(ctx context.Context, key string) ([]dbus.ObjectPath, error) {
	coll := c.conn.Object(secretsName, c.collection)
	lockedCall := coll.GoWithContext(ctx, propGet, 0, nil, collectionIface, "Locked")
	search := func() *dbus.Call {
		return coll.GoWithContext(ctx, collectionIface+".SearchItems", 0, nil,
			map[string]string{"service": Service, "username": key})
	}
	searchCall := search()
	var locked dbus.Variant
	if err := wait(ctx, lockedCall).Store(&locked); err != nil {
		return nil, err
	}
	if l, _ := locked.Value().(bool); l {
		if err := c.unlock(ctx, c.collection, collectionIface); err != nil {
			return nil, err
		}
		searchCall = search() // a locked collection may hide its items
	}
	var items []dbus.ObjectPath
	err := wait(ctx, searchCall).Store(&items)
	return items, err
}

// unlocked makes sure the collection is unlocked.
func (c *client) unlocked(ctx context.Context) error {
	locked, err := collectionLocked(ctx, c.conn, c.collection)
	if err != nil || !locked {
		return err
	}
	return c.unlock(ctx, c.collection, collectionIface)
}

// newest returns the item of items with the greatest generation (an item
// without one, written by an earlier version, is the oldest). One item is
// returned without a look at its attributes.
func (c *client) newest(ctx context.Context, items []dbus.ObjectPath) (dbus.ObjectPath, error) {
	if len(items) == 1 {
		return items[0], nil
	}
	gens, err := c.generations(ctx, items)
	if err != nil {
		return "", err
	}
	best := 0
	for i, g := range gens {
		if gens[best] == unknownGen || g != unknownGen && g > gens[best] {
			best = i
		}
	}
	return items[best], nil
}

// unknownGen is the generation of an item whose attributes could not be
// read (deleted meanwhile, say): greater than any real one, so it is
// never taken for an older item and deleted.
const unknownGen = "~"

// generations reads genAttr of each item, all at once.
func (c *client) generations(ctx context.Context, items []dbus.ObjectPath) ([]string, error) {
	calls := make([]*dbus.Call, len(items))
	for i, item := range items {
		calls[i] = c.conn.Object(secretsName, item).GoWithContext(ctx, propGet, 0, nil, itemIface, "Attributes")
	}
	gens := make([]string, len(items))
	for i, call := range calls {
		var v dbus.Variant
		if err := wait(ctx, call).Store(&v); err != nil {
			if !answered(err) {
				return nil, err
			}
			gens[i] = unknownGen
			continue
		}
		attrs, _ := v.Value().(map[string]string)
		gens[i] = attrs[genAttr]
	}
	return gens, nil
}

// sweep deletes the items of key older than the newest one. Every writer
// sweeps after its create, and none deletes the newest item it sees, so of
// concurrent Sets the one with the greatest generation stays, whatever the
// order of their calls. It tries every older item and returns the first
// error.
func (c *client) sweep(ctx context.Context, key string) error {
	var items []dbus.ObjectPath
	err := c.conn.Object(secretsName, c.collection).CallWithContext(ctx, collectionIface+".SearchItems", 0,
		map[string]string{"service": Service, "username": key}).Store(&items)
	if err != nil || len(items) < 2 {
		return err
	}
	gens, err := c.generations(ctx, items)
	if err != nil {
		return err
	}
	var newest string
	for _, g := range gens {
		if g != unknownGen && g > newest {
			newest = g
		}
	}
	var errs []error
	for i, item := range items {
		if gens[i] < newest {
			errs = append(errs, c.deleteItem(ctx, item))
		}
	}
	return errors.Join(errs...)
}

func (c *client) deleteItem(ctx context.Context, item dbus.ObjectPath) error {
	var prompt dbus.ObjectPath
	err := c.conn.Object(secretsName, item).CallWithContext(ctx, itemIface+".Delete", 0).Store(&prompt)
	if isUnknownObject(err) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	return c.prompt(ctx, prompt, hintSSNeedsDialog)
}

// getSecret reads item's secret; an item locked on its own (KeePassXC asks
// whether this program may read an item another one created) is unlocked
// first.
func (c *client) getSecret(ctx context.Context, item, session dbus.ObjectPath) (string, error) {
	var sec ssSecret
	read := func() error {
		return c.conn.Object(secretsName, item).CallWithContext(ctx, itemIface+".GetSecret", 0, session).Store(&sec)
	}
	err := read()
	if isLockedErr(err) {
		if err := c.unlock(ctx, item, itemIface); err != nil {
			return "", err
		}
		err = read()
	}
	return string(sec.Value), err
}

// unlock asks the service to unlock object, a collection (iface
// collectionIface) or an item (itemIface), running the prompt it answers.
func (c *client) unlock(ctx context.Context, object dbus.ObjectPath, iface string) error {
	hint := hintSSLocked
	if iface == itemIface {
		hint = hintSSNeedsDialog
	}
	var unlocked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	err := c.conn.Object(secretsName, secretsPath).
		CallWithContext(ctx, serviceIface+".Unlock", 0, []dbus.ObjectPath{object}).Store(&unlocked, &prompt)
	if err != nil {
		return err
	}
	if prompt == noPrompt && len(unlocked) == 0 {
		return c.lockedError("the Secret Service did not unlock "+string(object), hint)
	}
	err = c.prompt(ctx, prompt, hint)
	if isUnknownObject(err) {
		// Another client's unlock of the same collection completed the
		// prompt first (KWallet): the object may be unlocked now.
		var v dbus.Variant
		lerr := c.conn.Object(secretsName, object).CallWithContext(ctx, propGet, 0, iface, "Locked").Store(&v)
		if locked, _ := v.Value().(bool); lerr == nil && !locked {
			return nil
		}
	}
	return err
}

// prompt runs a prompt the service answered with ("/" is none) and waits
// for it: a prompt that completes within promptGrace needed nobody. One
// that does not is a dialog for a person: with no display to show it, it
// is dismissed and the answer is ErrLocked; with one, the person gets the
// prompt deadline, and OnPrompt is told once.
func (c *client) prompt(ctx context.Context, prompt dbus.ObjectPath, hint string) error {
	if prompt == noPrompt || prompt == "" {
		return nil
	}
	completed, stop, err := c.watchPrompt(ctx, prompt)
	if err != nil {
		return err
	}
	defer stop()
	if err := c.conn.Object(secretsName, prompt).CallWithContext(ctx, promptIface+".Prompt", 0, "").Err; err != nil {
		return err
	}
	grace := time.NewTimer(promptGrace)
	defer grace.Stop()
	person := grace.C // then nil: the second wait ends only with ctx
	for {
		select {
		case dismissed := <-completed:
			return c.promptDone(dismissed, hint)
		case <-ctx.Done():
			c.dismiss(prompt)
			return ctx.Err()
		case <-person:
		}
		person = nil
		if !c.b.canPrompt() {
			c.dismiss(prompt)
			why := "the keychain wants a person to allow this in a dialog, and no display can show one"
			if hint == hintSSLocked {
				why = "unlocking it needs a person to answer a dialog, and no display can show one"
			}
			return c.lockedError(why, hint)
		}
		who := c.b.whoShows(c.conn)
		if extendDeadline(ctx, c.b.promptTimeout, who) {
			c.b.prompted.Do(func() { c.b.onPrompt(who) })
		}
	}
}

func (c *client) promptDone(dismissed bool, hint string) error {
	if dismissed {
		return c.lockedError("the dialog was dismissed", hint)
	}
	return nil
}

// watchPrompt subscribes to prompt's Completed signal: the channel gets
// its dismissed flag. stop undoes it without waiting.
func (c *client) watchPrompt(ctx context.Context, prompt dbus.ObjectPath) (completed <-chan bool, stop func(), err error) {
	rule := "type='signal',path='" + string(prompt) + "',interface='" + promptIface + "',member='Completed'"
	bus := c.conn.BusObject()
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.AddMatch", 0, rule).Err; err != nil {
		return nil, nil, err
	}
	signals := make(chan *dbus.Signal, 8)
	c.conn.Signal(signals)
	done := make(chan bool, 1)
	quit := make(chan struct{})
	go func() {
		for {
			select {
			case sig, ok := <-signals:
				if !ok {
					return // the connection closed
				}
				if sig.Path == prompt && sig.Name == promptIface+".Completed" && len(sig.Body) > 0 {
					dismissed, _ := sig.Body[0].(bool)
					done <- dismissed
					return
				}
			case <-quit:
				return
			}
		}
	}()
	return done, func() {
		close(quit)
		c.conn.RemoveSignal(signals)
		bus.Go("org.freedesktop.DBus.RemoveMatch", dbus.FlagNoReplyExpected, nil, rule)
	}, nil
}

// dismiss tells the service to drop a prompt nobody will answer, without
// waiting.
func (c *client) dismiss(prompt dbus.ObjectPath) {
	c.conn.Object(secretsName, prompt).Go(promptIface+".Dismiss", dbus.FlagNoReplyExpected, nil)
}

func (c *client) lockedError(why, hint string) error {
	return &Error{Backend: NameSecretService, Op: c.op, Kind: ErrLocked,
		Detail: string(c.collection) + ": " + why, Hint: hint}
}

// session is the connection's "plain" session, as one operation waits
// for it.
type session struct {
	g   *greeting
	ctx context.Context
	p   *pendingSession
}

// pendingSession is an OpenSession call that any number of operations
// may wait for (a godbus call's Done channel delivers its answer once).
type pendingSession struct {
	done chan struct{} // closed once answered
	path dbus.ObjectPath
	err  error
}

// openSession sends OpenSession unless the connection has a session
// already (or one on its way): one per connection, shared by every
// operation after the first and closed by the Secret Service with the
// connection. It is sent before the calls that do not need it, so that
// they share round trips.
func (c *client) openSession(ctx context.Context) *session {
	return &session{g: c.g, ctx: ctx, p: c.g.session()}
}

// path waits for the session. A session the service refused is
// forgotten, so the next operation asks again.
func (s *session) path() (dbus.ObjectPath, error) {
	select {
	case <-s.p.done:
	case <-s.ctx.Done():
		return "", s.ctx.Err()
	}
	if s.p.err != nil {
		s.forget()
	}
	return s.p.path, s.p.err
}

// forget drops the session, so the next operation opens another (after
// the service said it does not know it: restarted, say).
func (s *session) forget() {
	s.g.mu.Lock()
	defer s.g.mu.Unlock()
	if s.g.pending == s.p {
		s.g.pending = nil
	}
}

func (g *greeting) session() *pendingSession {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pending == nil {
		p := &pendingSession{done: make(chan struct{})}
		call := g.conn.Object(secretsName, secretsPath).
			Go(serviceIface+".OpenSession", 0, nil, "plain", dbus.MakeVariant(""))
		go func() {
			// godbus answers every call, with an error if the
			// connection closes.
			<-call.Done
			var ignored dbus.Variant
			p.err = call.Store(&ignored, &p.path)
			close(p.done)
		}()
		g.pending = p
	}
	return g.pending
}

// ssSecret is the Secret Service's Secret struct, (oayays).
type ssSecret struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

func isLockedErr(err error) bool {
	var de dbus.Error
	return errors.As(err, &de) && de.Name == "org.freedesktop.Secret.Error.IsLocked"
}

// isUnknownObject reports an object that is not (or no longer) there.
func isUnknownObject(err error) bool {
	var de dbus.Error
	return errors.As(err, &de) && (de.Name == "org.freedesktop.DBus.Error.UnknownObject" ||
		de.Name == "org.freedesktop.Secret.Error.NoSuchObject" ||
		strings.Contains(strings.ToLower(de.Error()), "no such object") ||
		strings.Contains(strings.ToLower(de.Error()), "object does not exist"))
}

// sessionConn is this process's connection to the session bus, shared by
// every call (and by the probe of Open("auto")), once sessionBus has made
// sure no dbus-launch will be run to get it. dialBus makes it without
// waiting; where that fails (a bus that is no unix socket), or the bus
// refused its handshake before (EXTERNAL with this uid: see redial),
// godbus's own handshake, which tries every mechanism it has. A connection
// that went away, or to another bus than the environment now names, is
// replaced.
func sessionConn(ctx context.Context, op string) (*dbus.Conn, error) {
	return connectBus(ctx, op, true, true)
}

// connectBus is sessionConn; without slow, it fails where sessionConn
// would run godbus's handshake, which waits for answers without a context,
// and where it would wait for another call that is connecting.
// With greet, a connection dialBus makes sends the greeting with its
// handshake (see sendGreeting); the probe of Open("auto") asks the bus
// only, and must not start a Secret Service that is not running.
func connectBus(ctx context.Context, op string, slow, greet bool) (*dbus.Conn, error) {
	addr, _, err := sessionBus()
	if err != nil {
		return nil, withOp(err, op)
	}
	if slow {
		shared.Lock()
	} else if !shared.TryLock() {
		// Another call is connecting, perhaps through godbus's handshake,
		// which nothing bounds but the call's own deadline.
		return nil, errConnecting
	}
	defer shared.Unlock()
	if shared.conn != nil && shared.addr == addr && shared.conn.Connected() {
		return shared.conn, nil
	}
	var conn *dbus.Conn
	var shim *authShim
	var g *greeting
	var first *firstCall
	if greet {
		first = &firstCall{msg: greetingCall, start: func(conn *dbus.Conn) func(*dbus.Message, error) {
			g = newGreeting(conn)
			return g.answered
		}}
	}
	err = errHandshake
	if shared.refusedBy != addr {
		conn, shim, err = dialBus(ctx, addr, first)
	}
	if err == nil && g != nil {
		greetings.Lock()
		greetings.g = g
		greetings.Unlock()
	}
	if err != nil {
		if !slow {
			return nil, err
		}
		if conn, err = dbus.Connect(addr); err != nil {
			return nil, err
		}
	}
	shared.conn, shared.addr, shared.shim = conn, addr, shim
	return conn, nil
}

// redial drops conn, the session connection, when its bus refused
// dialBus's handshake, and reports whether it did: the caller's first call
// failed, and it makes it again on the connection sessionConn now makes.
func redial(conn *dbus.Conn) bool {
	shared.Lock()
	defer shared.Unlock()
	if shared.conn != conn || shared.shim == nil || !shared.shim.Refused() {
		return false
	}
	conn.Close()
	shared.refusedBy, shared.conn, shared.shim = shared.addr, nil, nil
	return true
}

// errConnecting is a warm-up's answer when another call is connecting.
var errConnecting = errors.New("another call is connecting to the session bus")

var shared struct {
	sync.Mutex
	conn      *dbus.Conn
	addr      string    // the bus it is connected to
	shim      *authShim // dialBus's, if it made conn
	refusedBy string    // a bus that refused dialBus's handshake
}

// greeting is a connection's greeting (see greet): sent once, answered
// once, and followed at once by the connection's session.
type greeting struct {
	conn       *dbus.Conn
	done       chan struct{}   // closed once answered
	collection dbus.ObjectPath // "login" if it exists, else the default alias
	err        error

	mu      sync.Mutex
	pending *pendingSession // once sent (see openSession)
}

// greetings holds the greeting of the latest connection (godbus replaces
// its shared connection when the bus goes away).
var greetings struct {
	sync.Mutex
	g *greeting
}

// greet makes the first message this process sends the Secret Service one
// that needs no per-client state: a read of the Service's Collections
// property. gnome-keyring-daemon registers each new client from an idle
// callback queued when the client's first message arrives, and that
// callback can lose the race with the dispatch of the message itself; a
// first message that needs the client's record (OpenSession, or a
// collection's Locked property) then aborts the daemon
// (gkd_secret_service_get_pkcs11_session: assertion 'client' failed;
// gnome-keyring issues 183, 190, 194). Measured on Debian 12's
// gnome-keyring 42.1 with 8 clients at once, each on a fresh connection:
// Locked first killed the daemon within 35 to 3,117 connections,
// OpenSession first within 1,416 to 2,000; Collections first, none in
// 38,396 (TestSecretServiceFirstMessage). Collections is answered from the
// exported object's cache, and by the time its answer arrives the client
// is registered. It is one round trip per connection, and its answer
// names the collection to use.
func greet(ctx context.Context, conn *dbus.Conn) (dbus.ObjectPath, error) {
	g, err := greetConn(ctx, conn)
	if err != nil {
		return "", err
	}
	return g.collection, nil
}

// greetConn is greet returning the connection's greeting.
func greetConn(ctx context.Context, conn *dbus.Conn) (*greeting, error) {
	g := sendGreeting(conn)
	select {
	case <-g.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if g.err != nil {
		return nil, g.err
	}
	return g, nil
}

// sendGreeting returns conn's greeting, sending it unless it is on its way
// or answered (a failed one is sent again). Nothing else goes to the
// Secret Service before its answer, and then OpenSession goes at once:
// every operation but a delete needs the session, and a get needs nothing
// sooner.
func sendGreeting(conn *dbus.Conn) *greeting {
	greetings.Lock()
	defer greetings.Unlock()
	if g := greetings.g; g != nil && g.conn == conn {
		select {
		case <-g.done:
			if g.err == nil {
				return g
			}
		default:
			return g
		}
	}
	g := newGreeting(conn)
	call := conn.Object(secretsName, secretsPath).Go(propGet, 0, nil, serviceIface, "Collections")
	go func() {
		// godbus answers every call, with an error if the connection
		// closes.
		<-call.Done
		var v dbus.Variant
		g.greeted(v, call.Store(&v))
	}()
	greetings.g = g
	return g
}

// greetingCall is the greeting, encoded for dialBus to send with its
// handshake.
var greetingCall = earlybus.Greeting

func newGreeting(conn *dbus.Conn) *greeting {
	return &greeting{conn: conn, done: make(chan struct{}), collection: defaultAlias}
}

// answered takes the answer to greetingCall sent by dialBus (m), or the
// error that ended the connection first.
func (g *greeting) answered(m *dbus.Message, err error) {
	var v dbus.Variant
	switch {
	case err != nil:
	case m.Type == dbus.TypeError:
		name, _ := m.Headers[dbus.FieldErrorName].Value().(string)
		err = dbus.Error{Name: name, Body: m.Body}
	case len(m.Body) == 1:
		v, _ = m.Body[0].(dbus.Variant)
	default:
		err = fmt.Errorf("the Secret Service answered the greeting with %d values", len(m.Body))
	}
	g.greeted(v, err)
}

// greeted records the greeting's answer, the Collections property, opens
// the session after a good one and lets the waiters go.
func (g *greeting) greeted(collections dbus.Variant, err error) {
	if g.err = err; err == nil {
		if paths, ok := collections.Value().([]dbus.ObjectPath); ok && slices.Contains(paths, loginCollection) {
			g.collection = loginCollection
		}
		g.session()
	}
	close(g.done)
}

// collectionLocked reads the Locked property of collection. An error is a
// failure to reach the Secret Service; a collection that is not there is
// reported unlocked, leaving the error to the call that uses it.
func collectionLocked(ctx context.Context, conn *dbus.Conn, collection dbus.ObjectPath) (bool, error) {
	var v dbus.Variant
	err := conn.Object(secretsName, collection).CallWithContext(ctx, propGet, 0, collectionIface, "Locked").Store(&v)
	if err != nil && !answered(err) {
		return false, err
	}
	locked, _ := v.Value().(bool)
	return locked, nil
}

// answered reports whether err is the Secret Service's own answer (no such
// object, say) rather than no answer at all (the deadline, a dead daemon).
func answered(err error) bool {
	var de dbus.Error
	return errors.As(err, &de) && de.Name != "org.freedesktop.DBus.Error.NoReply" &&
		de.Name != "org.freedesktop.DBus.Error.ServiceUnknown"
}

// wait returns call once it is answered or ctx ends.
func wait(ctx context.Context, call *dbus.Call) *dbus.Call {
	select {
	case <-call.Done:
		return call
	case <-ctx.Done():
		return &dbus.Call{Err: ctx.Err()}
	}
}

// canPrompt reports whether a Secret Service prompter could show a window.
func canPrompt() bool {
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

// secretsProgram names the program that owns org.freedesktop.secrets, for
// a person ("KeePassXC", "KWallet", "gnome-keyring"), or "the Secret
// Service" where it cannot tell.
func secretsProgram(conn *dbus.Conn) string {
	const unknown = "the Secret Service"
	ctx, cancel := context.WithTimeout(context.Background(), promptGrace)
	defer cancel()
	var pid uint32
	err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetConnectionUnixProcessID", 0, secretsName).Store(&pid)
	if err != nil {
		return unknown
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return unknown
	}
	name := strings.TrimSpace(string(comm))
	switch {
	case strings.HasPrefix(name, "keepassxc"):
		return "KeePassXC"
	case strings.HasPrefix(name, "kwalletd"), strings.HasPrefix(name, "ksecretd"):
		return "KWallet"
	case strings.HasPrefix(name, "gnome-keyring"):
		return "gnome-keyring"
	case name == "":
		return unknown
	}
	return name
}
