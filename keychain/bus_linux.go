package keychain

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

const busEnv = "DBUS_SESSION_BUS_ADDRESS"

// sessionBus finds the D-Bus session bus without starting one. godbus, asked
// for the session bus when DBUS_SESSION_BUS_ADDRESS is unset (or
// "autolaunch:") and /run/user/<uid>/bus is missing, runs `dbus-launch`
// (conn_other.go, getSessionBusPlatformAddress): that starts a dbus-daemon
// nobody stops, with no Secret Service on it, once per call. So every
// connection to the Secret Service is preceded by this check, and when a socket is found
// through XDG_RUNTIME_DIR, DBUS_SESSION_BUS_ADDRESS is set in this process
// so godbus connects there instead of looking further.
//
// It returns the address and where it came from, or an *Error of kind
// ErrUnavailable.
func sessionBus() (addr, source string, err error) {
	addr, source, ok := findSessionBus(os.Getenv, isSocket, os.Getuid())
	if !ok {
		return "", "", noBusError(source)
	}
	if source != busEnv {
		os.Setenv(busEnv, addr)
	}
	return addr, source, nil
}

// findSessionBus is sessionBus without side effects. When there is no bus,
// source says what was looked at.
func findSessionBus(getenv func(string) string, isSocket func(string) bool, uid int) (addr, source string, ok bool) {
	if a := getenv(busEnv); a != "" && !strings.HasPrefix(a, "autolaunch:") {
		return a, busEnv, true
	}
	var looked []string
	if rt := getenv("XDG_RUNTIME_DIR"); rt != "" && filepath.IsAbs(rt) {
		p := filepath.Join(rt, "bus")
		if isSocket(p) {
			return "unix:path=" + dbus.EscapeBusAddressValue(p), "$XDG_RUNTIME_DIR/bus", true
		}
		looked = append(looked, "no "+p)
	}
	p := "/run/user/" + strconv.Itoa(uid) + "/bus"
	if isSocket(p) {
		return "unix:path=" + dbus.EscapeBusAddressValue(p), p, true
	}
	looked = append(looked, "no "+p)
	why := busEnv + " unset"
	if a := getenv(busEnv); a != "" {
		why = busEnv + "=" + a + " would autolaunch"
	}
	return "", why + ", " + strings.Join(looked, ", "), false
}

func isSocket(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&os.ModeSocket != 0
}

// probeSecretService reports whether org.freedesktop.secrets is running or
// activatable on the session bus, with why in a few words. It uses godbus's
// shared connection, which the backend then reuses, and gives up after d
// (the connection attempt may go on in the background; nothing else will
// wait for it, since the answer is then "no").
func probeSecretService(d time.Duration) (bool, string) {
	_, source, err := sessionBus()
	if err != nil {
		var e *Error
		errors.As(err, &e)
		return false, e.Detail
	}
	type answer struct {
		ok  bool
		why string
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	a, ok := within(ctx, func(ctx context.Context) answer {
		ok, why := lookForSecrets(ctx)
		return answer{ok, why}
	})
	if !ok {
		return false, "the D-Bus session bus (" + source + ") did not answer within " + d.String()
	}
	return a.ok, a.why
}

func lookForSecrets(ctx context.Context) (bool, string) {
	conn, err := connectBus(ctx, "open", true, false)
	if err != nil {
		return false, "cannot connect to the D-Bus session bus: " + detail(err.Error())
	}
	ok, why := secretsOnBus(ctx, conn)
	if !ok && redial(conn) {
		if conn, err = connectBus(ctx, "open", true, false); err == nil {
			ok, why = secretsOnBus(ctx, conn)
		}
	}
	return ok, why
}

func secretsOnBus(ctx context.Context, conn *dbus.Conn) (bool, string) {
	bus := conn.BusObject()
	var owned bool
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, secretsName).Store(&owned); err != nil {
		return false, "the D-Bus session bus did not answer: " + detail(err.Error())
	}
	if owned {
		return true, secretsName + " is running"
	}
	var names []string
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&names); err != nil {
		return false, "the D-Bus session bus did not answer: " + detail(err.Error())
	}
	if slices.Contains(names, secretsName) {
		return true, secretsName + " can be started on the session bus"
	}
	return false, "no Secret Service (" + secretsName + ") on the D-Bus session bus"
}
