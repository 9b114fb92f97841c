package main

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// Every docker pull starts this program: no package of ours may do heavy
// work at start-up (a regexp with {1,1000} compiled at init once cost every
// get 20 ms and 1 MB). Bytes allocated by init are deterministic, unlike time.
func TestStartupAllocatesLittle(t *testing.T) {
	bin, err := exec.LookPath(name)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	line := regexp.MustCompile(`init (github.com/docker-credential-pat/\S+|main) @\S+ ms, \S+ ms clock, (\d+) bytes`)
	seen := 0
	for _, m := range line.FindAllStringSubmatch(string(out), -1) {
		seen++
		if n, _ := strconv.Atoi(m[2]); n > 64<<10 {
			t.Errorf("init of %s allocates %d bytes", m[1], n)
		}
	}
	if seen == 0 {
		t.Fatalf("no init trace of our packages in:\n%s", out)
	}
}
