package credstore

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/credstoretest"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
)

func TestAnnotateEditsMetadataOnly(t *testing.T) {
	f := newFixture(t)
	f.add("https://ghcr.io", "alice", tok1)
	before := f.entry("ghcr.io")
	f.clock.add(time.Hour)
	exp := f.clock.now().Add(30 * 24 * time.Hour)
	got, err := f.s.Annotate("ghcr.io", func(e *Entry) error {
		e.Scope = []string{"repository:myteam/myapi:pull"}
		e.Description = "CI pulls"
		e.ExpiresAt = &exp
		e.Username, e.Fingerprint, e.Key, e.Backend = "mallory", "sha256:000000000000", "evil", "other"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	after := f.entry("ghcr.io")
	if !reflect.DeepEqual(got, after) {
		t.Errorf("Annotate returned %+v, index holds %+v", got, after)
	}
	if after.Username != "alice" || after.Fingerprint != before.Fingerprint || after.Key != "ghcr.io" || after.Backend != "memory" {
		t.Errorf("identity changed: %+v", after)
	}
	if after.Description != "CI pulls" || len(after.Scope) != 1 || after.Scope[0] != "repository:myteam/myapi:pull" {
		t.Errorf("metadata not written: %+v", after)
	}
	if after.ExpiresAt == nil || !after.ExpiresAt.Equal(exp) || after.ExpiresAt.Location() != time.UTC {
		t.Errorf("expiresAt = %v, want %v in UTC", after.ExpiresAt, exp)
	}
	if !after.CreatedAt.Equal(before.CreatedAt) || !after.UpdatedAt.Equal(f.clock.now()) {
		t.Errorf("createdAt %v updatedAt %v", after.CreatedAt, after.UpdatedAt)
	}
	if u, s, err := f.s.Get("ghcr.io"); err != nil || u != "alice" || s != tok1 {
		t.Errorf("get after annotate = %q, %v", u, err)
	}

	// Clearing: never, no scope.
	if _, err := f.s.Annotate("ghcr.io", func(e *Entry) error { e.ExpiresAt, e.Scope = nil, nil; return nil }); err != nil {
		t.Fatal(err)
	}
	if e := f.entry("ghcr.io"); e.ExpiresAt != nil || e.Scope == nil || len(e.Scope) != 0 {
		t.Errorf("after clearing: expiresAt %v scope %#v", e.ExpiresAt, e.Scope)
	}
}

func TestAnnotateRefuses(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	if _, err := f.s.Annotate("quay.io", func(*Entry) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown registry: %v, want ErrNotFound", err)
	}
	if _, err := os.Stat(f.s.IndexPath()); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if _, err := f.s.Annotate("ghcr.io", func(e *Entry) error { e.Description = "x"; return boom }); !errors.Is(err, boom) {
		t.Errorf("edit error: %v", err)
	}
	if e := f.entry("ghcr.io"); e.Description != "" {
		t.Errorf("a failed edit was written: %q", e.Description)
	}
	if _, err := f.s.Annotate("not a url", func(*Entry) error { return nil }); err == nil {
		t.Error("a malformed registry was accepted")
	}
}

func TestRemoveReturnsTheEntry(t *testing.T) {
	f := newFixture(t)
	f.add("https://index.docker.io/v1/", "alice", tok1)
	f.add("ghcr.io", "bob", tok2)
	e, err := f.s.Remove("docker.io")
	if err != nil {
		t.Fatal(err)
	}
	if e.Username != "alice" || e.Key != registryurl.HubKey || e.State != "" || e.Registry() != "docker.io" {
		t.Errorf("removed %+v", e)
	}
	if got := f.keys(); len(got) != 1 || got[0] != "ghcr.io" {
		t.Errorf("keychain keys = %v", got)
	}
	if _, err := f.s.Remove("docker.io"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second remove = %v, want ErrNotFound", err)
	}
	if m := f.list(); len(m) != 1 || m["ghcr.io"] != "bob" {
		t.Errorf("list = %v", m)
	}
}

func TestRemoveKeychainItemWithoutEntry(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "bob", tok2)
	if err := os.Remove(f.s.IndexPath()); err != nil {
		t.Fatal(err)
	}
	e, err := f.s.Remove("https://ghcr.io/")
	if err != nil {
		t.Fatal(err)
	}
	if e.Key != "ghcr.io" || e.Backend != "memory" {
		t.Errorf("removed %+v", e)
	}
	if len(f.keys()) != 0 {
		t.Errorf("keychain still holds %v", f.keys())
	}
}

func TestRemoveKeychainFailureKeepsEntry(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "bob", tok2)
	f.kc.FailNext("delete", keychain.ErrLocked)
	if _, err := f.s.Remove("ghcr.io"); !errors.Is(err, keychain.ErrLocked) {
		t.Fatalf("remove with a locked keychain = %v", err)
	}
	if e := f.entry("ghcr.io"); e.State != "" {
		t.Errorf("entry left in state %q", e.State)
	}
}

