//go:build !darwin && !windows

package keychain

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// dialBus connects to the D-Bus bus at addr, a unix: address, in one round
// trip where godbus's Connect takes five: it sends the whole handshake at
// once (EXTERNAL with this process's uid, then BEGIN, as the D-Bus
// specification lets a client do), waits only for the bus's OK, and sends
// Hello without waiting for its answer: the bus handles a connection's
// messages in order, so Hello is done before any later call. Unix file
// descriptors are not negotiated; nothing here sends any.
//
// godbus runs its own handshake (Conn.Auth) on the connection: a shim
// answers it from what the bus already said, so godbus still checks the
// OK and starts its reader only after it. A bus that does not take the
// uid (another user namespace, say) answers REJECTED: dialBus then fails,
// and the caller connects the usual way.
func dialBus(ctx context.Context, addr string) (*dbus.Conn, error) {
	where, ok := unixSocket(addr)
	if !ok {
		return nil, errNotUnix
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", where)
	if err != nil {
		return nil, err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultTimeout)
	}
	_ = nc.SetDeadline(deadline) // the handshake only
	uid := hex.EncodeToString([]byte(strconv.Itoa(os.Geteuid())))
	if _, err := nc.Write([]byte("\x00AUTH EXTERNAL " + uid + "\r\nBEGIN\r\n")); err != nil {
		nc.Close()
		return nil, err
	}
	shim := &authShim{nc: nc, in: bufio.NewReader(nc)}
	conn, err := dbus.NewConn(shim)
	if err != nil {
		nc.Close()
		return nil, err
	}
	if err := conn.Auth([]dbus.Auth{externalDone{}}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("dbus handshake: %w", err)
	}
	_ = nc.SetDeadline(time.Time{})
	conn.BusObject().Go("org.freedesktop.DBus.Hello", 0, nil)
	return conn, nil
}

var errNotUnix = errors.New("not a unix socket address")

// unixSocket returns the socket of the first unix: address in addr (path
// or abstract), unescaped.
func unixSocket(addr string) (string, bool) {
	for _, a := range strings.Split(addr, ";") {
		rest, ok := strings.CutPrefix(a, "unix:")
		if !ok {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			v, err := unescapeBusValue(v)
			if err != nil || v == "" {
				return "", false
			}
			switch k {
			case "path":
				return v, true
			case "abstract":
				return "@" + v, true
			}
		}
		return "", false
	}
	return "", false
}

// unescapeBusValue undoes the %xx escapes of a D-Bus address value.
func unescapeBusValue(v string) (string, error) {
	if !strings.Contains(v, "%") {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			b.WriteByte(v[i])
			continue
		}
		if i+2 >= len(v) {
			return "", errors.New("bad escape")
		}
		c, err := hex.DecodeString(v[i+1 : i+3])
		if err != nil {
			return "", err
		}
		b.Write(c)
		i += 2
	}
	return b.String(), nil
}

// externalDone is the EXTERNAL mechanism for godbus's handshake, whose
// real exchange dialBus has already sent.
type externalDone struct{}

func (externalDone) FirstData() ([]byte, []byte, dbus.AuthStatus) {
	return []byte("EXTERNAL"), nil, dbus.AuthOk
}

func (externalDone) HandleData([]byte) ([]byte, dbus.AuthStatus) { return nil, dbus.AuthError }

// authShim is the connection as godbus sees it. During the handshake it
// swallows godbus's lines, which dialBus has already sent in its own
// words, and answers them: the bare AUTH with the mechanism dialBus chose,
// AUTH EXTERNAL with the bus's real answer to dialBus's. From godbus's
// BEGIN on, it passes everything through.
type authShim struct {
	nc      net.Conn
	in      *bufio.Reader // the bus's bytes, the first line read by the handshake
	begun   bool          // set before godbus starts its reader
	pending []byte        // the answer to the last line godbus wrote
	fromBus bool          // that answer is the bus's next line
}

func (s *authShim) Write(p []byte) (int, error) {
	if s.begun {
		return s.nc.Write(p)
	}
	switch string(p) {
	case "\x00":
	case "AUTH\r\n":
		s.pending = []byte("REJECTED EXTERNAL\r\n")
	case "AUTH EXTERNAL\r\n":
		s.fromBus = true
	case "BEGIN\r\n":
		s.begun = true
	default:
		return 0, fmt.Errorf("dbus handshake: unexpected %q", bytes.TrimSpace(p))
	}
	return len(p), nil
}

func (s *authShim) Read(p []byte) (int, error) {
	if s.begun {
		return s.in.Read(p)
	}
	if s.fromBus {
		line, err := s.in.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		s.fromBus = false
		s.pending = line
	}
	if len(s.pending) == 0 {
		return 0, errors.New("dbus handshake: nothing to read")
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	return n, nil
}

func (s *authShim) Close() error { return s.nc.Close() }
