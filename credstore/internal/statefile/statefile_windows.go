package statefile

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// openNoFollow refuses a symbolic link by looking first: Windows has no
// O_NOFOLLOW, and no FIFOs that an open would wait on. It opens for
// reading (and writing, if write) with FILE_SHARE_DELETE, which os.Open does not ask for: without
// it, no other process can replace a state file while this one reads it,
// not even with the POSIX semantics of recent Windows. Wine 8.0 (and a
// classic MoveFileEx) still refuse until the reader closes the file, which
// atomicfile waits for.
func openNoFollow(path string, create, write bool) (*os.File, error) {
	if st, err := os.Lstat(path); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		return nil, &fs.PathError{Op: "open", Path: path, Err: ErrSymlink}
	}
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	disposition := uint32(windows.OPEN_EXISTING)
	if create {
		disposition = windows.OPEN_ALWAYS
	}
	access := uint32(windows.GENERIC_READ)
	if write {
		access |= windows.GENERIC_WRITE
	}
	h, err := windows.CreateFile(p, access,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, disposition, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		if st, serr := os.Lstat(path); serr == nil && st.IsDir() {
			// CreateFile opens no directory: os.Open does, and Open then
			// refuses it as not a regular file, with its fix.
			return os.Open(path)
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}

// openNoWait: Windows has no FIFO an open would wait on.
func openNoWait(path string) (*os.File, error) { return os.Open(path) }

func isSymlinkErr(_ string, err error) bool { return errors.Is(err, ErrSymlink) }

// checkOwner: the user profile's ACLs keep the state directory private on
// Windows; mode bits say nothing there.
func checkOwner(string, fs.FileInfo) error { return nil }
