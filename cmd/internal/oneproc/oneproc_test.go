package oneproc

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// This test binary imports the package, so its init has run: one P, unless
// GOMAXPROCS was set, which is then left as it says.
func TestOneProcUnlessSet(t *testing.T) {
	want := 1
	if v, set := os.LookupEnv("GOMAXPROCS"); set {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Skipf("GOMAXPROCS=%q is not a number the runtime takes", v)
		}
		want = n
	}
	if got := runtime.GOMAXPROCS(0); got != want {
		t.Errorf("GOMAXPROCS = %d, want %d", got, want)
	}
}

// A GOMAXPROCS in the environment is the user's: kept, in a process of its
// own started with it.
func TestGOMAXPROCSFromTheEnvironmentKept(t *testing.T) {
	if os.Getenv("ONEPROC_REPORT") == "1" {
		os.Stdout.WriteString("procs=" + strconv.Itoa(runtime.GOMAXPROCS(0)) + "\n")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestGOMAXPROCSFromTheEnvironmentKept$", "-test.count=1")
	cmd.Env = append(os.Environ(), "ONEPROC_REPORT=1", "GOMAXPROCS=3")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(string(out), "procs=3\n") {
		t.Errorf("with GOMAXPROCS=3 the process runs with: %s", out)
	}
}
