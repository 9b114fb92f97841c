// Package atomicfile replaces files atomically and privately: a reader, or
// the next run after a crash, sees the old file or the new one.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/rogpeppe/go-internal/robustio"
)

// WriteFile replaces path with data so that a reader, or the next run
// after a crash, sees either the old file or the new one, never a mix. It
// writes a temporary file in path's directory (created 0600, so the data is
// never readable by others, not even briefly), syncs it, sets perm, renames
// it over path and syncs the directory so the rename itself is durable.
//
// path must not be a symbolic link that the caller wants kept: the link is
// replaced by a regular file. Resolve it first (filepath.EvalSymlinks).
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, data, perm, true)
}

// Write is WriteFile that syncs only when durable: a process killed at any moment still leaves the old file or the new one,
// but a power cut may lose the write. Use counts are not worth an fsync.
func Write(path string, data []byte, perm os.FileMode, durable bool) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if durable {
		if err = f.Sync(); err != nil {
			return err
		}
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	// On Windows a file that another process has open cannot be replaced
	// (Access is denied) until it closes it, which a reader of a state
	// file does within microseconds: robustio retries for up to 2 s there,
	// and is os.Rename elsewhere.
	if err = robustio.Rename(tmp, path); err != nil {
		return err
	}
	if !durable {
		return nil
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable. Windows cannot open a directory
// for syncing (and NTFS journals the rename), and some file systems refuse
// to sync a directory: neither is a failure of the write itself.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}
