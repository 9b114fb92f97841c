package keychain

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"
)

// ErrUnknownBackend: Open was given a name that is no backend.
var ErrUnknownBackend = errors.New("unknown keychain backend")

// BackendNames are the names Open takes.
var BackendNames = []string{"auto", NameSecretService, NameKeychain, NameWincred, NameKeyctl}

// probeTimeout bounds the look for a Secret Service in Open("auto").
const probeTimeout = time.Second

// Options configure the backends Open returns. Zero values mean the
// defaults.
type Options struct {
	// Timeout bounds each call (<= 0: DefaultTimeout).
	Timeout time.Duration
	// PromptTimeout bounds a call while the keychain shows a dialog that a
	// person can answer (the Secret Service, with a display; <= 0:
	// DefaultPromptTimeout). Calls that need no person keep Timeout.
	PromptTimeout time.Duration
	// OnPrompt, if set, is called once per backend when such a dialog
	// starts waiting, with the name of the program showing it
	// ("KeePassXC", "KWallet", "gnome-keyring"), so a person can be told.
	OnPrompt func(keychain string)
}

// Open returns the backend called name, every call bounded by
// opts.Timeout and, where the OS caps an item's size (Windows 2,560 bytes,
// macOS about 2,600 through go-keyring), big data split across items by
// Chunked. reason is one line saying which backend it is and why.
//
// "auto" is the OS keychain on macOS and Windows. On Linux it is the Secret
// Service when there is a session bus and org.freedesktop.secrets is
// running or activatable on it, else the kernel keyring. Open starts
// nothing and, except for that look at the bus, makes no keychain call.
func Open(name string, opts Options) (b Backend, reason string, err error) {
	switch {
	case name == "auto" || name == "":
		return openAuto(opts)
	case name == osName:
		return openOS(opts), osName + ": chosen explicitly", nil
	case name == NameKeyctl:
		k, err := openKeyctl(opts.Timeout)
		if err != nil {
			return nil, "", err
		}
		return k, NameKeyctl + ": chosen explicitly", nil
	case slices.Contains(BackendNames, name):
		return nil, "", &Error{Backend: name, Op: "open", Kind: ErrUnavailable,
			Detail: "not available on " + runtime.GOOS,
			Hint:   "use --backend " + strings.Join(osBackends(), " or ")}
	default:
		return nil, "", &Error{Backend: fmt.Sprintf("%q", name), Op: "open", Kind: ErrUnknownBackend,
			Detail: "valid names: " + strings.Join(BackendNames, ", "),
			Hint:   "use --backend " + strings.Join(osBackends(), " or ")}
	}
}

// osBackends are the names that can work on this OS.
func osBackends() []string {
	if runtime.GOOS == "linux" {
		return []string{"auto", NameSecretService, NameKeyctl}
	}
	return []string{"auto", osName}
}

func openOS(opts Options) Backend {
	b := newOS(opts)
	if osMaxItem > 0 {
		b = Chunked(b, osMaxItem)
	}
	return WithTimeout(b, opts.Timeout)
}

func openAuto(opts Options) (Backend, string, error) {
	if osName != NameSecretService {
		return openOS(opts), "using " + osLabel + ", the keychain of " + runtime.GOOS, nil
	}
	pt := probeTimeout
	if opts.Timeout > 0 && opts.Timeout < pt {
		pt = opts.Timeout
	}
	ok, why := probeSecretService(pt)
	if ok {
		return openOS(opts), why + ": using the Secret Service", nil
	}
	k, err := openKeyctl(opts.Timeout)
	if err != nil {
		return nil, why + ", and the kernel keyring is unavailable", err
	}
	return k, why + ": using the kernel keyring", nil
}

// openKeyctl is the kernel keyring with items over its "user" key limit
// split by Chunked, so a 64 KiB token fits (as far as the quota allows).
func openKeyctl(timeout time.Duration) (Backend, error) {
	k, err := NewKeyctl()
	if err != nil {
		return nil, err
	}
	return WithTimeout(Chunked(k, KeyctlMaxItem), timeout), nil
}
