package token

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseScope(t *testing.T) {
	good := map[string]Scope{
		"repository:myteam/myapi:pull":            {Type: "repository", Name: "myteam/myapi", Actions: []string{"pull"}},
		"repository:myteam/myapi:push,pull,pull":  {Type: "repository", Name: "myteam/myapi", Actions: []string{"pull", "push"}},
		"Repository:a/b:DELETE,push":              {Type: "repository", Name: "a/b", Actions: []string{"push", "delete"}},
		"repository:localhost:5000/app:pull,push": {Type: "repository", Name: "localhost:5000/app", Actions: []string{"pull", "push"}},
		"registry:catalog:*":                      {Type: "registry", Name: "catalog", Actions: []string{"*"}},
		"read-only":                               {Text: "read-only"},
		"ci: nightly builds":                      {Text: "ci: nightly builds"},
		"  public repos  ":                        {Text: "public repos"},
	}
	want := map[string]string{
		"repository:myteam/myapi:push,pull,pull": "repository:myteam/myapi:pull,push",
		"Repository:a/b:DELETE,push":             "repository:a/b:push,delete",
		"  public repos  ":                       "public repos",
	}
	for in, w := range good {
		got, err := ParseScope(in)
		if err != nil || !reflect.DeepEqual(got, w) {
			t.Errorf("ParseScope(%q) = %#v, %v; want %#v", in, got, err, w)
			continue
		}
		s, ok := want[in]
		if !ok {
			s = in
		}
		if got.String() != s {
			t.Errorf("ParseScope(%q).String() = %q, want %q", in, got.String(), s)
		}
		if again, err := ParseScope(got.String()); err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("ParseScope(%q) does not round-trip: %#v, %v", got.String(), again, err)
		}
	}
	for _, in := range []string{"", "  ", "repository:myapi", "repository::pull", "repository:a b:pull", "repository:a/b:", "repository:a/b:pull,,push", "line\nbreak", strings.Repeat("x", 2000)} {
		if got, err := ParseScope(in); err == nil {
			t.Errorf("ParseScope(%q) = %#v, want an error", in, got)
		}
	}
}

// A token pasted as a scope or in a description is refused, never kept as
// text that ls and inspect print.
func TestTextHoldingATokenIsRefused(t *testing.T) {
	r := newRand(t)
	for _, tok := range []string{
		"dckr_pat_" + randFrom(r, urlSafe, 27), genGitHub(r, "ghp_", 36), "glpat-" + randFrom(r, urlSafe, 20),
		genJWT(r, map[string]any{"exp": 1}),
	} {
		for _, text := range []string{tok, "  " + tok + " ", "ci token " + tok} {
			if _, err := ParseScope(text); err != ErrHoldsToken {
				t.Errorf("ParseScope(a text with a %s… token) = %v, want ErrHoldsToken", tok[:4], err)
			}
			if !HoldsToken(text) {
				t.Errorf("HoldsToken misses a %s… token", tok[:4])
			}
		}
	}
	for _, text := range []string{"read-only", "laptop pulls", "ci: nightly builds", "dckr_pat_ tokens rotate monthly"} {
		if HoldsToken(text) {
			t.Errorf("HoldsToken(%q) = true", text)
		}
	}
}
