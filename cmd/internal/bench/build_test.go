//go:build linux

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// install must leave the same bytes, executable, in a file of its own: the
// linker's file (its inode and the page cache pages written through a
// memory map) is what it replaces.
func TestInstallRewritesTheFile(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "helper")
	want := bytes.Repeat([]byte("\x7fELF not really "), 5000)
	if err := os.WriteFile(bin, want, 0o700); err != nil {
		t.Fatal(err)
	}
	before := inode(t, bin)
	if err := install(bin); err != nil {
		t.Fatal(err)
	}
	// Before anything here reads the file.
	if n := resident(t, bin); n > 0 {
		t.Errorf("%d pages of the installed binary are in the page cache; want it read from disk on its first run", n)
	}
	got, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("install changed the binary: %d bytes, want %d", len(got), len(want))
	}
	fi, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("installed binary is not executable: %v", fi.Mode())
	}
	if inode(t, bin) == before {
		t.Error("install left the linker's file in place; want a new file written with plain writes")
	}
	if _, err := os.Stat(bin + ".installing"); !os.IsNotExist(err) {
		t.Errorf("install left its temporary file: %v", err)
	}
}

// resident counts bin's pages in the page cache (mincore of a mapping,
// which itself reads nothing). On tmpfs the page cache is the file: skip.
func resident(t *testing.T, bin string) int {
	t.Helper()
	var fs unix.Statfs_t
	if err := unix.Statfs(bin, &fs); err != nil {
		t.Fatal(err)
	}
	if fs.Type == unix.TMPFS_MAGIC {
		t.Skip("the test directory is on tmpfs, whose files live in the page cache")
	}
	f, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	m, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	pages := (len(m) + os.Getpagesize() - 1) / os.Getpagesize()
	vec := make([]byte, pages)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}
