package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoSecretAnywhere runs every command and failure path with known
// secrets and searches all output, the state directory and the docker
// config for them. Only the protocol's get prints a secret, to docker.
func TestNoSecretAnywhere(t *testing.T) {
	dockerCfg := t.TempDir()
	h, _ := secretServiceHelper(t, "DOCKER_CONFIG="+dockerCfg)
	stateDir := ""
	for _, kv := range h.env {
		if v, ok := strings.CutPrefix(kv, "DOCKER_CREDENTIAL_PAT_STATE_DIR="); ok {
			stateDir = v
		}
	}
	tok, tok2, password := dockerHubPAT(t), dockerHubPAT(t), "Correct-Horse-Battery-9"
	plainTok := dockerHubPAT(t)
	cfg := `{"auths":{"https://index.docker.io/v1/":{"auth":"` + base64.StdEncoding.EncodeToString([]byte("carol:"+plainTok)) +
		`"},"registry.example.com":{"auth":"` + base64.StdEncoding.EncodeToString([]byte("dave:"+password)) + `"}},"psFormat":"table"}`
	if err := os.WriteFile(filepath.Join(dockerCfg, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	secrets := []string{tok, tok2, password}
	outputs := map[int]string{} // step -> stdout and stderr
	run := func(stdin string, args ...string) {
		out, errb, _ := h.run(stdin, args...)
		outputs[len(outputs)] = out + errb
	}
	run(`{"ServerURL":"docker.io","Username":"alice","Secret":"`+tok+`"}`, "store")
	run(`{"ServerURL":"ghcr.io","Username":"alice","Secret":"`+password+`"}`, "store")
	run(`{"ServerURL":"ghcr.io","Username":"alice","Secret":"`+password, "store")
	run(`{"ServerURL":"ghcr.io\n`+password+`","Username":"alice","Secret":"x"}`, "store")
	run("unused", "list")
	run(tok2+"\n", "add", "quay.io", "--username", "bob", "--token-stdin", "--scope", "repository:team/app:pull")
	run(password+"\n", "add", "quay.io", "--username", "bob", "--token-stdin")
	run("", "ls")
	run("", "ls", "--json")
	run("", "inspect", "docker.io")
	run("", "inspect", "quay.io", "--json")
	run("", "annotate", "quay.io", "--description", "ci", "--expires", "30d")
	run("", "prune", "--expired", "--dry-run")
	run("", "doctor")
	run("", "doctor", "--json")
	run("", "setup", "--migrate")
	run("", "ls")
	run("", "rm", "quay.io")
	run("docker.io", "erase")
	run(password, tok)
	// The steps did run: the leak checks are not vacuous.
	if !strings.Contains(outputs[4], `"docker.io":"alice"`) || !strings.Contains(outputs[8], `"serverURL": "quay.io"`) ||
		!strings.Contains(outputs[1], "refusing to store a password") {
		t.Fatalf("the commands did not do what they should:\nlist %q\nls --json %q\nstore of a password %q", outputs[4], outputs[8], outputs[1])
	}
	for step, o := range outputs {
		for _, s := range secrets {
			if strings.Contains(o, s) {
				t.Errorf("the output of step %d holds a secret", step)
			}
		}
	}
	// The token setup --migrate moved is in no file but the backup, which
	// setup names and asks to delete.
	secretsInFiles := append(secrets, plainTok)
	cfgNow, _ := os.ReadFile(filepath.Join(dockerCfg, "config.json"))
	if !strings.Contains(string(cfgNow), `"credsStore": "pat"`) {
		t.Errorf("setup did not set credsStore: %s", cfgNow)
	}
	for _, dir := range []string{stateDir, dockerCfg} {
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() {
				return err
			}
			b, _ := os.ReadFile(p)
			for _, s := range secretsInFiles {
				if s == plainTok && strings.HasPrefix(filepath.Base(p), "config.json.bak-") {
					continue
				}
				if strings.Contains(string(b), s) || strings.Contains(string(b), base64.StdEncoding.EncodeToString([]byte("carol:"+s))) ||
					strings.Contains(string(b), base64.StdEncoding.EncodeToString([]byte(s))) {
					// config.json keeps the password that migrate refused, as docker put it there.
					if s == password && strings.HasPrefix(filepath.Base(p), "config.json") {
						continue
					}
					t.Errorf("%s holds a secret", p)
				}
			}
			return nil
		})
	}
}
