package credstore

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
)

// processName is the base name of the process's argv[0], or its comm
// (which the kernel cuts at 15 bytes: "docker-credenti") when argv is not
// readable.
func processName(pid int) string {
	proc := "/proc/" + strconv.Itoa(pid)
	if b, err := os.ReadFile(proc + "/cmdline"); err == nil && len(b) > 0 {
		arg0, _, _ := bytes.Cut(b, []byte{0})
		if name := filepath.Base(string(arg0)); name != "." && name != "/" && len(arg0) > 0 {
			return name
		}
	}
	b, err := os.ReadFile(proc + "/comm")
	if err != nil {
		return ""
	}
	return string(bytes.TrimSpace(b))
}
