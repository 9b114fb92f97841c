package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// root is the repository, from this package's directory.
var root = filepath.Join("..", "..", "..")

// shCommands returns the commands in the ```sh blocks of markdown, each
// without its trailing comment, in order.
func shCommands(markdown string) [][]string {
	var blocks [][]string
	var cur []string
	in := false
	for line := range strings.SplitSeq(markdown, "\n") {
		switch {
		case !in && strings.TrimSpace(line) == "```sh":
			in, cur = true, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			blocks = append(blocks, cur)
		case in:
			cmd, _, _ := strings.Cut(line, " #")
			if cmd = strings.TrimSpace(cmd); cmd != "" && !strings.HasPrefix(cmd, "#") {
				cur = append(cur, cmd)
			}
		}
	}
	return blocks
}

// CI (.ci/run) runs the README's two commands and nothing a reader of the
// README would not also run, and the README shows those two first.
func TestCIRunsWhatTheREADMESays(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	run, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := shCommands(string(readme))
	if len(blocks) == 0 || !slices.Equal(blocks[0], []string{"make install", "make test"}) {
		t.Fatalf("the README's first commands are not `make install` and `make test`: %q", blocks)
	}
	documented := slices.Concat(blocks...)
	var ran []string
	for line := range strings.SplitSeq(string(run), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "set ") ||
			strings.HasPrefix(line, "cd ") || strings.HasPrefix(line, "export ") {
			continue
		}
		ran = append(ran, line)
		if !slices.Contains(documented, line) {
			t.Errorf(".ci/run runs %q, which no sh block of the README shows", line)
		}
	}
	for _, want := range blocks[0] {
		if !slices.Contains(ran, want) {
			t.Errorf(".ci/run does not run the README's %q (it runs %q)", want, ran)
		}
	}
}
