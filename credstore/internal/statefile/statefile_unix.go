//go:build unix

package statefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

func openNoFollow(path string, create, write bool) (*os.File, error) {
	flag := os.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
	if write {
		flag = os.O_RDWR | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
	}
	if create {
		flag |= os.O_CREATE
	}
	return os.OpenFile(path, flag, 0o600)
}

func openNoWait(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// isSymlinkErr: O_NOFOLLOW on a symbolic link fails with ELOOP (EMLINK on
// FreeBSD, EFTYPE on NetBSD); Lstat tells for sure.
func isSymlinkErr(path string, err error) bool {
	if !errors.Is(err, syscall.ELOOP) && !errors.Is(err, syscall.EMLINK) {
		return false
	}
	st, lerr := os.Lstat(path)
	return lerr == nil && st.Mode()&fs.ModeSymlink != 0
}

// checkOwner refuses a directory of another user, or one that group or
// others can write: either could point our writes anywhere we can write.
func checkOwner(path string, st fs.FileInfo) error {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Geteuid() {
		return refusal(path, fmt.Errorf("%w (uid %d)", ErrNotOwner, sys.Uid),
			"use a directory of your own, or: sudo chown "+fmt.Sprint(os.Geteuid())+" "+path)
	}
	if st.Mode().Perm()&0o022 != 0 {
		return refusal(path, ErrUnsafeDir, "chmod 700 "+path)
	}
	return nil
}
