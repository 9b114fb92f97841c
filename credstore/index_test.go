package credstore

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadIndex feeds arbitrary bytes to the index decoder: it never
// panics, never reads a damaged file as an empty index, and what it reads
// survives a rewrite unchanged.
func FuzzReadIndex(f *testing.F) {
	f.Add([]byte("{\n  \"version\": 1,\n  \"entries\": {\n    \"ghcr.io\": {\"serverURL\":\"ghcr.io\",\"username\":\"a\"}\n  }\n}\n"))
	f.Add([]byte(`{"version":1,"entries":{"a":{"serverURL":"a","state":"storing"}},"x":[1]}`))
	f.Add([]byte("{\n  \"version\": 1,\n  \"entries\": {}\n}\n"))
	f.Add([]byte(`{"version":1,"entries":{"a":{"serverURL":`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "index.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		x, err := readIndex(path)
		if err != nil {
			return
		}
		if len(x.entries) == 0 && len(data) > 0 && !x.validVersion() {
			t.Fatalf("read a file without a valid version as an index")
		}
		entries := map[string]*Entry{}
		for k := range x.entries {
			if e, err := x.get(k); err == nil {
				entries[k] = e
			}
		}
		// get's own lookup agrees with the whole read.
		for k, e := range entries {
			got, exists, err := lookupIndex(path, k)
			if err != nil || !exists || got == nil || got.ServerURL != e.ServerURL || got.Username != e.Username || got.State != e.State {
				t.Fatalf("lookupIndex(%q) = %+v, %v, %v; readIndex has %+v", k, got, exists, err, e)
			}
		}
		if err := x.write(false); err != nil {
			t.Fatalf("rewrite: %v", err)
		}
		y, err := readIndex(path)
		if err != nil {
			t.Fatalf("reading back what was written: %v", err)
		}
		if len(y.entries) != len(x.entries) {
			t.Fatalf("rewrite changed the entry count from %d to %d", len(x.entries), len(y.entries))
		}
		for k, e := range entries {
			e2, err := y.get(k)
			if err != nil || e2 == nil || e2.ServerURL != e.ServerURL || e2.Username != e.Username || e2.State != e.State {
				t.Fatalf("entry %q changed in a rewrite: %+v -> %+v (%v)", k, e, e2, err)
			}
		}
	})
}

// scanListEntry agrees with encoding/json wherever it answers.
func FuzzScanListEntry(f *testing.F) {
	for _, e := range []Entry{{ServerURL: "ghcr.io", Username: "alice"}, {ServerURL: "a", Username: "<token>"}, {ServerURL: "b", Username: `q"uote`, State: stateStoring}} {
		raw, _ := json.Marshal(e)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		u, n, ok := scanListEntry(raw)
		if !ok {
			return
		}
		var e listEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			return // not JSON at all: readIndex's structure checks catch it first
		}
		if e.ServerURL != u || e.Username != n || e.State != "" {
			t.Fatalf("scan = %q %q, json = %+v", u, n, e)
		}
	})
}

// findIndexLine, the fast way to a get's entry, agrees with the full read
// of an index in the layout encode writes, misses included, and declines
// (leaving the file to the full read) whatever it cannot be sure of.
func TestFindIndexLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.json")
	x := &index{path: path, top: map[string]json.RawMessage{"zz-newer": json.RawMessage(`{"a":[1,2]}`)}, entries: map[string]*indexEntry{}}
	keys := []string{"ghcr.io", "ghcr.io:5000", "gh", "quay.io/team", "ünïcode.example", "last.example.com"}
	for _, k := range keys {
		x.put(&Entry{Key: k, ServerURL: "https://" + k, Username: "u-" + k})
	}
	if err := x.write(false); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	full, ok := parseIndexLines(path, data)
	if !ok {
		t.Fatal("encode's output is not in the line layout")
	}
	for _, k := range keys {
		raw, ok := findIndexLine(bytes.NewReader(data), k)
		if !ok || string(raw) != string(full.entries[k].raw) {
			t.Errorf("findIndexLine(%q) = %s, %v; want %s", k, raw, ok, full.entries[k].raw)
		}
	}
	for _, k := range []string{"ghcr", "missing.example.com", "io", "", `gh"`} {
		if raw, ok := findIndexLine(bytes.NewReader(data), k); !ok || raw != nil {
			t.Errorf("findIndexLine(%q) of a key not there = %s, %v; want nil, true", k, raw, ok)
		}
	}
	s := string(data)
	line := `    "gh": ` + string(full.entries["gh"].raw) + ",\n"
	for name, bad := range map[string]string{
		"key twice":            strings.Replace(s, line, line+line, 1),
		"truncated":            s[:len(s)-3],
		"no version":           strings.Replace(s, `"version": 1`, `"version": 0`, 1),
		"damaged header":       strings.Replace(s, `"zz-newer": {"a":[1,2]}`, `"zz-newer": {"a":[1,2}`, 1),
		"nested, not an entry": strings.Replace(s, line, `    "x": {`+"\n"+line+"    },\n", 1),
		"no comma":             strings.Replace(s, line, strings.Replace(line, "},\n", "}\n", 1), 1),
		"comma after the last": strings.Replace(s, "}\n  }\n}\n", "},\n  }\n}\n", 1),
		"more after the end":   s + "\n",
		"a line over 64 KiB":   strings.Replace(s, `"u-gh"`, `"u-gh`+strings.Repeat("x", 70<<10)+`"`, 1),
		// encoding/json reads these keys as others (an escape, a bad byte),
		// which might be the one asked for.
		"a key with an escape": strings.Replace(s, `    "gh": `, `    "g\u0068": `, 1),
		"a key not UTF-8":      strings.Replace(s, `    "gh": `, "    \"g\xffh\": ", 1),
	} {
		keys := []string{"gh"}
		if strings.HasPrefix(name, "a key") || name == "damaged header" {
			keys = append(keys, "missing.example.com") // a miss needs every key read right
		}
		for _, k := range keys {
			if raw, ok := findIndexLine(strings.NewReader(bad), k); ok {
				t.Errorf("%s: findIndexLine(%q) = %s, want it left to the full read", name, k, raw)
			}
		}
	}
	// A one-line index (another layout) is left to the full read too.
	if _, ok := findIndexLine(strings.NewReader(`{"version":1,"entries":{"gh":{}}}`), "gh"); ok {
		t.Error("a one-line index was read the fast way")
	}
}

// hasControl, byte by byte, agrees with reading runes: a control character
// anywhere, never a byte of a multi-byte sequence or a bad byte.
func TestHasControl(t *testing.T) {
	for _, s := range []string{"", "ghcr.io", "a\tb", "\x00", "x\x1f", " ", "\x7f", "é€😀", "\xff\xfe", "ü\n", "\xc3", "\xe2\x82"} {
		want := strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 })
		if got := hasControl([]byte(s)); got != want {
			t.Errorf("hasControl(%q) = %v, want %v", s, got, want)
		}
	}
}
