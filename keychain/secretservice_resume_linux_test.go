package keychain

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

func TestNextSession(t *testing.T) {
	const dir = "/org/freedesktop/secrets/session/"
	for in, want := range map[string]string{
		// gnome-keyring's, KWallet's and any name ending in a number
		dir + "s7":          dir + "s8",
		dir + "s9":          dir + "s10",
		dir + "s0":          dir + "s1",
		dir + "42":          dir + "43",
		dir + "session_199": dir + "session_200",
		dir + "s2147483646": dir + "s2147483647",
		// no guess: beyond 31 bits, not a plain number, not a session
		dir + "s2147483647": "",
		dir + "s007":        "",
		dir + "s":           "",
		dir + "s7x":         "",
		dir + "s7/":         "",
		"":                  "",
		// KeePassXC's
		dir + "b3f1c2d4e5f60718293a4b5c6d7e8f90": "",
		// not a session
		"/org/freedesktop/secrets/collection/s7": "",
	} {
		if got := nextSession(dbus.ObjectPath(in)); string(got) != want {
			t.Errorf("nextSession(%q) = %q, want %q", in, got, want)
		}
	}
}

// A get that is told the last process's session (Resume) sends GetSecrets
// with the session it guesses right behind OpenSession: on every
// implementation the secret is the key's, whatever the guess. On
// gnome-keyring, which numbers its sessions in order, the next process's
// guess is right (one GetSecrets); a wrong guess, and a guess that names
// another client's session, are refused by the service and cost a second
// GetSecrets, never a wrong answer.
func TestEachSecretServiceResume(t *testing.T) {
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			s := impl.start(t)
			use(t, s)
			t.Cleanup(dropSharedConn)
			getSecrets := recordCalls(t, s.Addr(), "GetSecrets")
			b := WithTimeout(NewOS(), 10*time.Second)
			ctx := context.Background()
			data := []byte("resume.example=" + testToken(t))
			at, err := SetAt(ctx, b, "resume.example", data)
			if err != nil {
				t.Fatal(err)
			}
			// A get in a new process: the sessions its GetSecrets calls
			// named, and what it learned.
			get := func(what, resume string) ([]dbus.ObjectPath, string) {
				t.Helper()
				dropSharedConn()
				before := len(getSecrets())
				Resume(b, func() string { return resume })
				got, found, err := GetAt(ctx, b, "resume.example", at, func(d []byte) bool { return bytes.Equal(d, data) })
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("%s: GetAt = %.12q, %v; want the key's secret", what, got, err)
				}
				if at == "" {
					at = found // KeePassXC: its store said no place
				}
				var named []dbus.ObjectPath
				for _, m := range getSecrets()[before:] {
					if len(m.Body) == 2 {
						p, _ := m.Body[1].(dbus.ObjectPath)
						named = append(named, p)
					}
				}
				return named, Learned(b)
			}
			// A guess the service must refuse: if the get sent it (it does
			// not when OpenSession's answer is back first, as under load),
			// a second GetSecrets names the get's own session.
			refused := func(what, guess string, named []dbus.ObjectPath) {
				t.Helper()
				switch {
				case len(named) == 1 && named[0] != dbus.ObjectPath(guess):
					t.Logf("%s: the get did not send the guess %s (its session was known first)", what, guess)
				case len(named) != 2 || named[0] != dbus.ObjectPath(guess) || named[1] == named[0]:
					t.Errorf("%s: GetSecrets named %v; want %s, refused, then the get's own session", what, named, guess)
				}
			}
			_, learned := get("no guess", "")
			if learned == "" {
				t.Fatalf("Learned() after a get = %q, want the session's path", learned)
			}
			named, next := get("the last process's session", learned)
			calls := len(named)
			t.Logf("%s: sessions %s, then %s; GetSecrets calls with the guess: %d", impl.name, learned, next, calls)
			if nextSession(dbus.ObjectPath(learned)) == "" {
				return // not numbered: no guess made
			}
			guess := string(nextSession(dbus.ObjectPath(learned)))
			if next == guess && calls != 1 {
				t.Errorf("a right guess (%s) made %d GetSecrets calls, want 1", guess, calls)
			}
			if impl.name == "gnome-keyring" && next != guess {
				t.Errorf("gnome-keyring: the session after %s was %s, not the guess %s", learned, next, guess)
			}
			const wrong = "/org/freedesktop/secrets/session/s999999"
			named, _ = get("a wrong guess", wrong)
			refused("a wrong guess", string(nextSession(wrong)), named)

			// Another client opens the session the guess names.
			other, err := dbus.Connect(s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			svc := other.Object(secretsName, secretsPath)
			var v dbus.Variant
			if err := svc.Call(propGet, 0, serviceIface, "Collections").Store(&v); err != nil { // its greeting
				t.Fatal(err)
			}
			var theirs dbus.ObjectPath
			if err := svc.Call(serviceIface+".OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&v, &theirs); err != nil {
				t.Fatal(err)
			}
			before := sessionBefore(t, theirs)
			if before == "" {
				return
			}
			named, _ = get("another client's session", before)
			refused("a guess naming another client's session", string(theirs), named)
		})
	}
}

// sessionBefore is the path nextSession turns into s, or "".
func sessionBefore(t *testing.T, s dbus.ObjectPath) string {
	i := strings.LastIndexAny(string(s), "abcdefghijklmnopqrstuvwxyz_/") + 1
	n, err := strconv.Atoi(string(s[i:]))
	if err != nil || n < 1 {
		t.Logf("%s: not numbered", s)
		return ""
	}
	return string(s[:i]) + strconv.Itoa(n-1)
}
