//go:build !unix

package startup

// readState reads nothing here: the connection is started early on Linux
// only.
func readState(string) string { return "" }

// readCmdline has no arguments to give here.
func readCmdline() []string { return nil }
