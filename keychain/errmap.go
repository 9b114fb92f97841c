package keychain

import (
	"context"
	"errors"
	"strings"

	"github.com/zalando/go-keyring"
)

// Backend names.
const (
	NameSecretService = "secretservice"
	NameKeychain      = "keychain"
	NameWincred       = "wincred"
	NameKeyctl        = "keyctl"
)

// Hints, one per cause: what a person can do, as a command where there is one.
const (
	hintNoBus = "no D-Bus session here (ssh, cron, a container): use --backend keyctl (or auto), " +
		"or run it from a desktop session"
	hintStaleBus = "the session bus in DBUS_SESSION_BUS_ADDRESS is gone: unset DBUS_SESSION_BUS_ADDRESS " +
		"or log in again, or use --backend keyctl"
	hintNoSecretService = "no Secret Service runs on the session bus: sudo apt-get install gnome-keyring " +
		"and log in again (or gnome-keyring-daemon --start --components=secrets), or use --backend keyctl"
	hintSSLocked = "the login keyring is locked and no unlock prompt can be shown: unlock it in the desktop " +
		"(secret-tool search --unlock service docker-credential-pat), or use --backend keyctl"
	hintSSDenied = "the Secret Service refused access: check its policy (e.g. KeePassXC's Secret Service settings), " +
		"or use --backend keyctl"
	hintSSCrashed = "the Secret Service (gnome-keyring-daemon) exited while answering, probably a crash: " +
		"run the command again (the session starts it again), or gnome-keyring-daemon --start --components=secrets"
	hintSSTimeout = "the Secret Service did not answer: it may be waiting on an unlock prompt; unlock the keyring " +
		"(secret-tool search --unlock service docker-credential-pat), raise DOCKER_CREDENTIAL_PAT_TIMEOUT, " +
		"or use --backend keyctl"
	hintPromptTimeout = "nobody answered the keychain's dialog in time: answer it when it shows, " +
		"or raise DOCKER_CREDENTIAL_PAT_PROMPT_TIMEOUT"
	hintSSNeedsDialog = "the keychain wants a person to answer a dialog (unlock or allow access) and no display " +
		"can show it: unlock it in the desktop, allow docker-credential-pat in the keychain's settings, " +
		"or use --backend keyctl"
	hintMacLocked = "the login keychain is locked and this session cannot show a prompt (ssh, tmux, ci): " +
		"security unlock-keychain ~/Library/Keychains/login.keychain-db"
	hintMacDenied = "the keychain refused access (wrong password or the prompt was cancelled): " +
		"security unlock-keychain ~/Library/Keychains/login.keychain-db and try again"
	hintMacNoKeychain = "there is no default keychain: security default-keychain -s ~/Library/Keychains/login.keychain-db"
	hintMacTimeout    = "the keychain did not answer: it may be showing a dialog; answer it, or run " +
		"security unlock-keychain ~/Library/Keychains/login.keychain-db, or raise DOCKER_CREDENTIAL_PAT_TIMEOUT"
	hintWinNoSession = "an ssh or network logon has no Credential Manager: log in at the console or over rdp, " +
		"or run the command through a scheduled task or `runas` with an interactive logon"
	hintWinTooBig   = "a Windows credential holds at most 2,560 bytes"
	hintWinDenied   = "access denied by Credential Manager: run as the user who owns the credential"
	hintWinTimeout  = "no answer from Credential Manager: raise DOCKER_CREDENTIAL_PAT_TIMEOUT and try again"
	hintTooBig      = "the token is bigger than this keychain can hold in one item"
	hintUnsupported = "this system has no keychain docker-credential-pat can use: on Linux use --backend keyctl"
	// HintDoctor is the hint of a failure no rule knows. It names no
	// program: the store, which knows its name, replaces it with the
	// command that runs the doctor.
	HintDoctor = "run the doctor for details"
)

// rule turns a backend message containing any of match (compared in lower
// case) into a kind and a hint.
type rule struct {
	match []string
	kind  error
	hint  string
}

