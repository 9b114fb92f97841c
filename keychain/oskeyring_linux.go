package keychain

import (
	"context"
	"errors"
	"os"
	"slices"
	"sync/atomic"

	"github.com/godbus/dbus/v5"
	ss "github.com/zalando/go-keyring/secret_service"
)

const (
	osName    = NameSecretService
	osLabel   = "the Secret Service"
	osEncodes = true // other Secret Services may treat the value as text
	osMaxItem = 0    // no cap on an item
)

// The objects go-keyring uses (secret_service.go, GetLoginCollection): the
// "login" collection if it exists, else the default alias.
const (
	secretsName     = "org.freedesktop.secrets"
	secretsPath     = dbus.ObjectPath("/org/freedesktop/secrets")
	serviceIface    = "org.freedesktop.Secret.Service"
	sessionIface    = "org.freedesktop.Secret.Session"
	itemIface       = "org.freedesktop.Secret.Item"
	loginCollection = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	defaultAlias    = dbus.ObjectPath("/org/freedesktop/secrets/aliases/default")
	propGet         = "org.freedesktop.DBus.Properties.Get"
	collectionIface = "org.freedesktop.Secret.Collection"
)

// preflight runs before every go-keyring call: a session bus must exist
// (else godbus would run dbus-launch); the Secret Service gets a harmless
// first message (see greet); and, when no unlock prompt can be shown, the
// collection go-keyring will use must be unlocked. go-keyring answers a
// locked collection by asking for a prompt and waiting for it with no
// deadline; with no display the prompter fails or never appears, so the
// check turns that into ErrLocked at the cost of one property read on the
// shared connection go-keyring then uses. With a display the prompt is
// left to go-keyring, under WithTimeout: a person can answer it.
func (b *osBackend) preflight(ctx context.Context, op string) error {
	if b.skipLockCheck {
		_, _, err := sessionBus()
		return withOp(err, op)
	}
	conn, err := sessionConn(op)
	if err != nil {
		return mapError(b.name, op, err)
	}
	collection, err := greet(ctx, conn)
	if err != nil {
		return mapError(b.name, op, err)
	}
	if canPrompt() {
		return nil
	}
	locked, err := collectionLocked(ctx, conn, collection)
	if err != nil {
		return mapError(b.name, op, err)
	}
	if locked {
		return lockedError(b.name, op, collection)
	}
	return nil
}

// sessionConn is godbus's shared session connection, which go-keyring uses
// too, once sessionBus has made sure godbus will not run dbus-launch to
// get it.
func sessionConn(op string) (*dbus.Conn, error) {
	if _, _, err := sessionBus(); err != nil {
		return nil, withOp(err, op)
	}
	return dbus.SessionBus()
}

func lockedError(backend, op string, collection dbus.ObjectPath) error {
	return &Error{Backend: backend, Op: op, Kind: ErrLocked,
		Detail: string(collection) + " is locked; no display for an unlock prompt",
		Hint:   hintSSLocked}
}

// greeted is what the last greeting learnt, on which connection (godbus
// replaces its shared connection when the bus goes away).
var greeted atomic.Pointer[greeting]

type greeting struct {
	conn       *dbus.Conn
	collection dbus.ObjectPath // the one go-keyring uses: "login" if it exists, else the default alias
}

// greet makes the first message this process sends the Secret Service one
// that needs no per-client state: a read of the Service's Collections
// property. gnome-keyring-daemon registers each new client from an idle
// callback queued when the client's first message arrives, and that
// callback can lose the race with the dispatch of the message itself; a
// first message that needs the client's record (OpenSession, which
// go-keyring sends first, or a collection's Locked property, which the lock
// check reads) then aborts the daemon
// (gkd_secret_service_get_pkcs11_session: assertion 'client' failed;
// gnome-keyring issues 183, 190, 194). Measured on Debian 12's
// gnome-keyring 42.1 with 8 clients at once, each on a fresh connection:
// Locked first killed the daemon within 35 to 3,117 connections,
// OpenSession first within 1,416 to 2,000; Collections first, none in
// 38,396 (TestSecretServiceFirstMessage). Collections is answered from the
// exported object's cache, and by the time its answer arrives the client
// is registered. It is one round trip per connection, and its answer
// names the collection go-keyring will use.
func greet(ctx context.Context, conn *dbus.Conn) (dbus.ObjectPath, error) {
	if g := greeted.Load(); g != nil && g.conn == conn {
		return g.collection, nil
	}
	var v dbus.Variant
	err := conn.Object(secretsName, secretsPath).
		CallWithContext(ctx, propGet, 0, serviceIface, "Collections").Store(&v)
	if err != nil {
		return "", err
	}
	g := &greeting{conn: conn, collection: defaultAlias}
	if paths, ok := v.Value().([]dbus.ObjectPath); ok && slices.Contains(paths, loginCollection) {
		g.collection = loginCollection
	}
	greeted.Store(g)
	return g.collection, nil
}

