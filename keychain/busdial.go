//go:build !darwin && !windows

package keychain

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/docker-credential-pat/docker-credential-pat/keychain/earlybus"
)

// dialBus connects to the D-Bus bus at addr, a unix: address, without
// waiting for it, where godbus's Connect waits for five answers: it sends
// the whole handshake (EXTERNAL with this process's uid, then BEGIN),
// Hello and the caller's first call, if any, in one write, before godbus
// runs its own handshake on the connection, and returns: later calls
// follow in the same stream, and the bus reads them all once it has said
// OK. The bus handles a connection's messages in order, so Hello is done
// before any later call. dbus-broker documents this use (its SASL "does
// not need to be synchronous"); dbus-daemon keeps the bytes that follow
// BEGIN for the message stream; the tests run it against dbus-daemon.
// Unix file descriptors are not negotiated; nothing here sends any.
//
// godbus runs its own handshake (Conn.Auth) on the connection: a shim
// answers it at once, and the bus's real answer is the first thing
// godbus's reader reads (see authShim.Read). A bus that does not take the
// uid (another user namespace, say) answers REJECTED: every call on the
// connection then fails with errHandshake, and the caller connects the
// usual way (see sessionConn), as the shim's Refused reports.
//
// first, if not nil, is the first call for the new connection (see
// firstCall): its answer goes to the call's done, from godbus's reader,
// as godbus does not know the call.
func dialBus(ctx context.Context, addr string, first *firstCall) (*dbus.Conn, *authShim, error) {
	where, ok := earlybus.Socket(addr)
	if !ok {
		return nil, nil, errNotUnix
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultTimeout)
	}
	var firstMsg []byte
	if first != nil {
		firstMsg = first.msg
	}
	out := earlybus.Handshake(os.Geteuid(), firstMsg)
	nc, err := connectUnix(ctx, where, out, deadline)
	if err != nil {
		return nil, nil, err
	}
	shim := &authShim{nc: nc, in: bufio.NewReader(nc)}
	conn, err := dbus.NewConn(shim, dbus.WithIncomingInterceptor(func(m *dbus.Message) {
		if first != nil && m.Type != dbus.TypeSignal && m.Type != dbus.TypeMethodCall {
			if serial, _ := m.Headers[dbus.FieldReplySerial].Value().(uint32); serial == firstSerial {
				first.answer(m, nil)
			}
		}
	}))
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	if first != nil {
		first.done = first.start(conn) // before godbus's reader starts (in Auth)
		shim.onError = func(err error) { first.answer(nil, err) }
	}
	if err := conn.Auth([]dbus.Auth{externalDone{}}); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("dbus handshake: %w", err)
	}
	return conn, shim, nil
}

// firstCall is a call sent with dialBus's handshake, encoded by hand
// (earlybus.EncodeCall) with the serial firstSerial, which godbus's own serials,
// counting from 1, do not reach.
type firstCall struct {
	msg []byte
	// start is given the new connection before its reader starts, and
	// returns what takes the call's answer, or the error that ended the
	// connection first.
	start func(*dbus.Conn) func(*dbus.Message, error)
	once  sync.Once
	done  func(*dbus.Message, error)
}

func (c *firstCall) answer(m *dbus.Message, err error) {
	c.once.Do(func() { c.done(m, err) })
}

// firstSerial is the serial of the first call (earlybus's Hello has the
// one before it).
const firstSerial = earlybus.GreetingSerial

var errNotUnix = errors.New("not a unix socket address")

// errHandshake is what every call on a dialBus connection fails with when
// the bus did not say OK to its handshake.
var errHandshake = errors.New("the D-Bus session bus refused the handshake")

// externalDone is the EXTERNAL mechanism for godbus's handshake, whose
// real exchange dialBus has already sent.
type externalDone struct{}

func (externalDone) FirstData() ([]byte, []byte, dbus.AuthStatus) {
	return []byte("EXTERNAL"), nil, dbus.AuthOk
}

func (externalDone) HandleData([]byte) ([]byte, dbus.AuthStatus) { return nil, dbus.AuthError }

// authShim is the connection as godbus sees it. During the handshake it
// swallows godbus's lines, which dialBus has already sent in its own
// words, and answers them at once: the bare AUTH with the mechanism
// dialBus chose, AUTH EXTERNAL with OK. From godbus's BEGIN on, it passes
// everything through, once the bus's real answer, the first line it
// sends, has turned out to be OK.
type authShim struct {
	nc       net.Conn
	in       *bufio.Reader // the bus's bytes
	begun    bool          // set before godbus starts its reader
	accepted bool          // the bus said OK; only the reader uses it
	refused  atomic.Bool   // it did not, set before any call learns it
	pending  []byte        // the answer to the last line godbus wrote
	onError  func(error)   // told of the reader's error, if set
}

// Refused reports whether the bus refused the handshake: then every call
// on the connection fails (with errHandshake, or ErrClosed once the
// reader has closed it).
func (s *authShim) Refused() bool { return s.refused.Load() }

func (s *authShim) Write(p []byte) (int, error) {
	if s.begun {
		return s.nc.Write(p)
	}
	switch string(p) {
	case "\x00":
	case "AUTH\r\n":
		s.pending = []byte("REJECTED EXTERNAL\r\n")
	case "AUTH EXTERNAL\r\n":
		// godbus keeps the GUID only to answer Peer.GetMachineId calls
		// made to it, which nobody makes to a client.
		s.pending = []byte("OK 00000000000000000000000000000000\r\n")
	case "BEGIN\r\n":
		s.begun = true
	default:
		return 0, fmt.Errorf("dbus handshake: unexpected %q", bytes.TrimSpace(p))
	}
	return len(p), nil
}

func (s *authShim) Read(p []byte) (int, error) {
	if s.begun {
		if !s.accepted {
			line, err := s.in.ReadSlice('\n')
			if err == nil && !bytes.HasPrefix(line, []byte("OK ")) {
				err = fmt.Errorf("it answered %q", bytes.TrimSpace(line))
			}
			if err != nil {
				s.refused.Store(true)
				return 0, s.failed(fmt.Errorf("%w: %w", errHandshake, err))
			}
			s.accepted = true
		}
		n, err := s.in.Read(p)
		if err != nil {
			err = s.failed(err)
		}
		return n, err
	}
	if len(s.pending) == 0 {
		return 0, errors.New("dbus handshake: nothing to read")
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	return n, nil
}

func (s *authShim) Close() error { return s.nc.Close() }

// failed tells onError of err, and returns it.
func (s *authShim) failed(err error) error {
	if s.onError != nil {
		s.onError(err)
	}
	return err
}

// dialUnix connects to the unix socket where through net.Dialer and
// writes out to it.
func dialUnix(ctx context.Context, where string, out []byte, deadline time.Time) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", where)
	if err != nil {
		return nil, err
	}
	if err := writeAll(nc, out, deadline); err != nil {
		return nil, err
	}
	return nc, nil
}

// writeAll writes out to nc by deadline, and closes nc if it cannot.
func writeAll(nc net.Conn, out []byte, deadline time.Time) error {
	_ = nc.SetWriteDeadline(deadline)
	if _, err := nc.Write(out); err != nil {
		nc.Close()
		return err
	}
	_ = nc.SetWriteDeadline(time.Time{})
	return nil
}
