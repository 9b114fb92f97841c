//go:build !unix && !windows

package statefile

import (
	"errors"
	"io/fs"
	"os"
)

// openNoFollow refuses a symbolic link by looking first: Windows has no
// O_NOFOLLOW, and no FIFOs that an open would wait on.
func openNoFollow(path string, create, write bool) (*os.File, error) {
	if st, err := os.Lstat(path); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		return nil, &fs.PathError{Op: "open", Path: path, Err: ErrSymlink}
	}
	flag := os.O_RDONLY
	if write {
		flag = os.O_RDWR
	}
	if create {
		flag |= os.O_CREATE
	}
	return os.OpenFile(path, flag, 0o600)
}

func openNoWait(path string) (*os.File, error) { return os.Open(path) }

func isSymlinkErr(_ string, err error) bool { return errors.Is(err, ErrSymlink) }

// checkOwner: the user profile's ACLs keep the state directory private on
// Windows; mode bits say nothing there.
func checkOwner(string, fs.FileInfo) error { return nil }
