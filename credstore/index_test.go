package credstore

import (
	"encoding/json"
	"os"
	"path/filepath"
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
