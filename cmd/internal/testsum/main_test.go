package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// goTestJSON runs the real `go test -json` on a throwaway module with the
// given files and returns what it printed.
func goTestJSON(t *testing.T, files map[string]string) []byte {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module example.test/sum\n\ngo 1.21\n"
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-json", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if len(out) == 0 {
		t.Fatalf("go test -json printed nothing: %v\n%s", err, stderr.Bytes())
	}
	return out
}

const mixedTests = `package a

import "testing"

func TestPasses(t *testing.T) { t.Log("quiet when passing") }

func TestFails(t *testing.T) {
	t.Log("said before failing")
	t.Error("the first failure")
	t.Error("the second failure")
}

func TestClients(t *testing.T) {
	t.Run("crane", func(t *testing.T) {})
	t.Run("skopeo", func(t *testing.T) {
		t.Skip("skipped end-to-end tests: skopeo not installed; run: sudo apt-get install -y skopeo")
	})
	t.Run("skopeo-again", func(t *testing.T) {
		t.Log("some context first")
		t.Skip("skipped end-to-end tests: skopeo not installed; run: sudo apt-get install -y skopeo")
	})
}

func TestKeyctl(t *testing.T) {
	t.Skip("skipped kernel keyring tests: keyctl not installed; run: sudo apt-get install -y keyutils skopeo")
}

func TestAsRoot(t *testing.T) {
	t.Skip("skipped tests as user nobody: not root, so cannot switch users; run: sudo make test")
}

func TestRaw(t *testing.T) { t.Skip("runs dozens of processes") }
`

func TestSummary(t *testing.T) {
	in := goTestJSON(t, map[string]string{
		"a/a_test.go": mixedTests,
		"b/b_test.go": "package b\n\nimport \"testing\"\n\nfunc TestBroken(t *testing.T) { undefined() }\n",
		"c/c.go":      "package c\n",
	})
	var out bytes.Buffer
	ok, err := summarise(bytes.NewReader(in), &out, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Errorf("summarise ok with a failed test and a build failure")
	}
	got := out.String()
	for _, want := range []string{
		"a_test.go:8: said before failing\n",
		"a_test.go:9: the first failure\n",
		"a_test.go:10: the second failure\n",
		"--- FAIL: TestFails",
		"undefined: undefined", // the build failure, in full
		"FAIL\texample.test/sum/a",
		"FAIL\texample.test/sum/b [build failed]",
		"?   \texample.test/sum/c\t[no test files]",
		"\n2 passed, 1 failed, 5 skipped\n" +
			"skipped 2 end-to-end tests: skopeo not installed; run: sudo apt-get install -y skopeo\n" +
			"skipped 1 kernel keyring test: keyctl not installed; run: sudo apt-get install -y keyutils skopeo\n" +
			"skipped 1 other test: runs dozens of processes\n" +
			"skipped 1 test as user nobody: not root, so cannot switch users; run: sudo make test\n" +
			"to install what the skipped tests need: sudo apt-get install -y skopeo keyutils\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if !strings.HasSuffix(got, "to install what the skipped tests need: sudo apt-get install -y skopeo keyutils\n") {
		t.Errorf("the summary is not at the end:\n%s", got)
	}
	for _, unwanted := range []string{"quiet when passing", "some context first", "=== RUN   TestPasses"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("output has %q from a test that did not fail:\n%s", unwanted, got)
		}
	}
}

func TestSummarySkipsFailInCI(t *testing.T) {
	in := goTestJSON(t, map[string]string{"a/a_test.go": `package a

import "testing"

func TestPasses(t *testing.T) {}

func TestSkips(t *testing.T) {
	t.Skip("skipped end-to-end tests: crane not installed; run: make deps")
}

func TestKnownBug(t *testing.T) {
	t.Skip("KeePassXC 2.7.4 never completes a replace: issue 10 item 1")
}
`})
	var out bytes.Buffer
	if ok, err := summarise(bytes.NewReader(in), &out, false, nil); err != nil || !ok {
		t.Errorf("outside CI, a skip: ok=%v err=%v, want ok\n%s", ok, err, out.Bytes())
	}
	want := "ok  \texample.test/sum/a\t"
	if !strings.HasPrefix(out.String(), want) {
		t.Errorf("output does not start with the package line %q:\n%s", want, out.Bytes())
	}
	if !strings.HasSuffix(out.String(), "\n1 passed, 0 failed, 2 skipped\n"+
		"skipped 1 end-to-end test: crane not installed; run: make deps\n"+
		"skipped 1 other test: KeePassXC 2.7.4 never completes a replace: issue 10 item 1\n") {
		t.Errorf("summary:\n%s", out.Bytes())
	}
	out.Reset()
	if ok, _ := summarise(bytes.NewReader(in), &out, true, nil); ok || !strings.Contains(out.String(), "CI=true: 2 tests skipped, and nothing may be skipped") {
		t.Errorf("CI=true with a skip: ok=%v, want a failure that says so:\n%s", ok, out.Bytes())
	}
}

