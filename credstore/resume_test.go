package credstore

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// What a store's or a get's keychain learned is given to the next get's
// keychain, through a record in the state directory; a record that is not
// a regular file of ours is not read.
func TestGetResumesWhatTheLastGetLearned(t *testing.T) {
	f := newFixture(t)
	f.kc.Learn = "/org/freedesktop/secrets/session/s6" // a store's
	f.add("ghcr.io", "alice", tok1)
	f.kc.Learn = "/org/freedesktop/secrets/session/s7"
	if _, _, err := f.s.Get("ghcr.io"); err != nil {
		t.Fatal(err)
	}
	f.kc.Learn = "/org/freedesktop/secrets/session/s8"
	if _, _, err := f.store(Caller{Name: "crane"}).Get("ghcr.io"); err != nil {
		t.Fatal(err)
	}
	f.kc.Learn = "/s9" // shorter: the record is rewritten whole
	if _, _, err := f.store(Caller{Name: "crane"}).Get("ghcr.io"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.store(Caller{Name: "crane"}).Get("ghcr.io"); err != nil {
		t.Fatal(err)
	}
	want := []string{"/org/freedesktop/secrets/session/s6", "/org/freedesktop/secrets/session/s7", "/org/freedesktop/secrets/session/s8", "/s9"}
	if got := f.kc.Resumed(); !slices.Equal(got, want) {
		t.Errorf("the gets resumed %q, want %q", got, want)
	}
	path := filepath.Join(f.dir, resumeFile)
	if st, err := os.Stat(path); err != nil || st.Size() != resumeSize || st.Mode().Perm() != 0o600 {
		t.Errorf("the record: %v, %v; want %d bytes, private", st, err, resumeSize)
	}

	// A link in its place is not followed; the get still answers.
	target := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.WriteFile(target, []byte("/org/freedesktop/secrets/session/s100\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	f.kc.Learn = "/s10"
	if user, _, err := f.store(Caller{Name: "crane"}).Get("ghcr.io"); err != nil || user != "alice" {
		t.Fatalf("get with a link for the record = %q, %v", user, err)
	}
	if got := f.kc.Resumed(); len(got) != 4 {
		t.Errorf("resumed through a link: %q", got)
	}
	if data, _ := os.ReadFile(target); string(data) != "/org/freedesktop/secrets/session/s100\n" {
		t.Errorf("the link's target was written: %q", data)
	}
}
