package credstore

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/hint"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/internal/atomicfile"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/internal/statefile"
	"github.com/rogpeppe/go-internal/lockedfile"
)

const (
	indexFile     = "index.json"
	indexLockFile = "index.lock"
	indexVersion  = 1
	// maxIndexFile bounds what is read of the index: about 60,000
	// entries, far more than anyone stores, and a bound on what a get
	// costs whatever the file holds.
	maxIndexFile = 32 << 20
)

// ErrIndexCorrupt means the metadata index could not be read. It is never
// taken to mean "no credentials".
var ErrIndexCorrupt = errors.New("metadata index is corrupt")

// IndexError names the index file that failed.
type IndexError struct {
	Path string
	Err  error

	program string // for the hint; default HelperProgram
}

func (e *IndexError) Error() string { return fmt.Sprintf("%s: %v", e.Path, e.Err) }
func (e *IndexError) Unwrap() error { return e.Err }

// Hints: a corrupt index is rebuilt by the doctor.
func (e *IndexError) Hints() []string {
	if errors.Is(e.Err, ErrIndexCorrupt) {
		program := e.program
		if program == "" {
			program = HelperProgram
		}
		return []string{program + " doctor --repair"}
	}
	return nil
}

// index is the metadata file: {"version":1,"entries":{key:entry}} plus any
// keys a newer version wrote, which survive a rewrite. Entries are decoded
// lazily and re-encoded only when changed, so unknown entry fields survive
// too and a one-entry update does not re-encode a thousand entries.
type index struct {
	path    string
	exists  bool                       // the file was there and read
	top     map[string]json.RawMessage // every top-level key but "entries"
	entries map[string]*indexEntry
}

type indexEntry struct {
	raw   json.RawMessage // as read; nil for a new entry
	e     *Entry          // decoded, nil until asked for
	dirty bool
}

// indexReadError is an error reading the index: a refusal of statefile
// names the path and its fix itself.
func indexReadError(path string, err error) error {
	if len(hint.Of(err)) > 0 {
		return err
	}
	return &IndexError{Path: path, Err: err}
}

func corrupt(path string, err error) error {
	return &IndexError{Path: path, Err: fmt.Errorf("%w: %v", ErrIndexCorrupt, err)}
}

// readIndex reads the index at path; a missing file is an empty index.
func readIndex(path string) (*index, error) {
	data, err := statefile.ReadFile(path, maxIndexFile)
	if errors.Is(err, fs.ErrNotExist) {
		return &index{path: path, top: map[string]json.RawMessage{"version": json.RawMessage("1")}, entries: map[string]*indexEntry{}}, nil
	}
	if err != nil {
		return nil, indexReadError(path, err)
	}
	x, ok := parseIndexLines(path, data)
	if !ok {
		if x, err = parseIndexJSON(path, data); err != nil {
			return nil, err
		}
	}
	x.exists = true
	return x, nil
}

// lookupIndex returns the entry under key in the index at path, and
// whether the file exists, decoding no other entry: get runs on every
// pull, and building the whole index (1,000 entries: about 2 ms) only to
// find one would make pulls slower the more credentials there are. A file
// in another layout goes through readIndex, which names what is wrong.
func lookupIndex(path, key string) (e *Entry, exists bool, err error) {
	if e, ok := lookupIndexLine(path, key); ok {
		return e, true, nil // e nil: not there
	}
	data, err := statefile.ReadFile(path, maxIndexFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, indexReadError(path, err)
	}
	var raw, version []byte
	ok := scanIndexLines(data, func(k string, v []byte) {
		if k == key {
			raw = v // a key written twice: the last wins, as in readIndex
		}
	}, func(k string, v []byte) {
		if k == "version" {
			version = v
		}
	})
	if ok && validVersion(version) {
		if raw == nil {
			return nil, true, nil
		}
		var e Entry
		if json.Unmarshal(raw, &e) == nil {
			e.Key = key
			return &e, true, nil
		}
	}
	x, err := readIndex(path)
	if err != nil {
		return nil, false, err
	}
	e, err = x.get(key)
	return e, true, err
}

// lookupIndexLine is lookupIndex's fast way (findIndexLine), with
// statefile's refusals: key's entry, or nil for a key that is not there;
// false leaves everything, errors included, to the slow way.
func lookupIndexLine(path, key string) (*Entry, bool) {
	f, err := statefile.Open(path, false)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.Size() > maxIndexFile {
		return nil, false
	}
	raw, ok := findIndexLine(f, key)
	if !ok || raw == nil {
		return nil, ok
	}
	var e Entry
	if json.Unmarshal(raw, &e) != nil {
		return nil, false
	}
	e.Key = key
	return &e, true
}

