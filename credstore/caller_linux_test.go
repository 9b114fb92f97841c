package credstore

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestProcessNameIsArgv0NotComm(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep")
	}
	const long = "docker-credential-long-name" // comm keeps 15 bytes of it
	link := filepath.Join(t.TempDir(), long)
	if err := os.Symlink(sleep, link); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(link, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if got := processName(cmd.Process.Pid); got != long {
		t.Errorf("processName = %q, want %q", got, long)
	}
	if got := processName(1 << 30); got != "" {
		t.Errorf("processName of no process = %q", got)
	}
}
