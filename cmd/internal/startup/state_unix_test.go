//go:build unix

package startup

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

func TestReadState(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", " secretservice\n")
	if got := readState(good); got != "secretservice" {
		t.Errorf("readState(good) = %q", got)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	large := write("large", string(make([]byte, stateLimit+1)))
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]string{"a symbolic link": link, "a file too large": large,
		"a FIFO": fifo, "a directory": dir, "a missing file": filepath.Join(dir, "none")} {
		done := make(chan string, 1)
		go func() { done <- readState(p) }()
		select {
		case got := <-done:
			if got != "" {
				t.Errorf("%s: readState = %q, want nothing", name, got)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: readState waited", name)
		}
	}
	if os.Geteuid() == 0 { // only root can give a file away
		theirs := write("theirs", "secretservice\n")
		if err := os.Chown(theirs, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if got := readState(theirs); got != "" {
			t.Errorf("another user's file: readState = %q, want nothing", got)
		}
	}
}

func TestReadCmdline(t *testing.T) {
	if got := readCmdline(); !slices.Equal(got, os.Args) {
		t.Errorf("readCmdline() = %q, want os.Args %q", got, os.Args)
	}
}