func TestSummaryNoResults(t *testing.T) {
	var out bytes.Buffer
	ok, err := summarise(strings.NewReader("go: cannot find main module\n"), &out, false, nil)
	if err != nil || ok {
		t.Errorf("no events: ok=%v err=%v, want a failure", ok, err)
	}
	if !strings.HasPrefix(out.String(), "go: cannot find main module\n") || !strings.Contains(out.String(), "no test results") {
		t.Errorf("output:\n%s", out.Bytes())
	}
}

// A testscript script that skips: its log is one long entry, and the
// reason is the script's skip command (events as go test -json wrote them
// for one of this repository's scripts).
func TestSummaryScriptSkip(t *testing.T) {
	const pkg = `"Package":"example.test/sum/cli"`
	var in strings.Builder
	for _, e := range []string{
		`{"Action":"run",` + pkg + `,"Test":"TestScript/x/add_stdin"}`,
		`{"Action":"output",` + pkg + `,"Test":"TestScript/x/add_stdin","Output":"        testscript.go:584: WORK=$WORK\n"}`,
		`{"Action":"output",` + pkg + `,"Test":"TestScript/x/add_stdin","Output":"        > [keychain:x] skip 'X 2.7.4 never completes a replace: issue 10 item 1'\n"}`,
		`{"Action":"output",` + pkg + `,"Test":"TestScript/x/add_stdin","Output":"--- SKIP: TestScript/x/add_stdin (5.62s)\n"}`,
		`{"Action":"skip",` + pkg + `,"Test":"TestScript/x/add_stdin","Elapsed":5.62}`,
		`{"Action":"pass",` + pkg + `,"Test":"TestScript/x","Elapsed":5.62}`,
		`{"Action":"pass",` + pkg + `,"Test":"TestScript","Elapsed":5.62}`,
		`{"Action":"output",` + pkg + `,"Output":"ok  \texample.test/sum/cli\t5.7s\n"}`,
		`{"Action":"pass",` + pkg + `,"Elapsed":5.7}`,
	} {
		in.WriteString(e + "\n")
	}
	var out bytes.Buffer
	ok, err := summarise(strings.NewReader(in.String()), &out, false, nil)
	if err != nil || !ok {
		t.Errorf("a script's skip outside CI: ok=%v err=%v, want ok", ok, err)
	}
	want := "ok  \texample.test/sum/cli\t5.7s\n\n0 passed, 0 failed, 1 skipped\n" +
		"skipped 1 other test: X 2.7.4 never completes a replace: issue 10 item 1\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.Bytes(), want)
	}
}

// Packages make deps could not install join those the skips name, once
// each, in the last line.
func TestSummaryMissingDebs(t *testing.T) {
	const pkg = `"Package":"example.test/sum/e2e"`
	in := strings.Join([]string{
		`{"Action":"output",` + pkg + `,"Test":"TestE2E","Output":"    e2e_test.go:9: skipped registry tests: docker-registry not installed; run: sudo apt-get install -y docker-registry\n"}`,
		`{"Action":"skip",` + pkg + `,"Test":"TestE2E"}`,
		`{"Action":"pass",` + pkg + `}`,
	}, "\n")
	var out bytes.Buffer
	ok, err := summarise(strings.NewReader(in), &out, false, []string{"skopeo", "docker-registry", "wine64"})
	if err != nil || !ok {
		t.Errorf("ok=%v err=%v, want ok", ok, err)
	}
	if want := "\nto install all the tests use: sudo apt-get install -y docker-registry skopeo wine64\n"; !strings.HasSuffix(out.String(), want) {
		t.Errorf("output:\n%s\nwant it to end with:%s", out.Bytes(), want)
	}
}

// A test binary that dies on a goroutine of its own (here a panic) leaves
// its running test without a result: the panic must reach the log.
func TestSummaryBinaryDied(t *testing.T) {
	in := goTestJSON(t, map[string]string{
		"d/d_test.go": `package d

import (
	"testing"
	"time"
)

func TestFirst(t *testing.T) {}

func TestDies(t *testing.T) {
	t.Log("about to die")
	go func() { panic("a goroutine of the test's own gave up") }()
	time.Sleep(10 * time.Second)
}
`,
	})
	var out bytes.Buffer
	ok, err := summarise(bytes.NewReader(in), &out, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Error("summarise ok with a test binary that panicked")
	}
	got := out.String()
	for _, want := range []string{"--- TestDies did not finish", "panic: a goroutine of the test's own gave up", "FAIL\texample.test/sum/d",
		"1 passed, 1 failed, 0 skipped"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}
