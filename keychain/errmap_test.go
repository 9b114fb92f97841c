package keychain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

func TestMapErrorTexts(t *testing.T) {
	cases := []struct {
		backend string
		text    string
		kind    error
		hint    string // a word the hint must contain; "" for no hint
	}{
		// Secret Service, as godbus and gnome-keyring word them.
		{NameSecretService, "The name org.freedesktop.secrets was not provided by any .service files", ErrUnavailable, "gnome-keyring"},
		{NameSecretService, "The name org.freedesktop.secrets was not provided", ErrUnavailable, "--backend keyctl"},
		{NameSecretService, `exec: "dbus-launch": executable file not found in $PATH`, ErrUnavailable, "--backend keyctl"},
		{NameSecretService, "dbus: couldn't determine address of session bus", ErrUnavailable, "keyctl"},
		{NameSecretService, "Cannot autolaunch D-Bus without X11 $DISPLAY", ErrUnavailable, "keyctl"},
		{NameSecretService, "dial unix /run/user/1000/bus: connect: no such file or directory", ErrUnavailable, "DBUS_SESSION_BUS_ADDRESS"},
		{NameSecretService, "dial unix /tmp/dbus-x: connect: connection refused", ErrUnavailable, "DBUS_SESSION_BUS_ADDRESS"},
		{NameSecretService, "Cannot create an item in a locked collection", ErrLocked, "secret-tool search --unlock"},
		{NameSecretService, "Cannot get secret of a locked object", ErrLocked, "unlock"},
		{NameSecretService, "failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'", ErrLocked, "unlock"},
		{NameSecretService, "prompt dismissed", ErrLocked, "unlock"},
		{NameSecretService, "Message recipient disconnected from message bus without replying", ErrUnavailable, "run the command again"},
		{NameSecretService, "Did not receive a reply. Possible causes include: the remote application did not send a reply", ErrTimeout, "DOCKER_CREDENTIAL_PAT_TIMEOUT"},
		{NameSecretService, "Rejected send message, 1 matched rules; type=\"method_call\" ... (org.freedesktop.DBus.Error.AccessDenied)", ErrDenied, "keyctl"},
		{NameSecretService, "only dh-ietf1024-sha256-aes128-cbc-pkcs7 is supported", ErrDenied, "keyctl"},
		// macOS, as /usr/bin/security's exit status reaches go-keyring.
		{NameKeychain, "exit status 36", ErrLocked, "security unlock-keychain ~/Library/Keychains/login.keychain-db"},
		{NameKeychain, "SecKeychainItemCopyContent: User interaction is not allowed.", ErrLocked, "security unlock-keychain"},
		{NameKeychain, "error -25308", ErrLocked, "security unlock-keychain"},
		{NameKeychain, "exit status 44", ErrNotFound, ""},
		{NameKeychain, "The specified item could not be found in the keychain.", ErrNotFound, ""},
		{NameKeychain, "exit status 51", ErrDenied, "unlock-keychain"},
		{NameKeychain, "exit status 128", ErrDenied, "unlock-keychain"},
		{NameKeychain, "exit status 50", ErrUnavailable, "default-keychain"},
		// Windows, as CredRead/CredWrite's Win32 errors read.
		{NameWincred, "A specified logon session does not exist. It may already have been terminated.", ErrUnavailable, "ssh"},
		{NameWincred, "The stub received bad data.", ErrTooBig, "2,560"},
		{NameWincred, "Element not found.", ErrNotFound, ""},
		{NameWincred, "Access is denied.", ErrDenied, "user"},
		// A text one backend knows means nothing on another.
		{NameSecretService, "exit status 36", ErrUnavailable, "doctor"},
		{NameWincred, "Cannot create an item in a locked collection", ErrUnavailable, "doctor"},
	}
	for _, c := range cases {
		err := mapError(c.backend, "get", errors.New(c.text))
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%s %q: %T, want *Error", c.backend, c.text, err)
		}
		if !errors.Is(err, c.kind) {
			t.Errorf("%s %q: kind %v, want %v", c.backend, c.text, e.Kind, c.kind)
		}
		if e.Backend != c.backend || e.Op != "get" {
			t.Errorf("%s %q: backend %q op %q", c.backend, c.text, e.Backend, e.Op)
		}
		if c.hint == "" {
			if e.Hint != "" {
				t.Errorf("%s %q: hint %q, want none", c.backend, c.text, e.Hint)
			}
		} else if !strings.Contains(e.Hint, c.hint) {
			t.Errorf("%s %q: hint %q lacks %q", c.backend, c.text, e.Hint, c.hint)
		}
		checkHintStyle(t, e.Hint)
		if strings.ContainsAny(err.Error(), "\n\r") {
			t.Errorf("%s %q: error text is not one line: %q", c.backend, c.text, err)
		}
	}
}

// checkHintStyle holds hints to the project's voice: lower case first
// letter, one line, no trailing period.
func checkHintStyle(t *testing.T, hint string) {
	t.Helper()
	if hint == "" {
		return
	}
	if strings.ContainsAny(hint, "\n\r") || strings.HasSuffix(hint, ".") ||
		strings.ToLower(hint[:1]) != hint[:1] {
		t.Errorf("hint %q: want one line, lower case, no trailing period", hint)
	}
}

func TestMapErrorSentinels(t *testing.T) {
	for _, c := range []struct {
		in   error
		kind error
	}{
		{keyring.ErrNotFound, ErrNotFound},
		{fmt.Errorf("wrapped: %w", keyring.ErrNotFound), ErrNotFound},
		{keyring.ErrSetDataTooBig, ErrTooBig},
		{keyring.ErrUnsupportedPlatform, ErrUnavailable},
		{context.DeadlineExceeded, ErrTimeout},
	} {
		for _, backend := range []string{NameSecretService, NameKeychain, NameWincred} {
			err := mapError(backend, "set", c.in)
			if !errors.Is(err, c.kind) {
				t.Errorf("%s: %v mapped to %v, want %v", backend, c.in, err, c.kind)
			}
		}
	}
	if mapError(NameSecretService, "get", nil) != nil {
		t.Error("nil mapped to an error")
	}
	orig := &Error{Backend: "x", Kind: ErrQuota}
	if got := mapError(NameSecretService, "get", orig); got != orig {
		t.Errorf("an *Error was rewrapped: %v", got)
	}
	if err := mapError(NameSecretService, "get", context.Canceled); !errors.Is(err, context.Canceled) {
		t.Errorf("cancellation mapped to %v, want context.Canceled", err)
	}
}

func TestMapErrorDetailIsOneShortLine(t *testing.T) {
	long := strings.Repeat("word ", 100) + "\nsecond line"
	err := mapError(NameSecretService, "get", errors.New(long))
	var e *Error
	errors.As(err, &e)
	if len(e.Detail) > 210 || strings.Contains(e.Detail, "\n") {
		t.Errorf("detail is %d bytes, multi-line %v", len(e.Detail), strings.Contains(e.Detail, "\n"))
	}
}

func TestHintsFollowTheVoice(t *testing.T) {
	for _, rs := range rules {
		for _, r := range rs {
			checkHintStyle(t, r.hint)
		}
	}
	for _, h := range timeoutHints {
		checkHintStyle(t, h)
	}
	checkHintStyle(t, hintNoBus)
}
