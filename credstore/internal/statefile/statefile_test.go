//go:build unix

package statefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/hint"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "index.json")
	if _, err := ReadFile(path, 10); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if err := os.WriteFile(path, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, err := ReadFile(path, 10); err != nil || string(data) != "0123456789" {
		t.Fatalf("%q, %v", data, err)
	}
	if _, err := ReadFile(path, 9); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
}

// Each odd file is refused at once: none of these calls may block (a FIFO
// with no writer would block a plain open forever, and the test with it).
func TestReadFileRefusesOddFiles(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	sparse := filepath.Join(dir, "sparse")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil { // 1 GiB, no blocks
		t.Fatal(err)
	}
	f.Close()
	for path, want := range map[string]error{
		link: ErrSymlink, fifo: ErrNotRegular, sub: ErrNotRegular, "/dev/zero": ErrNotRegular, sparse: ErrTooLarge,
	} {
		_, err := ReadFile(path, 1<<20)
		if !errors.Is(err, want) {
			t.Errorf("ReadFile(%s) = %v, want %v", path, err, want)
			continue
		}
		if !strings.Contains(err.Error(), path) || len(hint.Of(err)) == 0 {
			t.Errorf("ReadFile(%s): %v (hints %q) should name the path and a fix", path, err, hint.Of(err))
		}
	}
	if _, err := Open(link, true); !errors.Is(err, ErrSymlink) {
		t.Errorf("Open(link, create) = %v", err)
	}
	if _, err := Open(fifo, true); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Open(fifo, create) = %v", err)
	}
	created := filepath.Join(dir, "lock")
	f, err = Open(created, true)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if st, err := os.Stat(created); err != nil || st.Mode().Perm()&0o077 != 0 {
		t.Errorf("created %v, %v", st.Mode(), err)
	}
}

func TestCheckDir(t *testing.T) {
	dir := t.TempDir()
	private := filepath.Join(dir, "private")
	open := filepath.Join(dir, "open")
	group := filepath.Join(dir, "group")
	for p, mode := range map[string]fs.FileMode{private: 0o700, open: 0o777, group: 0o770} {
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(private, link); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, ok := range []struct {
		path   string
		follow bool
	}{{private, false}, {private, true}, {link, true}, {filepath.Join(dir, "missing"), false}} {
		if err := CheckDir(ok.path, ok.follow); err != nil {
			t.Errorf("CheckDir(%s, %v) = %v", ok.path, ok.follow, err)
		}
	}
	for path, want := range map[string]error{open: ErrUnsafeDir, group: ErrUnsafeDir, link: ErrSymlink, file: ErrNotDir} {
		err := CheckDir(path, false)
		if !errors.Is(err, want) {
			t.Errorf("CheckDir(%s) = %v, want %v", path, err, want)
			continue
		}
		if !strings.Contains(err.Error(), path) || len(hint.Of(err)) == 0 {
			t.Errorf("CheckDir(%s): %v (hints %q) should name the path and a fix", path, err, hint.Of(err))
		}
	}
	if got := hint.Of(CheckDir(open, true)); len(got) != 1 || got[0] != "chmod 700 "+open {
		t.Errorf("hint %q", got)
	}
}
