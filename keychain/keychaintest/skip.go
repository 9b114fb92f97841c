package keychaintest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Skip skips the calling test because something it needs is missing on
// this machine, or fails it when CI=true: CI installs everything
// (.ci/install-deps), so a skip there hides a broken set-up.
//
// group names the tests that share the need ("end-to-end tests"), why says
// what is missing ("skopeo not installed") and fix is the command that
// would let them run (Apt("skopeo"), "make deps"). The message is one line,
//
//	skipped GROUP: WHY; run: FIX
//
// which cmd/internal/testsum counts by group in the summary of `make test`.
func Skip(t TB, group, why, fix string) {
	t.Helper()
	msg := SkipMessage(group, why, fix)
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true: nothing may be skipped: " + msg)
	}
	t.Skip(msg)
}

// SkipMessage is the line Skip reports. group may not contain ": " nor why
// "; run: ", so that the line parses back; none of them may span lines.
func SkipMessage(group, why, fix string) string {
	if group == "" || why == "" || fix == "" || strings.Contains(group, ": ") ||
		strings.Contains(why, "; run: ") || strings.ContainsAny(group+why+fix, "\r\n") {
		panic(fmt.Sprintf("keychaintest.Skip(%q, %q, %q): group, why and fix must be one line each, group without \": \", why without \"; run: \"", group, why, fix))
	}
	return "skipped " + group + ": " + why + "; run: " + fix
}

// ParseSkip reads back a line SkipMessage made; ok is false for any other.
func ParseSkip(line string) (group, why, fix string, ok bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), "skipped ")
	if !ok {
		return "", "", "", false
	}
	group, rest, ok = strings.Cut(rest, ": ")
	if !ok {
		return "", "", "", false
	}
	why, fix, ok = strings.Cut(rest, "; run: ")
	if !ok || group == "" || why == "" || fix == "" {
		return "", "", "", false
	}
	return group, why, fix, true
}

// Apt is the command that installs the Debian packages pkgs.
func Apt(pkgs ...string) string {
	return "sudo apt-get install -y " + strings.Join(pkgs, " ")
}

// AptPackages returns the packages of a fix Apt made, or nil.
func AptPackages(fix string) []string {
	rest, ok := strings.CutPrefix(fix, "sudo apt-get install -y ")
	if !ok {
		return nil
	}
	return strings.Fields(rest)
}

// ToolsDir is where `make deps` (.ci/install-deps) installs the pinned Go
// clients: .cache/tools/bin in the module's root, found from the working
// directory (a test runs in its package's directory). It is "" outside the
// module.
func ToolsDir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for range 64 { // deeper than any real path
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".cache", "tools", "bin")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	return ""
}

// LookTool finds the command name on PATH, then in ToolsDir.
func LookTool(name string) (string, error) {
	return lookTool(name, ToolsDir())
}

func lookTool(name, dir string) (string, error) {
	path, err := exec.LookPath(name)
	if err == nil {
		return path, nil
	}
	if dir != "" {
		if p, err2 := exec.LookPath(filepath.Join(dir, name)); err2 == nil {
			return p, nil
		}
	}
	if errors.Is(err, exec.ErrNotFound) {
		return "", fmt.Errorf("%s not installed", name)
	}
	return "", err
}

// BigItemsKeyQuota is how many bytes of the kernel key quota the tests that
// store big items (32 KiB and more) in the kernel keyring need free.
const BigItemsKeyQuota = 256 << 10

// RequireKeyQuota skips a test that stores big items in the kernel keyring
// (fails it with CI=true) when the user's key quota, used of max bytes as
// /proc/key-users says (keychain.ReadKeyctlQuota), has less than
// BigItemsKeyQuota free: the default for users other than root,
// kernel.keys.maxbytes = 20000, is too small.
func RequireKeyQuota(t TB, used, max int) {
	t.Helper()
	if max-used >= BigItemsKeyQuota {
		return
	}
	Skip(t, "kernel keyring tests of big items",
		fmt.Sprintf("this user's kernel key quota (kernel.keys.maxbytes=%d) has less than %d KiB free", max, BigItemsKeyQuota>>10),
		fmt.Sprintf("sudo sysctl -w kernel.keys.maxbytes=%d", 4*BigItemsKeyQuota))
}
