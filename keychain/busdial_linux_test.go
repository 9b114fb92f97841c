package keychain

import (
	"bufio"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychaintest"
)

// dialBus connects to a real dbus-daemon in one round trip: the
// connection then calls the bus and gets answers, one after another and
// several in flight, and the bus knows it by a unique name (Hello was
// handled before the first call).
func TestDialBus(t *testing.T) {
	s := keychaintest.Start(t, testing.Short())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := dialBus(ctx, s.Addr())
	if err != nil {
		t.Fatalf("dialBus(%q): %v", s.Addr(), err)
	}
	defer conn.Close()
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

// A bus that does not take the handshake (REJECTED), one that closes the
// connection, and an address that is no unix socket make dialBus fail,
// so the caller connects the usual way; none hangs.
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
		conn, err := dialBus(ctx, "unix:path="+sock)
		cancel()
		l.Close()
		if err == nil {
			conn.Close()
			t.Errorf("bus answering %q: dialBus succeeded", answer)
		}
		if time.Since(start) > 4*time.Second {
			t.Errorf("bus answering %q: dialBus took %v", answer, time.Since(start))
		}
	}
	if _, err := dialBus(context.Background(), "tcp:host=localhost,port=1"); err != errNotUnix {
		t.Errorf("tcp address: %v, want errNotUnix", err)
	}
}

func TestUnixSocket(t *testing.T) {
	for addr, want := range map[string]string{
		"unix:path=/run/user/1000/bus":            "/run/user/1000/bus",
		"unix:path=/tmp/a%20b,guid=0123":          "/tmp/a b",
		"unix:abstract=/tmp/dbus-x,guid=1":        "@/tmp/dbus-x",
		"tcp:host=h,port=1;unix:path=/second/bus": "/second/bus",
		"unix:tmpdir=/tmp":                        "",
		"unix:path=/bad%zz":                       "",
		"tcp:host=h,port=1":                       "",
	} {
		got, ok := unixSocket(addr)
		if got != want || ok != (want != "") {
			t.Errorf("unixSocket(%q) = %q, %v; want %q", addr, got, ok, want)
		}
	}
}

// BenchmarkDialBus is a new connection to the bus and its first answer
// (GetId), through godbus's handshake and through dialBus's.
func BenchmarkDialBus(b *testing.B) {
	s := keychaintest.Start(b, false)
	ctx := context.Background()
	dials := map[string]func() (*dbus.Conn, error){
		"godbus":  func() (*dbus.Conn, error) { return dbus.Connect(s.Addr()) },
		"dialBus": func() (*dbus.Conn, error) { return dialBus(ctx, s.Addr()) },
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
