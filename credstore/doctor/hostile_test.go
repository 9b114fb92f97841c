//go:build unix

package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-credential-pat/docker-credential-pat/credstore"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/credstoretest"
)

// doctor --repair neither chmods nor empties what a uses/ link points to:
// it says the link is there and how to remove it.
func TestDoctorRepairDoesNotFollowUsesLink(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "me", credstoretest.GitHub("ghp_"))
	elsewhere := t.TempDir()
	if err := os.Chmod(elsewhere, 0o755); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(elsewhere, "0123456789abcdef0123456789abcdef.json")
	if err := os.WriteFile(victim, []byte("theirs"), 0o644); err != nil {
		t.Fatal(err)
	}
	uses := filepath.Join(f.dir, credstore.UsesDir)
	_ = os.RemoveAll(uses)
	if err := os.Symlink(elsewhere, uses); err != nil {
		t.Fatal(err)
	}
	r := Run(f.s, doctorOpts(t, true))
	c := only(t, r, CheckPermissions)
	if c.Status != StatusFail || !strings.Contains(c.Detail, "symbolic link") || c.Hint != "remove the link: rm "+uses {
		t.Errorf("permissions check = %+v", c)
	}
	if st, err := os.Stat(elsewhere); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("the linked directory is now %v, %v", st.Mode(), err)
	}
	if st, err := os.Stat(victim); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("the file in the linked directory is now %v, %v", st, err)
	}
}

// A state directory others can write fails the index check (the store
// refuses it) until doctor --repair closes it, in the same run.
func TestDoctorRepairClosesAnOpenStateDir(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "me", credstoretest.GitHub("ghp_"))
	if err := os.Chmod(f.dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if c := only(t, Run(f.s, doctorOpts(t, false)), CheckIndex); c.Status != StatusFail || c.Hint != "chmod 700 "+f.dir {
		t.Errorf("index check of an open state dir = %+v", c)
	}
	r := Run(f.s, doctorOpts(t, true))
	if c := only(t, r, CheckPermissions); c.Status != StatusOK || c.Repaired != "chmod 0700 "+f.dir {
		t.Errorf("permissions check with --repair = %+v", c)
	}
	if c := only(t, r, CheckIndex); c.Status != StatusOK {
		t.Errorf("index check after the repair = %+v", c)
	}
}
