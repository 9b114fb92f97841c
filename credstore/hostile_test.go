//go:build unix

package credstore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/credstoretest"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/hint"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/internal/statefile"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
)

// bounded runs fn and fails the test if it has not returned after a
// minute: a call that waits on a FIFO never returns at all, and a test
// that hangs says nothing.
func bounded(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s hangs", what)
	}
}

// A FIFO in place of any file of the state directory never stalls a get,
// a store or a list: docker waits on them.
func TestOddFilesInStateDirDoNotHang(t *testing.T) {
	const url = "ghcr.io"
	for _, name := range []string{indexFile, listMarkerFile, "uses/<use>", token.PolicyFile, indexLockFile, "backend", resumeFile} {
		t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
			f := newFixture(t)
			f.kc.Learn = "/org/freedesktop/secrets/session/s7" // a get writes resume
			f.add(url, "me", credstoretest.GitHub("ghp_"))
			if _, _, err := f.s.Get(url); err != nil { // leaves a use record
				t.Fatal(err)
			}
			if _, err := f.s.List(); err != nil { // and last-list
				t.Fatal(err)
			}
			path := filepath.Join(f.dir, name)
			if name == "uses/<use>" {
				path = f.s.usePath(url)
			}
			_ = os.Remove(path)
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Fatal(err)
			}
			bounded(t, "get", func() { _, _, _ = f.s.Get(url) })
			bounded(t, "store", func() {
				_ = f.s.Add(&credentials.Credentials{ServerURL: "quay.io", Username: "me", Secret: credstoretest.GitHub("ghp_")})
			})
			bounded(t, "list", func() { _, _ = f.s.List() })
		})
	}
}

// A sparse 1 GiB index is not read: get says why and serves from the
// keychain, and the index is never read whole.
func TestHugeIndexIsRefused(t *testing.T) {
	f := newFixture(t)
	secret := credstoretest.GitHub("ghp_")
	f.add("ghcr.io", "me", secret)
	if err := os.Truncate(f.s.IndexPath(), 1<<30); err != nil {
		t.Fatal(err)
	}
	_, got, err := f.s.Get("ghcr.io")
	if err != nil || got != secret {
		t.Fatalf("get: %v", err)
	}
	if len(f.warns) != 1 || !strings.Contains(f.warns[0].Message, "larger than") || !strings.Contains(f.warns[0].Hint, "mv ") {
		t.Fatalf("warnings %+v", f.warns)
	}
	if _, err := f.s.Entries(); !errors.Is(err, statefile.ErrTooLarge) {
		t.Fatalf("entries: %v", err)
	}
}

// A uses/ that is a link to another directory gets nothing written,
// removed or chmod-ed there, by get, erase or the doctor's sweep.
func TestUsesLinkIsNeverFollowed(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "me", credstoretest.GitHub("ghp_"))
	f.add("quay.io", "me", credstoretest.GitHub("ghp_"))
	if _, _, err := f.s.Get("ghcr.io"); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	victim := filepath.Join(elsewhere, filepath.Base(f.s.usePath("quay.io")))
	if err := os.WriteFile(victim, []byte("theirs"), 0o644); err != nil {
		t.Fatal(err)
	}
	uses := filepath.Join(f.dir, UsesDir)
	if err := os.RemoveAll(uses); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, uses); err != nil {
		t.Fatal(err)
	}
	f.warns = nil
	if _, _, err := f.s.Get("ghcr.io"); err != nil {
		t.Fatal(err) // served from the keychain, with a warning
	}
	if len(f.warns) == 0 || !strings.Contains(f.warns[0].Message, "symbolic link") {
		t.Errorf("warnings %+v", f.warns)
	}
	if err := f.s.Delete("quay.io"); err == nil {
		t.Error("erase went ahead in a state directory with a uses/ link")
	}
	f.s.sweepUses(&index{})
	ents, err := os.ReadDir(elsewhere)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != filepath.Base(victim) {
		t.Fatalf("the linked directory now holds %v", ents)
	}
	if st, _ := os.Stat(victim); st.Mode().Perm() != 0o644 {
		t.Errorf("victim's mode changed to %v", st.Mode())
	}
}

// A state directory that others can write is refused for a store, and
// get serves from the keychain without reading or writing there.
func TestWritableStateDirIsRefused(t *testing.T) {
	f := newFixture(t)
	secret := credstoretest.GitHub("ghp_")
	f.add("ghcr.io", "me", secret)
	record, err := os.ReadFile(f.s.usePath("ghcr.io")) // the store's, from zero
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(f.dir, 0o777); err != nil {
		t.Fatal(err)
	}
	err = f.s.Add(&credentials.Credentials{ServerURL: "quay.io", Username: "me", Secret: credstoretest.GitHub("ghp_")})
	if !errors.Is(err, statefile.ErrUnsafeDir) || hint.First(err) != "chmod 700 "+f.dir {
		t.Fatalf("store: %v (hint %q)", err, hint.First(err))
	}
	if _, err := f.s.Entries(); !errors.Is(err, statefile.ErrUnsafeDir) {
		t.Fatalf("entries: %v", err)
	}
	f.kc.Learn = "/org/freedesktop/secrets/session/s7"
	_, got, err := f.s.Get("ghcr.io")
	if err != nil || got != secret {
		t.Fatalf("get: %v", err)
	}
	if len(f.warns) != 1 || f.warns[0].Hint != "chmod 700 "+f.dir {
		t.Fatalf("warnings %+v", f.warns)
	}
	if after, err := os.ReadFile(f.s.usePath("ghcr.io")); err != nil || string(after) != string(record) {
		t.Errorf("a use was recorded in the open directory: %s (%v)", after, err)
	}
	if _, err := os.Stat(filepath.Join(f.dir, resumeFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("what the keychain learned was kept in the open directory: %v", err)
	}
}
