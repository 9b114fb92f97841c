//go:build unix

package startup

import "syscall"

// stateLimit is more than credstore writes to the backend file.
const stateLimit = 256

// readState returns the trimmed text of the state file at path, or "" if
// it is not a regular file of this user's of at most stateLimit bytes: a
// symbolic link is not followed and a FIFO not waited on, as credstore's
// statefile reads them.
func readState(path string) string {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return ""
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG ||
		int(st.Uid) != syscall.Geteuid() || st.Size > stateLimit {
		return ""
	}
	buf := make([]byte, stateLimit+1)
	n, err := syscall.Read(fd, buf)
	if err != nil || n > stateLimit {
		return ""
	}
	return trimSpace(string(buf[:n]))
}

// readCmdline returns the process's arguments, from /proc/self/cmdline
// (package os sets os.Args in its init, after this one): nil if they are
// not there or longer than a get's.
func readCmdline() []string {
	fd, err := syscall.Open("/proc/self/cmdline", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer syscall.Close(fd)
	buf := make([]byte, 4096)
	n, err := syscall.Read(fd, buf)
	if err != nil || n <= 0 || n == len(buf) {
		return nil
	}
	return splitNUL(buf[:n])
}

// splitNUL splits NUL-terminated strings.
func splitNUL(b []byte) []string {
	var args []string
	for start, i := 0, 0; i < len(b); i++ {
		if b[i] == 0 {
			args = append(args, string(b[start:i]))
			start = i + 1
		}
	}
	return args
}
