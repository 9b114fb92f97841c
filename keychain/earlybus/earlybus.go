// Package earlybus starts the helper's connection to the D-Bus session
// bus before its other packages have initialised, so that the bus and the
// Secret Service answer the handshake and the greeting while the process
// is still starting: Dial sends the bytes package keychain would send
// first on a new connection (Handshake), and keychain adopts the
// connection (Take) when it dials the same socket with the same bytes,
// instead of making its own.
//
// It imports only syscall and strconv, so that an init that uses it runs
// before most others (cmd/internal/startup). It sends nothing but the
// handshake, Hello and the greeting, never a secret, and holds at most
// one connection, which nobody but keychain reads; one not taken is
// closed when the process exits.
package earlybus

import "strconv"

// The serials of the two calls Handshake sends; godbus's own serials count
// from 1 and do not reach them.
const (
	HelloSerial    = 0xfffffffe
	GreetingSerial = 0xffffffff
)

// Hello is org.freedesktop.DBus.Hello, whose answer nobody waits for.
var Hello = EncodeCall(HelloSerial, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello")

// Greeting is the Secret Service's greeting (see keychain's greet): a
// read of the Service's Collections property, the first message that is
// safe to send gnome-keyring-daemon from a new connection.
var Greeting = EncodeCall(GreetingSerial, "org.freedesktop.secrets", "/org/freedesktop/secrets",
	"org.freedesktop.DBus.Properties", "Get", "org.freedesktop.Secret.Service", "Collections")

// Handshake is the first write on a new connection of user uid: the
// EXTERNAL authentication, BEGIN, Hello and then first (the caller's
// first call, or nil).
func Handshake(uid int, first []byte) []byte {
	const digits = "0123456789abcdef"
	b := []byte("\x00AUTH EXTERNAL ")
	for _, c := range []byte(strconv.Itoa(uid)) { // the uid in ASCII, hex-encoded
		b = append(b, digits[c>>4], digits[c&15])
	}
	b = append(b, "\r\nBEGIN\r\n"...)
	b = append(b, Hello...)
	return append(b, first...)
}

// EncodeCall is a method call message in the D-Bus wire format, little
// endian, whose arguments are all strings: what godbus's encoder makes of
// it (TestEncodeCall), without its first use's cost, which would delay
// the write it goes out in.
func EncodeCall(serial uint32, dest, path, iface, member string, args ...string) []byte {
	var b []byte
	pad := func(n int) {
		for len(b)%n != 0 {
			b = append(b, 0)
		}
	}
	str := func(s string) { // s and o
		pad(4)
		b = appendUint32(b, uint32(len(s)))
		b = append(append(b, s...), 0)
	}
	sig := func(s string) { // g
		b = append(append(append(b, byte(len(s))), s...), 0)
	}
	field := func(code byte, typ, value string) {
		pad(8)
		b = append(b, code)
		sig(typ)
		if typ == "g" {
			sig(value)
		} else {
			str(value)
		}
	}
	// Header fields (the D-Bus specification's codes).
	const (
		fieldPath        = 1
		fieldInterface   = 2
		fieldMember      = 3
		fieldDestination = 6
		fieldSignature   = 8
		typeMethodCall   = 1
	)
	b = append(b, 'l', typeMethodCall, 0, 1, 0, 0, 0, 0)
	b = appendUint32(b, serial)
	b = append(b, 0, 0, 0, 0) // the fields' length, below
	field(fieldPath, "o", path)
	field(fieldInterface, "s", iface)
	field(fieldMember, "s", member)
	field(fieldDestination, "s", dest)
	if len(args) > 0 {
		signature := make([]byte, len(args))
		for i := range signature {
			signature[i] = 's'
		}
		field(fieldSignature, "g", string(signature))
	}
	putUint32(b[12:], uint32(len(b)-16))
	pad(8)
	body := len(b)
	for _, a := range args {
		str(a)
	}
	putUint32(b[4:], uint32(len(b)-body))
	return b
}

func appendUint32(b []byte, v uint32) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

func putUint32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// Socket returns the socket of the first unix: address in addr, a D-Bus
// address list: its path, or "@" and the name of an abstract socket,
// unescaped.
func Socket(addr string) (string, bool) {
	for len(addr) > 0 {
		var a string
		a, addr = cut(addr, ';')
		if len(a) < 5 || a[:5] != "unix:" {
			continue
		}
		for rest := a[5:]; len(rest) > 0; {
			var kv string
			kv, rest = cut(rest, ',')
			k, v := cut(kv, '=')
			v, ok := unescape(v)
			if !ok || v == "" {
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

// cut is strings.Cut for one byte (package strings would put this
// package's init after unicode's tables).
func cut(s string, sep byte) (before, after string) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// unescape undoes the %xx escapes of a D-Bus address value.
func unescape(v string) (string, bool) {
	var b []byte
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			b = append(b, v[i])
			continue
		}
		if i+2 >= len(v) {
			return "", false
		}
		hi, ok1 := unhex(v[i+1])
		lo, ok2 := unhex(v[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	return string(b), true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
