package credstore

import (
	"runtime"
	"strings"
	"testing"
)

// The install hint is a command for the system the helper runs on: no
// sudo and no Unix path on Windows, where the program is an .exe.
func TestInstallHintFor(t *testing.T) {
	for _, tc := range []struct {
		goos, program string
		want          []string
		not           []string
	}{
		{"linux", "docker-credential-pat", []string{"sudo install -m 0755 docker-credential-pat /usr/local/bin/"}, []string{".exe"}},
		{"freebsd", "docker-credential-pat", []string{"sudo install -m 0755 docker-credential-pat /usr/local/bin/"}, []string{".exe"}},
		{"darwin", "docker-credential-pat", []string{"sudo install -d /usr/local/bin", "install -m 0755 docker-credential-pat /usr/local/bin/"}, []string{".exe"}},
		{"windows", "docker-credential-pat", []string{`Copy-Item docker-credential-pat.exe "$env:LOCALAPPDATA\Microsoft\WindowsApps\"`}, []string{"sudo", "/usr/", ".exe.exe"}},
		{"windows", "docker-credential-pat.EXE", []string{"Copy-Item docker-credential-pat.EXE "}, []string{".exe"}},
	} {
		got := installHintFor(tc.goos, tc.program)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("installHintFor(%q, %q) = %q, want %q in it", tc.goos, tc.program, got, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(got, n) {
				t.Errorf("installHintFor(%q, %q) = %q, want no %q in it", tc.goos, tc.program, got, n)
			}
		}
	}
	if got, want := installHint("docker-credential-pat"), installHintFor(runtime.GOOS, "docker-credential-pat"); got != want {
		t.Errorf("installHint = %q, want the hint for %s, %q", got, runtime.GOOS, want)
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n          int
		noun, want string
	}{
		{0, "entry", "0 entries"}, {1, "entry", "1 entry"}, {2, "entry", "2 entries"},
		{1, "day", "1 day"}, {3, "day", "3 days"},
		{1, "credential", "1 credential"}, {2, "backup", "2 backups"},
	} {
		if got := plural(tc.n, tc.noun); got != tc.want {
			t.Errorf("plural(%d, %q) = %q, want %q", tc.n, tc.noun, got, tc.want)
		}
	}
}
