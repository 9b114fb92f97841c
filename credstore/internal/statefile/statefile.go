// Package statefile reads and checks the state directory's files as a
// program must when another local user, or a mistake, may have put
// something odd there: a symbolic link is never followed, a FIFO or a
// device never waited on, a file never read past a size limit, and a
// directory that others can write is refused. Each refusal is an error
// that names the path and carries its fix (hint.Of). It imports nothing of
// this module.
package statefile

import (
	"errors"
	"io"
	"io/fs"
	"os"
)

// Refusals. They match with errors.Is; the errors returned also name the
// path and the fix.
var (
	ErrSymlink    = errors.New("is a symbolic link, which is not followed")
	ErrNotRegular = errors.New("is not a regular file")
	ErrTooLarge   = errors.New("is larger than this program ever writes")
	ErrNotDir     = errors.New("is not a directory")
	ErrUnsafeDir  = errors.New("can be written by other users")
	ErrNotOwner   = errors.New("belongs to another user")
)

// Refusal is a refusal about Path; Hints (hint.Of) holds its fix.
type Refusal struct {
	Path string
	Err  error // one of the sentinels, maybe with detail
	Fix  string
}

func (e *Refusal) Error() string   { return e.Path + " " + e.Err.Error() }
func (e *Refusal) Unwrap() error   { return e.Err }
func (e *Refusal) Hints() []string { return []string{e.Fix} }

func refusal(path string, err error, fix string) error {
	return &Refusal{Path: path, Err: err, Fix: fix}
}

// ReadFile reads the regular file at path, at most limit bytes. A missing
// file is an error that matches fs.ErrNotExist. A symbolic link, a FIFO, a
// socket or a device is refused without blocking, and a file larger than
// limit without reading it.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := Open(path, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, tooLarge(path)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(path)
	}
	return data, nil
}

func tooLarge(path string) error {
	return refusal(path, ErrTooLarge, "move it aside: mv "+path+" "+path+".large")
}

// Open opens the regular file at path for reading, creating it (0600)
// first if create is set, with the refusals of ReadFile.
func Open(path string, create bool) (*os.File, error) { return open(path, create, false) }

// OpenWrite opens the regular file at path for reading and writing,
// creating it (0600) if it is missing, with the refusals of ReadFile.
func OpenWrite(path string) (*os.File, error) { return open(path, true, true) }

func open(path string, create, write bool) (*os.File, error) {
	f, err := openNoFollow(path, create, write)
	if err != nil {
		if isSymlinkErr(path, err) {
			return nil, refusal(path, ErrSymlink, "remove the link: rm "+path)
		}
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, refusal(path, ErrNotRegular, "remove it: rm "+path)
	}
	return f, nil
}

// OpenNoWait opens path for reading as os.Open does, following a link, but
// never waits to: a FIFO or a device opens at once, for the caller to
// refuse after a Stat. For files outside the state directory that may be
// links by design, such as docker's config.json.
func OpenNoWait(path string) (*os.File, error) { return openNoWait(path) }

// CheckDir checks the directory at path, if there is one: a directory
// that only this user can write. With follow unset a symbolic link there
// is refused, as for a directory inside the state directory. A missing
// directory is no error: it is created private when needed.
func CheckDir(path string, follow bool) error {
	stat := os.Lstat
	if follow {
		stat = os.Stat
	}
	st, err := stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case st.Mode()&fs.ModeSymlink != 0:
		return refusal(path, ErrSymlink, "remove the link: rm "+path)
	case !st.IsDir():
		return refusal(path, ErrNotDir, "move it aside: mv "+path+" "+path+".aside")
	}
	return checkOwner(path, st)
}
