package credstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/internal/atomicfile"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/internal/statefile"
)

// Use records. Every get records a use, and rewriting the whole index for
// it would make each pull slower the more credentials are stored (480 KB
// at 1,000 entries). So the use fields of an entry live in a small file of
// their own, uses/<id>.json, rewritten in place under the index lock by
// each use (see updateUse), and laid over the index entry whenever an
// entry is read for a person. A record names the key and the token
// fingerprint it counts: one left by an erased entry or a replaced token
// is ignored, so a new token starts from zero.
const UsesDir = "uses"

// maxUseRecord bounds what is read of a use record (about 300 bytes).
const maxUseRecord = 64 << 10

// maxInPlace is the largest record updateUse writes in place: one write
// within the file's first page, which a process killed at any moment
// makes whole or not at all.
const maxInPlace = 4096

type useRecord struct {
	Key            string     `json:"key"`
	Fingerprint    string     `json:"fingerprint"`
	LastUsedAt     *time.Time `json:"lastUsedAt"`
	LastUsedBy     string     `json:"lastUsedBy"`
	UseCount       int64      `json:"useCount"`
	BulkReads      int64      `json:"bulkReads"`
	LastBulkReadAt *time.Time `json:"lastBulkReadAt"`
	ReminderAt     *time.Time `json:"reminderAt,omitempty"`
	// Locator is where the keychain last found the item (see
	// keychain.Locator): the next get starts there.
	Locator string `json:"locator,omitempty"`
}

func recordOf(e *Entry) useRecord {
	return useRecord{Key: e.Key, Fingerprint: e.Fingerprint,
		LastUsedAt: e.LastUsedAt, LastUsedBy: e.LastUsedBy, UseCount: e.UseCount,
		BulkReads: e.BulkReads, LastBulkReadAt: e.LastBulkReadAt, ReminderAt: e.ReminderAt,
		Locator: e.Locator}
}

// applyTo lays u over e when u counts e's token.
func (u *useRecord) applyTo(e *Entry) {
	if u == nil || u.Key != e.Key || u.Fingerprint != e.Fingerprint {
		return
	}
	e.LastUsedAt, e.LastUsedBy, e.UseCount = u.LastUsedAt, u.LastUsedBy, u.UseCount
	e.BulkReads, e.LastBulkReadAt, e.ReminderAt = u.BulkReads, u.LastBulkReadAt, u.ReminderAt
	if u.Locator != "" {
		e.Locator = u.Locator
	}
}

func usePath(dir, key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(dir, UsesDir, hex.EncodeToString(sum[:16])+".json")
}

func (s *Store) usePath(key string) string { return usePath(s.dir, key) }

// readUse reads the record at path; a missing or unreadable one is nil
// (the index's own fields then stand).
func readUse(path string) *useRecord {
	data, err := statefile.ReadFile(path, maxUseRecord)
	if err != nil {
		return nil
	}
	return decodeUse(data)
}

// decodeUse decodes a use record; one that is not (too large, torn, not
// JSON) is nil.
func decodeUse(data []byte) *useRecord {
	var u useRecord
	if len(data) > maxUseRecord || json.Unmarshal(data, &u) != nil {
		return nil
	}
	return &u
}

// useFiles lists the use records in dir, by file name; none when uses/
// is not a private directory of ours (never what a link points to).
func useFiles(dir string) map[string]bool {
	uses := filepath.Join(dir, UsesDir)
	if statefile.CheckDir(uses, false) != nil {
		return nil
	}
	names, err := os.ReadDir(uses)
	if err != nil {
		return nil
	}
	have := make(map[string]bool, len(names))
	for _, n := range names {
		have[n.Name()] = true
	}
	return have
}

// updateUse lays e's use record over e, lets fn change e's use fields and
// writes them back. The caller holds the index lock.
//
// The record is rewritten in place: one write at the start of the file,
// padded with spaces (which JSON allows) to the length of the record it
// replaces. A temporary file renamed over the record would cost each get
// more than the rest of its file work together: ext4 starts writing a
// file's data back when a rename replaces another (auto_da_alloc), 0.5 ms
// measured here. A process killed at any moment leaves the old record or
// the new one (a write within one page is made whole or not at all); a
// power cut may lose the record, as it could lose an unsynced rename, and
// the index's own fields then stand. A get reads the record without the
// lock, for the item's place only, and a record it catches half-written
// only sends it the long way (see Store.Get).
func (s *Store) updateUse(e *Entry, fn func(e *Entry)) error {
	p := s.usePath(e.Key)
	if err := statefile.CheckDir(filepath.Dir(p), false); err != nil {
		return err
	}
	f, err := statefile.OpenWrite(p)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.Mkdir(filepath.Dir(p), 0o700); err == nil || errors.Is(err, fs.ErrExist) {
			f, err = statefile.OpenWrite(p)
		}
	}
	if err != nil {
		return err
	}
	defer f.Close()
	old, err := io.ReadAll(io.LimitReader(f, maxUseRecord+1))
	if err != nil {
		return err
	}
	decodeUse(old).applyTo(e)
	fn(e)
	data, err := json.Marshal(recordOf(e))
	if err != nil {
		return err
	}
	return rewrite(f, p, old, data)
}

// rewrite replaces the JSON record f holds at path, old as read, with data:
// in place, padded with spaces to old's length, or, when either is longer
// than maxInPlace, through a temporary file renamed over it (see
// updateUse). f is closed in that case.
func rewrite(f *os.File, path string, old, data []byte) error {
	if len(data) > maxInPlace || len(old) > maxInPlace {
		f.Close()
		return atomicfile.Write(path, data, 0o600, false)
	}
	if pad := len(old) - len(data); pad > 0 {
		data = append(data, bytes.Repeat([]byte(" "), pad)...)
	}
	_, err := f.WriteAt(data, 0)
	return err
}

// dropUse removes key's use record, if any. The caller holds the index
// lock.
func (s *Store) dropUse(key string) {
	if p := s.usePath(key); statefile.CheckDir(filepath.Dir(p), false) == nil {
		_ = os.Remove(p)
	}
}

// sweepUses removes use records no entry of x has (left by a process
// killed between an erase and the removal of its record) and stray
// temporary files. The caller holds the index lock. It returns how many it
// removed.
func (s *Store) sweepUses(x *index) int {
	dir := filepath.Join(s.dir, UsesDir)
	keep := make(map[string]bool, len(x.entries))
	for key := range x.entries {
		keep[filepath.Base(s.usePath(key))] = true
	}
	n := 0
	for name := range useFiles(s.dir) {
		if keep[name] || !strings.HasSuffix(name, ".json") && !strings.HasSuffix(name, ".tmp") {
			continue
		}
		if os.Remove(filepath.Join(dir, name)) == nil {
			n++
		}
	}
	return n
}