// findIndexLine finds key's entry in an index in the layout encode writes,
// read from r, decoding nothing but the top-level members: a get then
// takes about as long with 1,000 entries as with one. It streams through
// a buffer of its own, as reading the whole file (480 KB at 1,000
// entries) into fresh memory cost a new process more than the search. It
// checks the shape of every line (the first and last, each top-level
// member, each entry line starting with four spaces and a key written as
// encode writes it, and ending with the object's brace and a comma but
// the last) and a valid version. A key that is not there is nil, ok; ok
// is false for anything else (another layout, a key there twice, a key
// written with escapes or bytes that are not UTF-8, which encoding/json
// would read as another key): lookupIndex then reads the file the slow
// way, which also tells a damaged file from a miss.
func findIndexLine(r io.Reader, key string) (json.RawMessage, bool) {
	br := bufio.NewReaderSize(r, 64<<10)
	line, err := br.ReadSlice('\n')
	if err != nil || string(line) != "{\n" {
		return nil, false
	}
	var version []byte
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return nil, false
		}
		if string(line) == "  \"entries\": {\n" {
			break
		}
		k, v, ok := splitMember(bytes.TrimPrefix(line[:len(line)-1], []byte("  ")))
		if !ok || !json.Valid(v) {
			return nil, false
		}
		if k == "version" {
			version = bytes.Clone(v)
		}
	}
	if !validVersion(version) {
		return nil, false
	}
	start := append(append([]byte("    "), appendJSONString(nil, key)...), ": {"...)
	var raw []byte
	last := false // the previous entry line had no comma
	for {
		line, err = br.ReadSlice('\n') // an entry over 64 KiB is ErrBufferFull
		if err != nil {
			return nil, false
		}
		if string(line) == "  }\n" {
			break
		}
		entry, more := bytes.CutSuffix(line, []byte(",\n"))
		if !more {
			entry = line[:len(line)-1]
		}
		if last || !bytes.HasPrefix(entry, []byte("    \"")) || !bytes.HasSuffix(entry, []byte("}")) {
			return nil, false
		}
		name, _, ok := bytes.Cut(entry[5:], []byte(`": {`))
		if !ok || bytes.IndexByte(name, '\\') >= 0 || !utf8.Valid(name) || hasControl(name) {
			return nil, false
		}
		last = !more
		if bytes.HasPrefix(entry, start) {
			if raw != nil {
				return nil, false
			}
			raw = bytes.Clone(entry[len(start)-1:])
		}
	}
	if line, err = br.ReadSlice('\n'); err != nil || string(line) != "}\n" || !last {
		return nil, false
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, false
	}
	return raw, true
}

// parseIndexLines reads the layout encode writes, one entry a line,
// without scanning every entry's JSON: get and list run on every pull and
// build, and only the entries they touch are decoded. Anything else (a
// hand-edited or damaged file) is left to parseIndexJSON.
func parseIndexLines(path string, data []byte) (*index, bool) {
	x := &index{path: path, top: map[string]json.RawMessage{}, entries: map[string]*indexEntry{}}
	ok := scanIndexLines(data, func(key string, raw []byte) {
		x.entries[key] = &indexEntry{raw: raw}
	}, func(key string, raw []byte) {
		x.top[key] = raw
	})
	if !ok || !x.validVersion() {
		return nil, false
	}
	return x, true
}

// scanIndexLines walks data in the layout encode writes, calling entry for
// each entry line and top for every other top-level member, and reports
// whether all of data is in that layout.
func scanIndexLines(data []byte, entry, top func(key string, raw []byte)) bool {
	rest, ok := bytes.CutPrefix(data, []byte("{\n"))
	if !ok {
		return false
	}
	inEntries, closed := false, false
	for len(rest) > 0 {
		line, tail, found := bytes.Cut(rest, []byte("\n"))
		if !found {
			return false
		}
		rest = tail
		switch {
		case closed:
			return len(rest) == 0 && string(line) == "}"
		case !inEntries && string(line) == `  "entries": {}`:
			inEntries, closed = true, true
		case !inEntries && string(line) == `  "entries": {`:
			inEntries = true
		case inEntries && string(line) == "  }":
			closed = true
		case inEntries:
			key, raw, ok := splitMember(bytes.TrimPrefix(line, []byte("    ")))
			if !ok || len(raw) < 2 || raw[0] != '{' || raw[len(raw)-1] != '}' {
				return false
			}
			entry(key, raw)
		default:
			key, raw, ok := splitMember(bytes.TrimPrefix(line, []byte("  ")))
			if !ok || !json.Valid(raw) {
				return false
			}
			top(key, raw)
		}
	}
	return false
}

