package token

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretRedactsItself(t *testing.T) {
	const raw = "dckr_pat_leakleakleakleakleakleakleak"
	s := NewSecret(raw)
	type holder struct {
		Name   string
		Secret Secret
		Ptr    *Secret
	}
	h := holder{"x", s, &s}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%10s", "%d"} {
		out = append(out, fmt.Sprintf(verb, s), fmt.Sprintf(verb, h))
	}
	out = append(out, fmt.Sprint(s), fmt.Sprintln(s, &s), s.String(), s.GoString())
	j, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, string(j))
	var logs bytes.Buffer
	for _, hd := range []slog.Handler{slog.NewJSONHandler(&logs, nil), slog.NewTextHandler(&logs, nil)} {
		l := slog.New(hd)
		l.Info("storing", "secret", s, "holder", h, slog.Any("ptr", &s))
	}
	out = append(out, logs.String())
	for _, o := range out {
		if strings.Contains(o, "leak") || strings.Contains(o, fmt.Sprintf("%x", raw)[:12]) {
			t.Errorf("secret printed: %s", o)
		}
	}
	if !strings.Contains(string(j), redacted) || !strings.Contains(logs.String(), redacted) {
		t.Errorf("no %s marker in %s / %s", redacted, j, logs.String())
	}
	if s.Reveal() != raw || s.Len() != len(raw) || s.IsZero() || !NewSecret("").IsZero() {
		t.Error("Reveal, Len or IsZero is wrong")
	}
}
