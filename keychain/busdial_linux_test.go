package keychain

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/docker-credential-pat/docker-credential-pat/keychain/earlybus"
	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

// dialBus connects to a real dbus-daemon without waiting: its first call
// (the greeting, to gnome-keyring) goes out with the handshake and its
// answer comes back to it, and the connection then calls the bus and gets
// answers, one after another and several in flight, and the bus knows it
// by a unique name (Hello was handled before the first call).
func TestDialBus(t *testing.T) {
	s := keychaintest.Start(t, testing.Short())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	answers := make(chan *dbus.Message, 2)
	conn, shim, err := dialBus(ctx, s.Addr(), &firstCall{msg: greetingCall, start: func(*dbus.Conn) func(*dbus.Message, error) {
		return func(m *dbus.Message, err error) {
			if err != nil {
				t.Errorf("first call: %v", err)
			}
			answers <- m
		}
	}})
	if err != nil {
		t.Fatalf("dialBus(%q): %v", s.Addr(), err)
	}
	select {
	case m := <-answers:
		var paths []dbus.ObjectPath
		if m != nil && len(m.Body) == 1 {
			v, _ := m.Body[0].(dbus.Variant)
			paths, _ = v.Value().([]dbus.ObjectPath)
		}
		if m == nil || m.Type != dbus.TypeMethodReply || !slices.Contains(paths, loginCollection) {
			t.Errorf("answer to the greeting: %v, want a reply naming %s", m, loginCollection)
		}
	case <-ctx.Done():
		t.Fatal("no answer to the first call")
	}
	defer conn.Close()
	defer func() {
		if shim.Refused() {
			t.Error("dbus-daemon refused the handshake")
		}
	}()
	bus := conn.BusObject()
	var id string
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.GetId", 0).Store(&id); err != nil || len(id) != 32 {
		t.Fatalf("GetId = %q, %v", id, err)
	}
	calls := make([]*dbus.Call, 20)
	for i := range calls {
		calls[i] = bus.GoWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, nil, secretsName)
	}
	for i, c := range calls {
		var owned bool
		if err := wait(ctx, c).Store(&owned); err != nil || !owned {
			t.Fatalf("call %d in flight: owned %v, %v", i, owned, err)
		}
	}
	var names []string
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.ListNames", 0).Store(&names); err != nil {
		t.Fatal(err)
	}
	unique := 0
	for _, n := range names {
		if strings.HasPrefix(n, ":") {
			unique++
		}
	}
	if unique < 2 { // gnome-keyring-daemon and this connection
		t.Errorf("the bus lists %d unique names, want this connection among them: %v", unique, names)
	}
	// The Secret Service answers it too.
	var v dbus.Variant
	if err := conn.Object(secretsName, secretsPath).CallWithContext(ctx, propGet, 0, serviceIface, "Collections").Store(&v); err != nil {
		t.Errorf("Collections through dialBus's connection: %v", err)
	}
}

