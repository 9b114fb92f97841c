package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// probeHelper is the helper binary with a state directory whose policy
// accepts opaque tokens for host, as a registry's own tokens are.
func probeHelper(t *testing.T, host string) *helper {
	t.Helper()
	state := t.TempDir()
	policy := `{"opaqueTokenRegistries": [{"registry": "` + host + `"}]}`
	if err := os.WriteFile(filepath.Join(state, "policy.json"), []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHelper(t, "keyctl", "DOCKER_CREDENTIAL_PAT_STATE_DIR="+state)
	t.Cleanup(func() { h.run("", "rm", host) })
	return h
}

func (h *helper) mustRun(stdin string, args ...string) (string, string) {
	h.t.Helper()
	out, errb, ok := h.run(stdin, args...)
	if !ok {
		h.t.Fatalf("%s: failed\nstdout: %s\nstderr: %s", strings.Join(args, " "), out, errb)
	}
	return out, errb
}

func inspectScope(t *testing.T, h *helper, host string) []string {
	t.Helper()
	out, _ := h.mustRun("", "inspect", host, "--json")
	var e struct {
		Scope      []string `json:"scope"`
		LastUsedBy string   `json:"lastUsedBy"`
		UseCount   int      `json:"useCount"`
	}
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatalf("inspect --json printed %q", out)
	}
	if e.LastUsedBy != "docker-credential-pat probe" || e.UseCount < 1 {
		t.Errorf("after probe: lastUsedBy %q, useCount %d; want a use by docker-credential-pat probe", e.LastUsedBy, e.UseCount)
	}
	return e.Scope
}

// probe against a real registry in token-auth mode: the granted actions
// come from the real token flow, are printed, and replace the recorded
// scope for that repository only.
func TestProbeTokenRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("starts docker-registry; skipped with -short")
	}
	tok := randomToken(40)
	reg := startTokenRegistry(t, map[string]tokenUser{
		"alice": {Secret: tok, Grants: map[string][]string{
			"team/app":  {"pull", "push"},
			"team/base": {"pull"},
		}},
	})
	h := probeHelper(t, reg.Host)
	h.mustRun(tok+"\n", "add", reg.Host, "-u", "alice", "--token-stdin",
		"--scope", "repository:team/app:pull,push,delete", "--scope", "write:packages")

	out, errb := h.mustRun("", "probe", reg.Host, "--repository", "team/app")
	if !strings.Contains(out, "Granted:") || !strings.Contains(out, "pull, push") || strings.Contains(out, "delete") {
		t.Errorf("probe printed %q; want granted pull, push", out)
	}
	if !strings.Contains(errb, "recorded the scope repository:team/app:pull,push for "+reg.Host+" (alice)") {
		t.Errorf("probe stderr %q", errb)
	}
	for _, s := range []string{out, errb} {
		if strings.Contains(s, tok) {
			t.Fatal("probe printed the token")
		}
	}
	// The previous claim for team/app is replaced, the free-text scope kept.
	if got, want := inspectScope(t, h, reg.Host), []string{"write:packages", "repository:team/app:pull,push"}; !slices.Equal(got, want) {
		t.Errorf("scope after probe = %q, want %q", got, want)
	}

	// A second repository adds its own scope.
	out, _ = h.mustRun("", "probe", reg.Host, "--repository", "team/base", "--json")
	var res probeJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("probe --json printed %q", out)
	}
	if res.Scheme != "bearer" || !res.Authenticated || !slices.Equal(res.Granted, []string{"pull"}) ||
		res.Scope != "repository:team/base:pull" || !res.Recorded {
		t.Errorf("probe --json = %+v", res)
	}
	if got, want := inspectScope(t, h, reg.Host), []string{"write:packages", "repository:team/app:pull,push", "repository:team/base:pull"}; !slices.Equal(got, want) {
		t.Errorf("scope after the second probe = %q, want %q", got, want)
	}

	// What the real token endpoint was asked: the probe's scope, as alice.
	var asked bool
	for _, r := range reg.Requests() {
		if r.Account == "alice" && slices.Contains(r.Scopes, "repository:team/base:pull,push,delete") && r.UserAgent == "docker-credential-pat" {
			asked = true
		}
	}
	if !asked {
		t.Errorf("the token endpoint was not asked for team/base as alice: %+v", reg.Requests())
	}

	// A repository with no grant: nothing recorded for it, a hint given.
	_, errb = h.mustRun("", "probe", reg.Host, "--repository", "team/other")
	if !strings.Contains(errb, "granted nothing on team/other") {
		t.Errorf("probe of an ungranted repository: stderr %q", errb)
	}
	if got := inspectScope(t, h, reg.Host); slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "team/other") }) {
		t.Errorf("scope after an empty grant = %q", got)
	}
}

// A token the token endpoint rejects: probe fails with the fix, records
// no scope and never prints the token.
func TestProbeRejectedToken(t *testing.T) {
	if testing.Short() {
		t.Skip("starts docker-registry; skipped with -short")
	}
	reg := startTokenRegistry(t, map[string]tokenUser{"alice": {Secret: randomToken(40), Grants: map[string][]string{"team/app": {"pull"}}}})
	h := probeHelper(t, reg.Host)
	wrong := randomToken(40)
	h.mustRun(wrong+"\n", "add", reg.Host, "-u", "alice", "--token-stdin")
	out, errb, ok := h.run("", "probe", reg.Host, "--repository", "team/app")
	if ok {
		t.Fatalf("probe with a rejected token succeeded: %s", out)
	}
	if !strings.Contains(errb, "rejected the stored credentials") || !strings.Contains(errb, "hint: docker login "+reg.Host) {
		t.Errorf("stderr %q", errb)
	}
	if strings.Contains(out+errb, wrong) {
		t.Fatal("probe printed the token")
	}
	if got := inspectScope(t, h, reg.Host); len(got) != 0 {
		t.Errorf("scope after a rejected probe = %q", got)
	}
}

// A Basic-auth-only registry: reported as such, the scope unchanged.
func TestProbeBasicRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("starts docker-registry; skipped with -short")
	}
	tok := randomToken(40)
	reg := startHtpasswdRegistry(t, map[string]string{"ci": tok})
	h := probeHelper(t, reg.Host)
	h.mustRun(tok+"\n", "add", reg.Host, "-u", "ci", "--token-stdin", "--scope", "repository:team/app:pull")
	out, errb := h.mustRun("", "probe", reg.Host, "--repository", "team/app")
	if !strings.Contains(out, "basic only: the registry accepted the token") || !strings.Contains(errb, "scope unchanged") {
		t.Errorf("probe of a Basic registry: stdout %q stderr %q", out, errb)
	}
	if strings.Contains(out+errb, tok) {
		t.Fatal("probe printed the token")
	}
	if got := inspectScope(t, h, reg.Host); !slices.Equal(got, []string{"repository:team/app:pull"}) {
		t.Errorf("scope after a Basic probe = %q", got)
	}
}