// splitMember splits `"key": value,` into the key and the value.
func splitMember(line []byte) (string, json.RawMessage, bool) {
	line = bytes.TrimSuffix(line, []byte(","))
	i := bytes.Index(line, []byte(`": `))
	if len(line) < 2 || line[0] != '"' || i < 1 {
		return "", nil, false
	}
	quoted := line[:i+1]
	if !utf8.Valid(quoted[1:i]) || hasControl(quoted[1:i]) {
		// encoding/json would read such a key as another (U+FFFD for each
		// bad byte), and write it so, or not at all (a control character
		// is no JSON): leave the file to parseIndexJSON, which reads it
		// the way a rewrite will.
		return "", nil, false
	}
	if bytes.IndexByte(quoted[1:i], '\\') < 0 && bytes.IndexByte(quoted[1:i], '"') < 0 {
		return string(quoted[1:i]), json.RawMessage(line[i+3:]), true
	}
	var key string
	if err := json.Unmarshal(quoted, &key); err != nil {
		return "", nil, false
	}
	return key, json.RawMessage(line[i+3:]), true
}

// hasControl reports whether b holds a control character, which a JSON
// string may hold only escaped. Byte by byte, as no byte of a multi-byte
// UTF-8 sequence is below 0x80: decoding runes (bytes.ContainsFunc) was a
// third of a get's index lookup at 1,000 entries.
func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

func (x *index) validVersion() bool { return validVersion(x.top["version"]) }

// validVersion reports whether raw, the index's "version" member, is one.
func validVersion(raw json.RawMessage) bool {
	var version int
	return json.Unmarshal(raw, &version) == nil && version >= 1
}

