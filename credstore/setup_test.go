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
	if got, want := InstallHint("docker-credential-pat"), installHintFor(runtime.GOOS, "docker-credential-pat"); got != want {
		t.Errorf("InstallHint = %q, want the hint for %s, %q", got, runtime.GOOS, want)
	}
}