func TestFilterMatch(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	day := 24 * time.Hour
	e := func(created time.Duration, used, expires *time.Time) *Entry {
		return &Entry{CreatedAt: now.Add(created), LastUsedAt: used, ExpiresAt: expires}
	}
	cases := []struct {
		name string
		f    Filter
		e    *Entry
		want bool
	}{
		{"zero matches all", Filter{}, e(0, nil, nil), true},
		{"expired", Filter{Expired: true}, e(-10*day, nil, at(-time.Second)), true},
		{"expires exactly now", Filter{Expired: true}, e(-10*day, nil, at(0)), true},
		{"not yet expired", Filter{Expired: true}, e(-10*day, nil, at(time.Second)), false},
		{"no expiry", Filter{Expired: true}, e(-10*day, nil, nil), false},
		{"expiring within", Filter{ExpiringWithin: 7 * day}, e(0, nil, at(7*day)), true},
		{"expiring later", Filter{ExpiringWithin: 7 * day}, e(0, nil, at(7*day+time.Second)), false},
		{"expired is not expiring", Filter{ExpiringWithin: 7 * day}, e(0, nil, at(-day)), false},
		{"never used, old", Filter{UnusedFor: 90 * day}, e(-90*day, nil, nil), true},
		{"never used, new", Filter{UnusedFor: 90 * day}, e(-89*day, nil, nil), false},
		{"used long ago", Filter{UnusedFor: 90 * day}, e(-400*day, at(-91*day), nil), true},
		{"used lately", Filter{UnusedFor: 90 * day}, e(-400*day, at(-day), nil), false},
		{"any condition", Filter{Expired: true, UnusedFor: 90 * day}, e(-400*day, at(-day), at(-day)), true},
		{"no condition holds", Filter{Expired: true, UnusedFor: 90 * day}, e(-400*day, at(-day), at(day)), false},
	}
	for _, c := range cases {
		if got := c.f.Match(c.e, now); got != c.want {
			t.Errorf("%s: Match = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPrune(t *testing.T) {
	f := newFixture(t)
	day := 24 * time.Hour
	f.add("old.example.com", "a", credstoretest.DockerHubPAT())
	f.add("expired.example.com", "b", credstoretest.DockerHubPAT())
	f.clock.add(100 * day)
	f.add("fresh.example.com", "c", credstoretest.DockerHubPAT())
	f.add("used.example.com", "d", credstoretest.DockerHubPAT())
	past := f.clock.now().Add(-time.Hour)
	if _, err := f.s.Annotate("expired.example.com", func(e *Entry) error { e.ExpiresAt = &past; return nil }); err != nil {
		t.Fatal(err)
	}
	f.clock.add(10 * day)
	if _, _, err := f.s.Get("used.example.com"); err != nil {
		t.Fatal(err)
	}

	if _, err := f.s.Prune(Filter{}, false); !errors.Is(err, ErrNoFilter) {
		t.Errorf("empty filter: %v, want ErrNoFilter", err)
	}
	keys := func(es []*Entry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Key)
		}
		return out
	}

	got, err := f.s.Prune(Filter{Expired: true, UnusedFor: 90 * day}, true)
	if want := []string{"expired.example.com", "old.example.com"}; err != nil || !reflect.DeepEqual(keys(got), want) {
		t.Errorf("dry run = %v, %v; want %v", keys(got), err, want)
	}
	if len(f.list()) != 4 || len(f.keys()) != 4 {
		t.Fatalf("dry run removed something: %v", f.list())
	}

	got, err = f.s.Prune(Filter{Expired: true}, false)
	if want := []string{"expired.example.com"}; err != nil || !reflect.DeepEqual(keys(got), want) {
		t.Errorf("prune expired = %v, %v; want %v", keys(got), err, want)
	}
	got, err = f.s.Prune(Filter{UnusedFor: 5 * day}, false)
	if want := []string{"fresh.example.com", "old.example.com"}; err != nil || !reflect.DeepEqual(keys(got), want) {
		t.Errorf("prune unused = %v, %v; want %v", keys(got), err, want)
	}
	if m := f.list(); len(m) != 1 || m["used.example.com"] != "d" {
		t.Errorf("left = %v", m)
	}
	if k := f.keys(); len(k) != 1 || k[0] != "used.example.com" {
		t.Errorf("keychain left = %v", k)
	}
	got, err = f.s.Prune(Filter{Expired: true}, false)
	if err != nil || len(got) != 0 {
		t.Errorf("nothing to prune = %v, %v", keys(got), err)
	}
}

func TestPruneGoesOnAfterAFailure(t *testing.T) {
	f := newFixture(t)
	f.add("a.example.com", "a", credstoretest.DockerHubPAT())
	f.add("b.example.com", "b", credstoretest.DockerHubPAT())
	f.clock.add(48 * time.Hour)
	f.kc.FailNext("delete", keychain.ErrLocked)
	got, err := f.s.Prune(Filter{UnusedFor: 24 * time.Hour}, false)
	if !errors.Is(err, keychain.ErrLocked) || len(got) != 1 || got[0].Key != "b.example.com" {
		t.Fatalf("prune = %d entries, %v", len(got), err)
	}
	if !strings.Contains(err.Error(), "a.example.com") {
		t.Errorf("error does not name the registry: %v", err)
	}
	if m := f.list(); len(m) != 1 || m["a.example.com"] != "a" {
		t.Errorf("left = %v", m)
	}
}

func TestRevoke(t *testing.T) {
	cases := []struct {
		e       Entry
		url     string
		hintHas string
	}{
		{Entry{ServerURL: "https://index.docker.io/v1/", Provider: token.ProviderUnknown}, "https://app.docker.com/settings/personal-access-tokens", "revoke it at https://app.docker.com"},
		{Entry{ServerURL: "ghcr.io"}, "https://github.com/settings/tokens", ""},
		{Entry{ServerURL: "registry.gitlab.com"}, "https://gitlab.com/-/user_settings/personal_access_tokens", ""},
		{Entry{ServerURL: "registry.example.com", Provider: token.ProviderGitLab}, "https://example.com/-/user_settings/personal_access_tokens", ""},
		{Entry{ServerURL: "gitlab.example.com:5050", Provider: token.ProviderGitLab}, "https://gitlab.example.com:5050/-/user_settings/personal_access_tokens", ""},
		{Entry{ServerURL: "quay.io", Username: "myorg+ci"}, "https://quay.io/organization/myorg?tab=robots", "myorg+ci"},
		{Entry{ServerURL: "harbor.example.com", Provider: token.ProviderHarbor}, "https://harbor.example.com/harbor/projects", "Robot Accounts"},
		{Entry{ServerURL: "123456789012.dkr.ecr.eu-west-1.amazonaws.com"}, "", "nothing to revoke"},
		{Entry{ServerURL: "myreg.azurecr.io"}, "https://portal.azure.com/#browse/Microsoft.ContainerRegistry%2Fregistries", ""},
		{Entry{ServerURL: "europe-west1-docker.pkg.dev"}, "https://console.cloud.google.com/iam-admin/serviceaccounts", ""},
		{Entry{ServerURL: "acme.jfrog.io"}, "https://acme.jfrog.io/ui/user_profile", ""},
		{Entry{ServerURL: "registry.digitalocean.com"}, "https://cloud.digitalocean.com/account/api/tokens", ""},
		{Entry{ServerURL: "registry.example.com:5000", Provider: token.ProviderUnknown}, "", "revoke it in registry.example.com:5000's settings"},
		{Entry{Key: "ghcr.io"}, "https://github.com/settings/tokens", ""},
		{Entry{ServerURL: registryurl.HubAccessTokenKey, Provider: token.ProviderDocker}, "", "docker logout"},
		{Entry{ServerURL: "registry.fly.io", Provider: token.ProviderUnknown}, "", "fly tokens revoke"},
		{Entry{ServerURL: "ghcr.io", Provider: token.ProviderDockerHub}, "https://app.docker.com/settings/personal-access-tokens", ""}, // the token says, not the host
		// A self-hosted provider's page on a host another provider runs would be made up.
		{Entry{ServerURL: "https://index.docker.io/v1/", Provider: token.ProviderHarbor, Username: "robot$ci"}, "", "revoke it in docker.io's settings"},
		{Entry{ServerURL: "ghcr.io", Provider: token.ProviderGitLab}, "", "revoke it in ghcr.io's settings"},
		{Entry{ServerURL: "quay.io", Provider: token.ProviderJFrog}, "", ""},
	}
	for _, c := range cases {
		if got := RevokeURL(&c.e); got != c.url {
			t.Errorf("RevokeURL(%s, %s) = %q, want %q", c.e.ServerURL, c.e.Provider, got, c.url)
		}
		h := RevokeHint(&c.e)
		if !strings.Contains(h, c.hintHas) || (c.url != "" && !strings.Contains(h, c.url)) {
			t.Errorf("RevokeHint(%s) = %q", c.e.ServerURL, h)
		}
	}
}

// A second process sees an annotation at once, and a put of the same token
// keeps it.
func TestAnnotationSurvivesSameTokenLogin(t *testing.T) {
	f := newFixture(t)
	f.add("ghcr.io", "alice", tok1)
	if _, err := f.s.Annotate("ghcr.io", func(e *Entry) error { e.Description = "laptop"; return nil }); err != nil {
		t.Fatal(err)
	}
	other := f.store(Caller{PID: 1, Name: "docker"})
	if err := other.Add(&credentials.Credentials{ServerURL: "https://ghcr.io", Username: "alice", Secret: tok1}); err != nil {
		t.Fatal(err)
	}
	if e := f.entry("ghcr.io"); e.Description != "laptop" {
		t.Errorf("description after a re-login with the same token = %q", e.Description)
	}
}

func TestCheckDescription(t *testing.T) {
	for _, d := range []string{"", "CI pulls for myteam/myapi", "ünïcode ✓"} {
		if err := CheckDescription(d); err != nil {
			t.Errorf("CheckDescription(%q) = %v", d, err)
		}
	}
	for _, d := range []string{"two\nlines", "\x1b]0;title\x07", "bad \xff utf-8", strings.Repeat("d", 1025)} {
		if err := CheckDescription(d); err == nil {
			t.Errorf("CheckDescription(%q) accepted", d)
		}
	}
}