// directGet reads key's item as go-keyring's Get would find it (the
// collection greet names; attributes service and username; the first
// match), in five calls and three round trips where go-keyring and the
// checks before it take nine calls, one after another (about 0.6 ms each
// with gnome-keyring): the greeting; then, at once, the collection's
// Locked property, SearchItems and OpenSession; then GetSecret. The session is closed without waiting for the answer.
// done is false when go-keyring should answer instead: a test seam is
// set, the collection is locked and a prompt could unlock it, or the
// Secret Service answered something unexpected (go-keyring then meets it
// its own way, as before).
func (b *osBackend) directGet(ctx context.Context, key string) (secret string, done bool, err error) {
	if b.skipLockCheck {
		return "", false, nil
	}
	conn, err := sessionConn("get")
	if err != nil {
		return "", true, err
	}
	return b.directGetOn(ctx, conn, key)
}

func (b *osBackend) directGetOn(ctx context.Context, conn *dbus.Conn, key string) (secret string, done bool, err error) {
	collection, err := greet(ctx, conn)
	if err != nil {
		return "", true, err
	}
	coll := conn.Object(secretsName, collection)
	svc := conn.Object(secretsName, secretsPath)
	lockedCall := coll.GoWithContext(ctx, propGet, 0, nil, collectionIface, "Locked")
	searchCall := coll.GoWithContext(ctx, collectionIface+".SearchItems", 0, nil,
		map[string]string{"username": key, "service": Service})
	sessionCall := svc.GoWithContext(ctx, serviceIface+".OpenSession", 0, nil, "plain", dbus.MakeVariant(""))
	var session dbus.ObjectPath
	var ignored dbus.Variant
	sessionErr := wait(ctx, sessionCall).Store(&ignored, &session)
	if sessionErr == nil {
		defer conn.Object(secretsName, session).Go(sessionIface+".Close", dbus.FlagNoReplyExpected, nil)
	}
	var locked dbus.Variant
	if err := wait(ctx, lockedCall).Store(&locked); err != nil {
		return "", !answered(err), err
	}
	if l, _ := locked.Value().(bool); l {
		if canPrompt() {
			return "", false, nil
		}
		return "", true, lockedError(b.name, "get", collection)
	}
	var items []dbus.ObjectPath
	if err := wait(ctx, searchCall).Store(&items); err != nil {
		return "", !answered(err), err
	}
	if len(items) == 0 {
		return "", true, &Error{Backend: b.name, Op: "get", Kind: ErrNotFound}
	}
	if sessionErr != nil {
		return "", !answered(sessionErr), sessionErr
	}
	var sec ss.Secret
	err = conn.Object(secretsName, items[0]).CallWithContext(ctx, itemIface+".GetSecret", 0, session).Store(&sec)
	if err != nil {
		// An item locked on its own, say: go-keyring unlocks it first.
		return "", !answered(err), err
	}
	return string(sec.Value), true, nil
}

// answered reports whether err is the Secret Service's own answer (no such
// collection, say), which go-keyring may handle its own way, rather than
// no answer at all (the deadline, a dead daemon), which it would only
// meet again.
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

// collectionLocked reads the Locked property of collection (the one greet
// named, which go-keyring uses). An error is a failure to reach the Secret
// Service; a collection that is not there is reported unlocked, leaving
// the rest to go-keyring.
func collectionLocked(ctx context.Context, conn *dbus.Conn, collection dbus.ObjectPath) (bool, error) {
	var v dbus.Variant
	err := conn.Object(secretsName, collection).CallWithContext(ctx, propGet, 0, collectionIface, "Locked").Store(&v)
	if err != nil && !answered(err) {
		return false, err
	}
	locked, _ := v.Value().(bool)
	return locked, nil
}
