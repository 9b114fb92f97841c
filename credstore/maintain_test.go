package credstore

import (
	"slices"
	"testing"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
)

func TestKeysInText(t *testing.T) {
	text := []byte(`{"version":1,"entries":{"ghcr.io":{"serverURL":"https://ghcr.io","username":"a","scope":["repository:x/y:pull"],"createdAt":"2026-01-01T00:00:00Z","fingerprint":"sha256:0123456789ab"},"localhost:5000":{"kind":"personal access token","provider":"github","state":"storing"}, "https://index.docker.io/v1/": {`)
	got := keysInText(text)
	want := []string{"ghcr.io", "localhost:5000", registryurl.HubKey}
	if !slices.Equal(got, want) {
		t.Errorf("keysInText = %q, want %q", got, want)
	}
}

func TestReplaceRepositoryScope(t *testing.T) {
	got := replaceRepositoryScope([]string{"repository:team/app:pull,push,delete", "write:packages", "repository:team/base:pull"}, "team/app", "repository:team/app:pull")
	want := []string{"write:packages", "repository:team/base:pull", "repository:team/app:pull"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := replaceRepositoryScope([]string{"repository:team/app:pull"}, "team/app", ""); len(got) != 0 || got == nil {
		t.Errorf("nothing granted: got %#v, want an empty list", got)
	}
}