// rules per backend, first match wins. The texts are the ones the layers
// below produce: our Secret Service client, go-keyring v0.2.8 (keyring_darwin.go,
// keyring_windows.go), godbus v5.2.2, gnome-keyring's D-Bus errors, the
// exit status of /usr/bin/security (the low byte of the OSStatus: -25308
// errSecInteractionNotAllowed exits 36, -25300 errSecItemNotFound 44,
// -25293 errSecAuthFailed 51, -25294 errSecNoSuchKeychain 50, -25307
// errSecNoDefaultKeychain 37, -128 userCanceled 128) and the Win32 messages
// of CredRead/CredWrite.
var rules = map[string][]rule{
	NameSecretService: {
		{[]string{
			"org.freedesktop.secrets was not provided",
			"org.freedesktop.dbus.error.serviceunknown",
		}, ErrUnavailable, hintNoSecretService},
		{[]string{
			"dbus-launch",
			"couldn't determine address of session bus",
			"cannot autolaunch",
		}, ErrUnavailable, hintNoBus},
		{[]string{
			"no such file or directory",
			"connection refused",
			"dial unix",
			"connection closed",
			"broken pipe",
			"connection reset",
			"eof",
		}, ErrUnavailable, hintStaleBus},
		{[]string{
			"locked collection",
			"locked object",
			"org.freedesktop.secret.error.islocked",
			"failed to unlock correct collection",
			"dismissed",
			"is locked",
		}, ErrLocked, hintSSLocked},
		{[]string{
			"disconnected from message bus without replying",
		}, ErrUnavailable, hintSSCrashed},
		{[]string{
			"org.freedesktop.dbus.error.noreply",
			"did not receive a reply",
			"timeout",
			"timed out",
		}, ErrTimeout, hintSSTimeout},
		{[]string{
			"org.freedesktop.dbus.error.accessdenied",
			"access denied",
			"not allowed",
			"only dh-ietf1024-sha256-aes128-cbc-pkcs7 is supported",
			"org.freedesktop.dbus.error.notsupported",
		}, ErrDenied, hintSSDenied},
	},
	NameKeychain: {
		{[]string{"exit status 36", "-25308", "user interaction is not allowed", "interaction is not allowed"},
			ErrLocked, hintMacLocked},
		{[]string{"exit status 44", "-25300", "could not be found"}, ErrNotFound, ""},
		{[]string{"exit status 51", "-25293", "exit status 128", "-128", "authorization/authentication failed", "user canceled"},
			ErrDenied, hintMacDenied},
		{[]string{"exit status 50", "-25294", "exit status 37", "-25307", "no such keychain", "no default keychain"},
			ErrUnavailable, hintMacNoKeychain},
		{[]string{"/usr/bin/security: no such file", "executable file not found"},
			ErrUnavailable, "/usr/bin/security is missing: this macOS install is damaged"},
	},
	NameWincred: {
		{[]string{"a specified logon session does not exist", "error_no_such_logon_session"},
			ErrUnavailable, hintWinNoSession},
		{[]string{"the stub received bad data", "rpc_x_bad_stub_data"}, ErrTooBig, hintWinTooBig},
		{[]string{"element not found", "error_not_found"}, ErrNotFound, ""},
		{[]string{"access is denied"}, ErrDenied, hintWinDenied},
	},
}

// timeoutHints name the remedy when a backend does not answer in time.
var timeoutHints = map[string]string{
	NameSecretService: hintSSTimeout,
	NameKeychain:      hintMacTimeout,
	NameWincred:       hintWinTimeout,
}

// mapError turns an error from the layers under backend into an *Error with
// one of the Err* kinds and a hint. nil stays nil; an *Error is returned as
// it is.
func mapError(backend, op string, err error) error {
	if err == nil {
		return nil
	}
	var ke *Error
	if errors.As(err, &ke) {
		return err
	}
	e := &Error{Backend: backend, Op: op}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return timeoutError(backend, op, "deadline passed")
	case errors.Is(err, context.Canceled):
		return ctxError(backend, op, context.Canceled)
	case errors.Is(err, keyring.ErrNotFound):
		e.Kind = ErrNotFound
		return e
	case errors.Is(err, keyring.ErrSetDataTooBig):
		e.Kind, e.Hint = ErrTooBig, hintTooBig
		return e
	case errors.Is(err, keyring.ErrUnsupportedPlatform):
		e.Kind, e.Hint = ErrUnavailable, hintUnsupported
		return e
	}
	e.Detail = detail(err.Error())
	text := strings.ToLower(err.Error())
	for _, r := range rules[backend] {
		for _, m := range r.match {
			if strings.Contains(text, m) {
				e.Kind, e.Hint = r.kind, r.hint
				if r.kind == ErrNotFound {
					e.Detail = ""
				}
				return e
			}
		}
	}
	// Not a failure we know: say what the backend said.
	e.Kind, e.Hint = ErrUnavailable, HintDoctor
	return e
}

// noBusError is the Secret Service backend's answer when there is no
// session bus to talk to.
func noBusError(why string) error {
	return &Error{
		Backend: NameSecretService,
		Op:      "open",
		Kind:    ErrUnavailable,
		Detail:  "no D-Bus session bus (" + why + ")",
		Hint:    hintNoBus,
	}
}

// timeoutError is a call to backend that got no answer within the deadline.
func timeoutError(backend, op, what string) error {
	hint := timeoutHints[backend]
	if hint == "" {
		hint = "the " + backend + " keychain did not answer: raise DOCKER_CREDENTIAL_PAT_TIMEOUT and try again"
	}
	return &Error{Backend: backend, Op: op, Kind: ErrTimeout, Detail: what, Hint: hint}
}

// detail keeps a backend message to one short line.
func detail(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const max = 200
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

// withOp sets the Op of an *Error (nil stays nil).
func withOp(err error, op string) error {
	var e *Error
	if errors.As(err, &e) {
		e.Op = op
	}
	return err
}
