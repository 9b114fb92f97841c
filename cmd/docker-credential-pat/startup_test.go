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
	out := initTrace(t)
	line := regexp.MustCompile(`init (github.com/docker-credential-pat/\S+|main) @\S+ ms, \S+ ms clock, (\d+) bytes`)
	seen := 0
	for _, m := range line.FindAllStringSubmatch(out, -1) {
		seen++
		if n, _ := strconv.Atoi(m[2]); n > 64<<10 {
			t.Errorf("init of %s allocates %d bytes", m[1], n)
		}
	}
	if seen == 0 {
		t.Fatalf("no init trace of our packages in:\n%s", out)
	}
}

// The helper runs on one P (package oneproc), set before the inits of the
// packages that allocate most at start, which would otherwise leave memory
// behind on the second P; and its start-up work (package startup: docker's
// get connects to the Secret Service, code and the first stretch of heap
// are mapped in) is done before those inits would fault them in page by
// page, while the daemons answer.
func TestStartupTuningEarly(t *testing.T) {
	out := initTrace(t)
	order := map[string]int{}
	for i, m := range regexp.MustCompile(`(?m)^init (\S+) @`).FindAllStringSubmatch(out, -1) {
		order[m[1]] = i
	}
	for _, pkg := range []string{"oneproc", "startup"} {
		first, ok := order["github.com/docker-credential-pat/docker-credential-pat/cmd/internal/"+pkg]
		if !ok {
			t.Errorf("no init of %s in the helper's init trace:\n%s", pkg, out)
			continue
		}
		for _, later := range []string{"net/http", "crypto/tls", "github.com/godbus/dbus/v5",
			"github.com/docker-credential-pat/docker-credential-pat/keychain",
			"github.com/docker-credential-pat/docker-credential-pat/credstore"} {
			if i, ok := order[later]; ok && i < first {
				t.Errorf("%s is initialised before %s", later, pkg)
			}
		}
	}
}

// initTrace is the helper's package init trace (GODEBUG=inittrace=1) for
// `version`.
func initTrace(t *testing.T) string {
	t.Helper()
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
	return string(out)
}