// parseIndexJSON reads an index of any layout, and says exactly what is
// wrong with a damaged one.
func parseIndexJSON(path string, data []byte) (*index, error) {
	x := &index{path: path, top: map[string]json.RawMessage{}, entries: map[string]*indexEntry{}}
	if err := json.Unmarshal(data, &x.top); err != nil {
		return nil, corrupt(path, errors.New("not a JSON object"))
	}
	if !x.validVersion() {
		return nil, corrupt(path, errors.New("no valid version"))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(x.top["entries"], &raw); err != nil {
		return nil, corrupt(path, errors.New("no valid entries object"))
	}
	delete(x.top, "entries")
	for k, v := range raw {
		if len(v) == 0 || v[0] != '{' {
			return nil, corrupt(path, fmt.Errorf("entry %q is not an object", k))
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, v); err != nil {
			return nil, corrupt(path, err)
		}
		x.entries[k] = &indexEntry{raw: compact.Bytes()}
	}
	for k, v := range x.top {
		var compact bytes.Buffer
		if err := json.Compact(&compact, v); err == nil {
			x.top[k] = compact.Bytes()
		}
	}
	return x, nil
}

// get returns the entry under key, or nil, with its use record laid over
// it (see useRecord).
func (x *index) get(key string) (*Entry, error) {
	return x.getWith(key, nil)
}

// getWith is get; uses, if not nil, lists the use records there are.
func (x *index) getWith(key string, uses map[string]bool) (*Entry, error) {
	ie := x.entries[key]
	if ie == nil {
		return nil, nil
	}
	if ie.e == nil {
		var e Entry
		if err := json.Unmarshal(ie.raw, &e); err != nil {
			return nil, corrupt(x.path, fmt.Errorf("entry %q: %v", key, err))
		}
		e.Key = key
		if p := usePath(filepath.Dir(x.path), key); uses == nil || uses[filepath.Base(p)] {
			readUse(p).applyTo(&e)
		}
		ie.e = &e
	}
	return ie.e, nil
}

// all returns every entry, sorted by key.
func (x *index) all() ([]*Entry, error) {
	keys := make([]string, 0, len(x.entries))
	for k := range x.entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	uses := useFiles(filepath.Dir(x.path))
	if uses == nil {
		uses = map[string]bool{}
	}
	out := make([]*Entry, 0, len(keys))
	for _, k := range keys {
		e, err := x.getWith(k, uses)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (x *index) put(e *Entry) {
	ie := x.entries[e.Key]
	if ie == nil {
		ie = &indexEntry{}
		x.entries[e.Key] = ie
	}
	ie.e, ie.dirty = e, true
}

func (x *index) remove(key string) { delete(x.entries, key) }

// entryFields are the JSON names Entry owns; the rest of a stored entry
// object belongs to someone else and is kept.
var entryFields = func() []string {
	var names []string
	t := reflect.TypeOf(Entry{})
	for i := 0; i < t.NumField(); i++ {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "-" {
			names = append(names, name)
		}
	}
	return names
}()

func encodeEntry(ie *indexEntry) (json.RawMessage, error) {
	if !ie.dirty {
		return ie.raw, nil
	}
	known, err := json.Marshal(ie.e)
	if err != nil {
		return nil, err
	}
	var old map[string]json.RawMessage
	if len(ie.raw) == 0 || json.Unmarshal(ie.raw, &old) != nil || len(old) == 0 {
		return known, nil
	}
	var fresh map[string]json.RawMessage
	if err := json.Unmarshal(known, &fresh); err != nil {
		return nil, err
	}
	for _, name := range entryFields {
		delete(old, name)
	}
	extra := false
	for k, v := range old {
		fresh[k], extra = v, true
	}
	if !extra {
		return known, nil
	}
	return json.Marshal(fresh)
}

// encode renders the index, one entry per line, keys sorted. It runs on
// every get (to count the use), so it appends into one buffer sized up
// front rather than formatting.
func (x *index) encode() ([]byte, error) {
	x.top["version"] = json.RawMessage(fmt.Sprint(indexVersion))
	keys := make([]string, 0, len(x.entries))
	size := 64
	for k, ie := range x.entries {
		keys = append(keys, k)
		size += len(k) + len(ie.raw) + 16
	}
	sort.Strings(keys)
	topKeys := make([]string, 0, len(x.top))
	for k, v := range x.top {
		topKeys = append(topKeys, k)
		size += len(k) + len(v) + 8
	}
	sort.Strings(topKeys)
	b := make([]byte, 0, size)
	b = append(b, "{\n"...)
	for _, k := range topKeys {
		b = append(b, "  "...)
		b = appendJSONString(b, k)
		b = append(b, ": "...)
		b = append(b, x.top[k]...)
		b = append(b, ",\n"...)
	}
	b = append(b, `  "entries": {`...)
	for i, k := range keys {
		ie := x.entries[k]
		raw, err := encodeEntry(ie)
		if err != nil {
			return nil, err
		}
		ie.raw, ie.dirty = raw, false
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n    "...)
		b = appendJSONString(b, k)
		b = append(b, ": "...)
		b = append(b, raw...)
	}
	if len(keys) > 0 {
		b = append(b, "\n  "...)
	}
	b = append(b, "}\n}\n"...)
	return b, nil
}

// appendJSONString appends s as a JSON string: as is when it needs no
// escaping (canonical keys never do), else through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= 0x80 {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// write replaces the index file atomically. durable also syncs it to disk:
// wanted when the index records a secret's existence, not for use counts.
func (x *index) write(durable bool) error {
	data, err := x.encode()
	if err != nil {
		return &IndexError{Path: x.path, Err: err}
	}
	if err := atomicfile.Write(x.path, data, 0o600, durable); err != nil {
		return &IndexError{Path: x.path, Err: err}
	}
	return nil
}

// lockState takes the state directory's inter-process lock, waiting at
// most wait (at least minLockWait) for another process to let it go.
func lockState(dir string, wait time.Duration) (unlock func(), err error) {
	wait = max(wait, minLockWait)
	path := filepath.Join(dir, indexLockFile)
	// lockedfile would create the file 0666 less umask, and open a FIFO
	// or follow a link put there: create it private, and refuse those.
	f, err := statefile.Open(path, true)
	if err != nil {
		return nil, err
	}
	if unlock, ok := tryLock(f); ok {
		return unlock, nil
	}
	f.Close()
	type result struct {
		unlock func()
		err    error
	}
	got := make(chan result, 1)
	go func() {
		u, err := lockedfile.MutexAt(path).Lock()
		got <- result{u, err}
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case r := <-got:
		if r.err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, r.err)
		}
		return r.unlock, nil
	case <-timer.C:
		// The goroutine may still get the lock: then let it go at once,
		// rather than hold it for nothing (and leave lockedfile's file to
		// a finalizer that panics when it finds it unclosed).
		go func() {
			if r := <-got; r.err == nil {
				r.unlock()
			}
		}()
		return nil, &LockError{Path: path, Waited: wait}
	}
}

// minLockWait is the least a lock is waited for: time for a holder that
// is about to let it go.
const minLockWait = 100 * time.Millisecond

// LockError means another process held the index lock for longer than
// this one would wait. The wait is the store's keychain timeout: each
// holder's keychain calls are bounded by it, so only a stopped process, or
// a slower store, holds it longer.
type LockError struct {
	Path   string
	Waited time.Duration
}

func (e *LockError) Error() string {
	return "another docker-credential-pat process has held " + e.Path + " for more than " + e.Waited.Round(time.Millisecond).String()
}

// Hints say how to find the process that holds the lock.
func (e *LockError) Hints() []string {
	return []string{"find it with: fuser -v " + e.Path}
}
