package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/doctor"
)

// Every command has help with examples, and its flag descriptions start
// in one column.
func TestHelpOfEveryCommand(t *testing.T) {
	if len(commands) < 9 {
		t.Fatalf("only %d commands registered", len(commands))
	}
	for name := range commands {
		for _, args := range [][]string{{name, "--help"}, {"help", name}} {
			var out, errb bytes.Buffer
			if code := run(args, strings.NewReader(""), &out, &errb); code != 0 {
				t.Errorf("%v: exit %d: %s", args, code, errb.String())
				continue
			}
			help := out.String()
			if !strings.Contains(help, "Usage: docker-credential-pat "+name) || !strings.Contains(help, "Examples:") {
				t.Errorf("%v: no usage line or examples:\n%s", args, help)
			}
			col := -1
			for _, l := range strings.Split(help, "\n") {
				m := flagSpec().FindStringSubmatchIndex(l)
				if m == nil {
					continue
				}
				if col == -1 {
					col = m[4]
				} else if m[4] != col {
					t.Errorf("%v: flag description at column %d, others at %d: %q", args, m[4], col, l)
				}
			}
		}
	}
	var out bytes.Buffer
	run([]string{"--help"}, strings.NewReader(""), &out, &out)
	for name := range commands {
		if !strings.Contains(out.String(), "\n  "+name+" ") {
			t.Errorf("--help does not list %s", name)
		}
	}
}

// Every doctor check is documented, under its name, in doctor --help and
// in the README, in the order the doctor runs them.
func TestDoctorChecksDocumented(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	helpAt, readmeAt := 0, strings.Index(string(readme), "under the name of its check")
	if readmeAt < 0 {
		t.Fatal("README.md has no list of the doctor's checks")
	}
	for _, c := range doctor.Checks {
		i := strings.Index(doctorHelp[helpAt:], "\n  "+c+" ")
		if i < 0 {
			t.Errorf("doctor --help does not describe the check %q (after the previous one)", c)
			continue
		}
		helpAt += i + 1
		j := strings.Index(string(readme[readmeAt:]), "`"+c+"`")
		if j < 0 {
			t.Errorf("README.md does not name the doctor check %q (after the previous one)", c)
			continue
		}
		readmeAt += j + 1
	}
}
