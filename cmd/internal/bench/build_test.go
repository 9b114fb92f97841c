//go:build linux

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
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

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}
