package protocol

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/docker-credential-pat/docker-credential-pat/credstore"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
	"github.com/docker-credential-pat/docker-credential-pat/keychain/keychainmem"
)

const tok1 = "dckr_pat_AAAAAAAAAAAAAAAAAAAAAAAAAAA"

// fixture is a store on a fresh state directory and an in-memory keychain.
type fixture struct {
	kc *keychainmem.Memory
	s  *credstore.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{kc: keychainmem.NewMemory()}
	s, err := credstore.New(credstore.Options{
		StateDir: filepath.Join(t.TempDir(), "state"),
		Open:     func(string) (keychain.Backend, string, error) { return f.kc, "", nil },
		Now:      func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.s = s
	return f
}

func serve(t *testing.T, s *credstore.Store, action, in string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := Serve(s, action, strings.NewReader(in), &out)
	return out.String(), err
}

func TestServeWire(t *testing.T) {
	f := newFixture(t)
	if _, err := serve(t, f.s, "store", `{"ServerURL":"https://ghcr.io","Username":"alice","Secret":"`+tok1+`"}`+"\n"); err != nil {
		t.Fatal(err)
	}
	out, err := serve(t, f.s, "get", "ghcr.io")
	if err != nil || out != `{"ServerURL":"ghcr.io","Username":"alice","Secret":"`+tok1+`"}`+"\n" {
		t.Errorf("get = %q, %v", out, err)
	}
	out, err = serve(t, f.s, "list", "unused")
	if err != nil || out != `{"https://ghcr.io":"alice"}`+"\n" {
		t.Errorf("list = %q, %v", out, err)
	}
	if _, err := serve(t, f.s, "get", "quay.io"); err == nil || err.Error() != "credentials not found in native keychain" {
		t.Errorf("get of a missing entry: %v", err)
	}
	if _, err := serve(t, f.s, "get", ""); err == nil || err.Error() != "no credentials server URL" {
		t.Errorf("get without URL: %v", err)
	}
	if _, err := serve(t, f.s, "store", `{"ServerURL":"ghcr.io","Secret":"x"}`); err == nil || err.Error() != "no credentials username" {
		t.Errorf("store without username: %v", err)
	}
	if _, err := serve(t, f.s, "store", `{"Username":"a","Secret":"x"}`); err == nil || err.Error() != "no credentials server URL" {
		t.Errorf("store without URL: %v", err)
	}
	// An identity token round-trips with its username unchanged.
	if _, err := serve(t, f.s, "store", `{"ServerURL":"quay.io","Username":"<token>","Secret":"refresh-me"}`); err != nil {
		t.Fatal(err)
	}
	out, _ = serve(t, f.s, "get", "quay.io")
	var c credentials.Credentials
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.Username != "<token>" || c.Secret != "refresh-me" {
		t.Errorf("identity token get = %q", out)
	}
	if _, err := serve(t, f.s, "erase", "https://quay.io/"); err != nil {
		t.Fatal(err)
	}
}

func TestServeBigSecret(t *testing.T) {
	f := newFixture(t)
	big := strings.Repeat("abcdefghij", 64*1024/10+1)[:64*1024]
	in, _ := json.Marshal(credentials.Credentials{ServerURL: "big.example", Username: "<token>", Secret: big})
	if _, err := serve(t, f.s, "store", string(in)); err != nil {
		t.Fatalf("store of a 64 KiB secret: %v", err)
	}
	out, err := serve(t, f.s, "get", "big.example")
	var c credentials.Credentials
	if err != nil || json.Unmarshal([]byte(out), &c) != nil || c.Secret != big {
		t.Fatalf("64 KiB secret did not round-trip: %v", err)
	}
}

// Bad input gets one line, nothing stored, and never the input echoed.
func TestServeBadInput(t *testing.T) {
	const secret = "s3cr3t-Value-that-must-not-leak"
	cases := map[string]struct{ action, in string }{
		"malformed json":    {"store", `{"ServerURL":"ghcr.io","Username":"u","Secret":"` + secret},
		"not an object":     {"store", `"` + secret + `"`},
		"trailing data":     {"store", `{"ServerURL":"ghcr.io","Username":"u","Secret":"x"} ` + secret},
		"2 MiB":             {"store", `{"ServerURL":"ghcr.io","Username":"u","Secret":"` + strings.Repeat("a", 2<<20) + secret + `"}`},
		"newline in url":    {"store", `{"ServerURL":"ghcr.io\n` + secret + `","Username":"u","Secret":"x"}`},
		"NUL in url":        {"store", `{"ServerURL":"ghcr.io\u0000` + secret + `","Username":"u","Secret":"x"}`},
		"scheme":            {"store", `{"ServerURL":"ftp://` + secret + `","Username":"u","Secret":"x"}`},
		"NUL in username":   {"store", `{"ServerURL":"ghcr.io","Username":"u\u0000` + secret + `","Secret":"x"}`},
		"invalid utf-8":     {"store", "{\"ServerURL\":\"ghcr.io\",\"Username\":\"\xff" + secret + "\",\"Secret\":\"x\"}"},
		"get with newline":  {"get", "ghcr.io\n" + secret},
		"get with NUL":      {"get", "ghcr.io\x00" + secret},
		"erase bad scheme":  {"erase", "file:///" + secret},
		"get 2 MiB":         {"get", strings.Repeat("a", 2<<20)},
		"unknown action":    {secret, ""},
		"store missing all": {"store", `{}`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			out, err := serve(t, f.s, c.action, c.in)
			if err == nil {
				t.Fatalf("accepted: out %q", out)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || strings.Contains(msg, secret[:8]) || strings.Contains(out, secret[:8]) {
				t.Errorf("error is not one clean line or echoes input: %q (out %q)", msg, out)
			}
			if keys := f.kc.Keys(); len(keys) != 0 {
				t.Errorf("stored %v", keys)
			}
		})
	}
}

// FuzzServe feeds arbitrary input to every action: no panic, errors are
// one line that never echoes a long stretch of the input.
func FuzzServe(f *testing.F) {
	f.Add("store", `{"ServerURL":"ghcr.io","Username":"u","Secret":"dckr_pat_x"}`)
	f.Add("get", "ghcr.io")
	f.Add("erase", "https://index.docker.io/v1/")
	f.Add("list", "unused")
	f.Fuzz(func(t *testing.T, action, in string) {
		fx := newFixture(t)
		_, err := serve(t, fx.s, action, in)
		if err == nil {
			return
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") {
			t.Fatalf("multi-line error %q", msg)
		}
		// The input may not appear in the error, unless the error's own
		// fixed words hold it (an input of `{"ServerURL"`, say).
		fixed := ErrBadJSON.Error() + ErrUnknownAction.Error() + ErrBadUsername.Error() + ErrInputTooLarge.Error()
		if len(in) >= 12 && strings.Contains(msg, in) && !strings.Contains(fixed, in) {
			t.Fatalf("error %q echoes the input", msg)
		}
	})
}

func TestCheckUsername(t *testing.T) {
	for _, u := range []string{"alice", "robot$ci", "myorg+ci", "00000000-0000-0000-0000-000000000000", "<token>"} {
		if err := CheckUsername(u); err != nil {
			t.Errorf("CheckUsername(%q) = %v", u, err)
		}
	}
	for _, u := range []string{"", "a\nb", "a\x1b[31m", strings.Repeat("a", 1025)} {
		if err := CheckUsername(u); err == nil {
			t.Errorf("CheckUsername(%q) accepted", u)
		}
	}
}