// A bus that does not take the handshake (REJECTED) or closes the
// connection makes the first call fail at once, and the
// shim says so (the caller then connects the usual way: see
// TestSessionConnRedials); an address that is no unix socket makes dialBus
// fail. None hangs.
func TestDialBusRefused(t *testing.T) {
	dir := t.TempDir()
	for _, answer := range []string{"REJECTED EXTERNAL DBUS_COOKIE_SHA1\r\n", ""} {
		sock := filepath.Join(dir, "bus")
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			r := bufio.NewReader(c)
			r.ReadString('\n') // \0AUTH EXTERNAL ...
			c.Write([]byte(answer))
			if answer != "" {
				r.ReadString('\n') // BEGIN, or what follows
				time.Sleep(100 * time.Millisecond)
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		start := time.Now()
		firstErr := make(chan error, 2)
		conn, shim, err := dialBus(ctx, "unix:path="+sock, &firstCall{msg: greetingCall, start: func(*dbus.Conn) func(*dbus.Message, error) {
			return func(_ *dbus.Message, err error) { firstErr <- err }
		}})
		if err != nil {
			t.Fatalf("bus answering %q: dialBus: %v", answer, err)
		}
		select {
		case err := <-firstErr:
			if !errors.Is(err, errHandshake) {
				t.Errorf("bus answering %q: the first call's answer is %v, want errHandshake", answer, err)
			}
		case <-ctx.Done():
			t.Errorf("bus answering %q: the first call got no answer", answer)
		}
		err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetId", 0).Err
		cancel()
		conn.Close()
		l.Close()
		// errHandshake, or ErrClosed when the reader closed the
		// connection before the call went out.
		if !(errors.Is(err, errHandshake) || errors.Is(err, dbus.ErrClosed)) || !shim.Refused() {
			t.Errorf("bus answering %q: first call %v, refused %v; want errHandshake", answer, err, shim.Refused())
		}
		if time.Since(start) > 4*time.Second {
			t.Errorf("bus answering %q: the first call took %v", answer, time.Since(start))
		}
	}
	if _, _, err := dialBus(context.Background(), "tcp:host=localhost,port=1", nil); err != errNotUnix {
		t.Errorf("tcp address: %v, want errNotUnix", err)
	}
}

// A bus that refuses dialBus's handshake gets godbus's: the first
// operation redials and succeeds, and later connections to that bus skip
// dialBus. The bus here is a real dbus-daemon behind a proxy that answers
// REJECTED to the first connection only.
func TestSessionConnRedials(t *testing.T) {
	addr, accepted := useBusProxy(t, func(n int32) bool { return n == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b := newSecretService(Options{})
	if _, err := b.Get(ctx, "missing.example"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get through a bus refusing the handshake: %v, want not found", err)
	}
	if n := accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (refused, then godbus's handshake)", n)
	}
	shared.Lock()
	refusedBy := shared.refusedBy
	shared.Unlock()
	if refusedBy != addr {
		t.Errorf("refusedBy %q, want %q", refusedBy, addr)
	}
	dropSharedConn()
	if _, err := b.Get(ctx, "missing.example"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second get: %v, want not found", err)
	}
	if n := accepted.Load(); n != 3 {
		t.Errorf("%d connections, want 3 (the third straight through godbus's handshake)", n)
	}
}

// useBusProxy starts a gnome-keyring on a private bus and a proxy in front
// of it, which this process then uses as its session bus, with a new
// connection. The proxy passes each connection to the bus, but for those
// refuse picks (by their number, from 1): it answers their handshake
// REJECTED and closes them. It returns its address and the count of
// connections so far.
func useBusProxy(t *testing.T, refuse func(n int32) bool) (string, *atomic.Int32) {
	s := keychaintest.Start(t, testing.Short())
	real, ok := earlybus.Socket(s.Addr())
	if !ok {
		t.Fatalf("no unix socket in %q", s.Addr())
	}
	sock := filepath.Join(t.TempDir(), "bus")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var accepted atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if refuse(accepted.Add(1)) {
				r := bufio.NewReader(c)
				r.ReadString('\n') // \0AUTH EXTERNAL ... (then BEGIN and messages)
				c.Write([]byte("REJECTED DBUS_COOKIE_SHA1\r\n"))
				c.Close()
				continue
			}
			b, err := net.Dial("unix", real)
			if err != nil {
				c.Close()
				continue
			}
			go func() { io.Copy(b, c); b.Close() }()
			go func() { io.Copy(c, b); c.Close() }()
		}
	}()
	addr := "unix:path=" + sock
	t.Setenv(busEnv, addr)
	t.Cleanup(dropSharedConn)
	dropSharedConn()
	return addr, &accepted
}

// A warm-up connects and sends the greeting, and the get that follows
// uses that same connection (one connection in all) and greeting.
func TestWarmThenGet(t *testing.T) {
	_, accepted := useBusProxy(t, func(int32) bool { return false })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b := newSecretService(Options{})
	b.Warm(ctx)
	shared.Lock()
	warmed := shared.conn
	shared.Unlock()
	if warmed == nil {
		t.Fatal("no connection after Warm")
	}
	b.Warm(ctx) // nothing more
	if _, err := b.Get(ctx, "missing.example"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get after a warm-up: %v, want not found", err)
	}
	b.Warm(ctx) // nothing more
	shared.Lock()
	conn := shared.conn
	shared.Unlock()
	greetings.Lock()
	g := greetings.g
	greetings.Unlock()
	if conn != warmed || g == nil || g.conn != conn {
		t.Errorf("after the get: the warm-up's connection %v, its greeting %v", conn == warmed, g != nil && g.conn == conn)
	}
	if n := accepted.Load(); n != 1 {
		t.Errorf("%d connections to the bus, want the warm-up's alone", n)
	}
}

// dropSharedConn closes the session connection, as a new process starts
// without one.
func dropSharedConn() {
	shared.Lock()
	defer shared.Unlock()
	if shared.conn != nil {
		shared.conn.Close()
	}
	shared.conn, shared.shim = nil, nil
}

// encodeCall's messages are what godbus's decoder reads as the calls they
// stand for: header fields, serial, signature and body.
func TestEncodeCall(t *testing.T) {
	type call struct {
		msg                       []byte
		serial                    uint32
		dest, path, iface, member string
		body                      []any
	}
	calls := []call{
		{earlybus.Hello, earlybus.HelloSerial, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello", nil},
		{greetingCall, firstSerial, secretsName, string(secretsPath), "org.freedesktop.DBus.Properties", "Get", []any{serviceIface, "Collections"}},
	}
	for n := 1; n <= 8; n++ { // every alignment of the end of the header
		member := strings.Repeat("M", n)
		calls = append(calls, call{earlybus.EncodeCall(7, "a.b", "/x", "a.b.C", member, "", "odd"), 7, "a.b", "/x", "a.b.C", member, []any{"", "odd"}},
			call{earlybus.EncodeCall(8, "a.b", "/x", "a.b.C", member), 8, "a.b", "/x", "a.b.C", member, nil})
	}
	for _, c := range calls {
		m, err := dbus.DecodeMessage(bytes.NewReader(c.msg))
		if err != nil {
			t.Fatalf("%s: %v", c.member, err)
		}
		h := func(f dbus.HeaderField) any { return m.Headers[f].Value() }
		if m.Type != dbus.TypeMethodCall || m.Flags != 0 || m.Serial() != c.serial ||
			h(dbus.FieldDestination) != c.dest || h(dbus.FieldPath) != dbus.ObjectPath(c.path) ||
			h(dbus.FieldInterface) != c.iface || h(dbus.FieldMember) != c.member {
			t.Errorf("%s decodes as %v (serial %d)", c.member, m, m.Serial())
		}
		if len(c.body) > 0 && (h(dbus.FieldSignature) != dbus.SignatureOf(c.body...) || !reflect.DeepEqual(m.Body, c.body)) {
			t.Errorf("%s: signature %v, body %#v; want %#v", c.member, h(dbus.FieldSignature), m.Body, c.body)
		}
		if len(c.body) == 0 && (len(m.Body) != 0 || m.Headers[dbus.FieldSignature].Value() != nil) {
			t.Errorf("%s: body %#v, want none", c.member, m.Body)
		}
		var again bytes.Buffer
		if err := m.EncodeTo(&again, binary.LittleEndian); err != nil || again.Len() != len(c.msg) {
			t.Errorf("%s: godbus encodes it in %d bytes (%v), EncodeCall in %d", c.member, again.Len(), err, len(c.msg))
		}
	}
}

// BenchmarkDialBus is a new connection to the bus and its first answer
// (GetId), through godbus's handshake and through dialBus's.
func BenchmarkDialBus(b *testing.B) {
	s := keychaintest.Start(b, false)
	ctx := context.Background()
	dials := map[string]func() (*dbus.Conn, error){
		"godbus": func() (*dbus.Conn, error) { return dbus.Connect(s.Addr()) },
		"dialBus": func() (*dbus.Conn, error) {
			conn, _, err := dialBus(ctx, s.Addr(), nil)
			return conn, err
		},
	}
	for _, name := range []string{"godbus", "dialBus"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				conn, err := dials[name]()
				if err != nil {
					b.Fatal(err)
				}
				var id string
				if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetId", 0).Store(&id); err != nil {
					b.Fatal(err)
				}
				conn.Close()
			}
		})
	}
}

// A warm-up never waits for another call that is connecting (which may be
// in godbus's handshake, bounded only by that call's deadline): it leaves
// the connection to the call.
func TestWarmDoesNotWait(t *testing.T) {
	_, accepted := useBusProxy(t, func(int32) bool { return false })
	shared.Lock() // another call, connecting
	done := make(chan struct{})
	go func() {
		newSecretService(Options{}).Warm(context.Background())
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Error("Warm waited for the connection another call was making")
	}
	shared.Unlock()
	<-done
	if n := accepted.Load(); n != 0 {
		t.Errorf("Warm connected (%d) while another call was connecting", n)
	}
}
