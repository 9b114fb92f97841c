package credstore

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
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
	// vfork lets Start return inside execve, after comm is set but before
	// the new argv is: wait (bounded) until the child's argv is there.
	cmdline := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/cmdline"
	for i := 0; i < 200; i++ {
		if b, _ := os.ReadFile(cmdline); len(b) > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := processName(cmd.Process.Pid); got != long {
		t.Errorf("processName = %q, want %q", got, long)
	}
	if got := processName(1 << 30); got != "" {
		t.Errorf("processName of no process = %q", got)
	}
}
