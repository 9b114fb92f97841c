//go:build !linux

package earlybus

// Dial does nothing here: only Linux starts the connection early.
func Dial(socket string, out []byte) bool { return false }

// Take has nothing to hand over here.
func Take(socket string, out []byte) (fd int, ok bool) { return -1, false }
