package credstore

import (
	"os"
	"path/filepath"
	"testing"
)

func TestProcessNameIsArgv0NotComm(t *testing.T) {
	want := filepath.Base(os.Args[0]) // "credstore.test": longer than comm's 15 bytes
	if got := processName(os.Getpid()); got != want {
		t.Errorf("processName(self) = %q, want %q", got, want)
	}
	if got := processName(1 << 30); got != "" {
		t.Errorf("processName of no process = %q", got)
	}
}
