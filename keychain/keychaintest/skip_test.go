package keychaintest

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fakeTB records what Skip and Require ask of a test; Skip and Fatal end the
// calling goroutine's work the way testing does, by panicking here.
type fakeTB struct {
	skipped, failed string
}

type stop struct{}

func (f *fakeTB) Helper()                         {}
func (f *fakeTB) Logf(format string, args ...any) {}
func (f *fakeTB) Cleanup(func())                  {}
func (f *fakeTB) Skip(args ...any)                { f.skipped = fmtArgs(args); panic(stop{}) }
func (f *fakeTB) Fatal(args ...any)               { f.failed = fmtArgs(args); panic(stop{}) }
func (f *fakeTB) Errorf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
}

func fmtArgs(args []any) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteString(a.(string))
	}
	return b.String()
}

// run calls f with a fakeTB and returns what it reported.
func run(f func(TB)) (tb *fakeTB) {
	tb = &fakeTB{}
	defer func() {
		if r := recover(); r != nil && r != (stop{}) {
			panic(r)
		}
	}()
	f(tb)
	return tb
}

func TestSkipSkipsOrFailsInCI(t *testing.T) {
	skip := func(tb TB) { Skip(tb, "end-to-end tests", "skopeo not installed", Apt("skopeo")) }
	want := "skipped end-to-end tests: skopeo not installed; run: sudo apt-get install -y skopeo"
	t.Setenv("CI", "")
	if f := run(skip); f.skipped != want || f.failed != "" {
		t.Errorf("outside CI: skipped %q failed %q, want the skip %q", f.skipped, f.failed, want)
	}
	t.Setenv("CI", "true")
	if f := run(skip); f.skipped != "" || !strings.Contains(f.failed, "CI=true") || !strings.Contains(f.failed, want) {
		t.Errorf("CI=true: skipped %q failed %q, want a failure naming the skip", f.skipped, f.failed)
	}
}

func TestSkipMessageParsesBack(t *testing.T) {
	for _, c := range [][3]string{
		{"end-to-end tests", "skopeo not installed", Apt("skopeo")},
		{"tests on gnome-keyring", "missing dbus-daemon (package dbus) and gnome-keyring-daemon (package gnome-keyring)", Apt("dbus", "gnome-keyring")},
		{"tests as another user", "not root: setpriv needs it", "sudo make test"},
		{"end-to-end tests", "crane not installed (a; b: c)", "make deps"},
	} {
		g, w, f, ok := ParseSkip(SkipMessage(c[0], c[1], c[2]))
		if !ok || g != c[0] || w != c[1] || f != c[2] {
			t.Errorf("ParseSkip(SkipMessage(%q)) = %q %q %q %v", c, g, w, f, ok)
		}
	}
	for _, line := range []string{"", "skipped", "skipped x: y", "skip x: y; run: z", "runs dozens of processes", "skipped : y; run: z"} {
		if _, _, _, ok := ParseSkip(line); ok {
			t.Errorf("ParseSkip(%q) ok, want not a Skip line", line)
		}
	}
	for _, c := range [][3]string{{"a: b", "c", "d"}, {"a", "b; run: c", "d"}, {"a", "b\nc", "d"}, {"a", "", "d"}, {"a", "b", ""}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SkipMessage(%q) did not panic", c)
				}
			}()
			SkipMessage(c[0], c[1], c[2])
		}()
	}
}

func TestAptPackages(t *testing.T) {
	if got := AptPackages(Apt("skopeo", "docker.io")); !reflect.DeepEqual(got, []string{"skopeo", "docker.io"}) {
		t.Errorf("AptPackages(Apt(skopeo, docker.io)) = %q", got)
	}
	if got := AptPackages("make deps"); got != nil {
		t.Errorf("AptPackages(make deps) = %q, want nil", got)
	}
}

func TestLookToolFindsTheProjectCache(t *testing.T) {
	dir := ToolsDir()
	if _, err := os.Stat(filepath.Join(dir, "..", "..", "..", "go.mod")); err != nil {
		t.Fatalf("ToolsDir() = %q: not under the module root: %v", dir, err)
	}
	t.Setenv("PATH", t.TempDir())
	name := "dcp-lookup-test"
	if _, err := LookTool(name); err == nil || err.Error() != name+" not installed" {
		t.Errorf("LookTool of a missing tool: %v, want %q", err, name+" not installed")
	}
	tools := t.TempDir()
	bin := filepath.Join(tools, name)
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := lookTool(name, tools); err != nil || got != bin {
		t.Errorf("lookTool(%s) = %q, %v; want %q", name, got, err, bin)
	}
}

func TestRequireKeyQuota(t *testing.T) {
	t.Setenv("CI", "")
	if f := run(func(tb TB) { RequireKeyQuota(tb, 100, 25000000) }); f.skipped != "" || f.failed != "" {
		t.Errorf("root's quota: skipped %q failed %q, want neither", f.skipped, f.failed)
	}
	f := run(func(tb TB) { RequireKeyQuota(tb, 7357, 20000) })
	group, why, fix, ok := ParseSkip(f.skipped)
	if !ok || group != "kernel keyring tests of big items" || !strings.Contains(why, "kernel.keys.maxbytes=20000") ||
		fix != "sudo sysctl -w kernel.keys.maxbytes=1048576" {
		t.Errorf("the default quota: skipped %q", f.skipped)
	}
}
