package keychain

import (
	"context"
	"errors"
	"os"
	"sync/atomic"

	"github.com/godbus/dbus/v5"
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
	if _, _, err := sessionBus(); err != nil {
		return withOp(err, op)
	}
	if b.skipLockCheck {
		return nil
	}
	conn, err := dbus.SessionBus()
	if err != nil {
		return mapError(b.name, op, err)
	}
	if err := greet(ctx, conn); err != nil {
		return mapError(b.name, op, err)
	}
	if canPrompt() {
		return nil
	}
	locked, path, err := collectionLocked(ctx, conn)
	if err != nil {
		return mapError(b.name, op, err)
	}
	if locked {
		return &Error{Backend: b.name, Op: op, Kind: ErrLocked,
			Detail: string(path) + " is locked; no display for an unlock prompt",
			Hint:   hintSSLocked}
	}
	return nil
}

// greeted is the connection that last greeted the Secret Service (godbus
// replaces its shared connection when the bus goes away).
var greeted atomic.Pointer[dbus.Conn]

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
// is registered. It is one round trip per connection.
func greet(ctx context.Context, conn *dbus.Conn) error {
	if greeted.Load() == conn {
		return nil
	}
	var v dbus.Variant
	err := conn.Object(secretsName, secretsPath).
		CallWithContext(ctx, propGet, 0, serviceIface, "Collections").Store(&v)
	if err != nil {
		return err
	}
	greeted.Store(conn)
	return nil
}

// canPrompt reports whether a Secret Service prompter could show a window.
func canPrompt() bool {
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

// collectionLocked reads the Locked property of the collection go-keyring
// will use, over godbus's shared session connection (the one go-keyring
// uses next, so the connection is made once per process either way). An
// error is a failure to reach the Secret Service; when neither collection
// answers, it reports unlocked and leaves the rest to go-keyring.
func collectionLocked(ctx context.Context, conn *dbus.Conn) (bool, dbus.ObjectPath, error) {
	for _, path := range []dbus.ObjectPath{loginCollection, defaultAlias} {
		var v dbus.Variant
		err := conn.Object(secretsName, path).CallWithContext(ctx, propGet, 0, collectionIface, "Locked").Store(&v)
		if err == nil {
			locked, _ := v.Value().(bool)
			return locked, path, nil
		}
		var de dbus.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
			!errors.As(err, &de) || de.Name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
			de.Name == "org.freedesktop.DBus.Error.NoReply" {
			return false, "", err
		}
		// No such collection: try the next one.
	}
	return false, "", nil
}
