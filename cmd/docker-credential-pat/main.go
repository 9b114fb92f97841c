// Command docker-credential-pat is a Docker credential helper that keeps
// registry access tokens, never passwords, in the operating system's
// keychain, with metadata to manage them.
//
// Docker runs it with one of the protocol actions (store, get, erase, list,
// version) when config.json says "credsStore": "pat". People run the other
// commands; see --help.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	// One P for the whole process, set before the other packages' inits.
	_ "github.com/docker-credential-pat/docker-credential-pat/cmd/internal/oneproc"
	// docker's get connects to the Secret Service at once; code, read-only
	// data and the first stretch of heap are mapped in.
	_ "github.com/docker-credential-pat/docker-credential-pat/cmd/internal/startup"
	"github.com/docker-credential-pat/docker-credential-pat/credstore"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/hint"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/protocol"
)

const name = "docker-credential-pat"

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func init() {
	credentials.Name = name
	credentials.Package = "github.com/docker-credential-pat/docker-credential-pat"
	credentials.Version = buildVersion()
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// app is what every command gets: the standard streams and the store.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	backend        string // --backend, else $DOCKER_CREDENTIAL_PAT_BACKEND
	stateDir       string // --state-dir, else $DOCKER_CREDENTIAL_PAT_STATE_DIR
	now            func() time.Time
}

// say prints a message for a person in the one voice of this program,
// on stderr: "docker-credential-pat: MESSAGE", then "hint: FIX" for each
// fix. It is the only place hints are printed.
func (a *app) say(msg string, hints ...string) {
	if msg != "" {
		fmt.Fprintf(a.stderr, "%s: %s\n", name, msg)
	}
	for _, h := range hints {
		if h != "" {
			fmt.Fprintf(a.stderr, "hint: %s\n", h)
		}
	}
}

// warn prints a warning from the store, or of a command.
func (a *app) warn(w credstore.Warning) { a.say(w.Message, w.Hint) }

// fail prints err and its hints (or fallback, if err has none) and
// returns the exit code for a failure.
func (a *app) fail(err error, fallback string) int {
	hints := hint.Of(err)
	if len(hints) == 0 {
		hints = []string{fallback}
	}
	a.say(oneLine(err), hints...)
	return 1
}

// store opens the credential store as configured.
func (a *app) store() (*credstore.Store, error) {
	backend := a.backend
	if backend == "" {
		backend = os.Getenv(credstore.EnvBackend)
	}
	timeout, err := envDuration(credstore.EnvTimeout, credstore.DefaultTimeout, "5s")
	if err != nil {
		return nil, err
	}
	promptTimeout, err := envDuration(credstore.EnvPromptTimeout, credstore.DefaultPromptTimeout, "1m")
	if err != nil {
		return nil, err
	}
	return credstore.New(credstore.Options{
		StateDir:      a.stateDir,
		Backend:       backend,
		Timeout:       timeout,
		PromptTimeout: promptTimeout,
		Now:           a.now,
		Caller:        credstore.ParentCaller(),
		Warn:          a.warn,
		Program:       name,
	})
}

// envDuration is the duration in the environment variable env, or def
// when it is unset; example is what a good value looks like.
func envDuration(env string, def time.Duration, example string) (time.Duration, error) {
	v := os.Getenv(env)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s is not a duration such as %s", env, example)
	}
	return d, nil
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}
	if len(args) == 0 {
		fmt.Fprintln(stdout, usageLine)
		return 1
	}
	cmd := args[0]
	switch cmd {
	case "--version", "-v":
		_ = credentials.PrintVersion(stdout)
		return 0
	case "--help", "-h", "help":
		if len(args) > 1 {
			if c := commands[args[1]]; c != nil {
				fmt.Fprint(stdout, alignFlags(c.help))
				return 0
			}
		}
		fmt.Fprint(stdout, mainHelp)
		return 0
	}
	if protocol.IsAction(cmd) {
		// A protocol action lives for milliseconds and allocates a few
		// MiB at most (a 1,000-entry index read twice): collecting garbage
		// would cost more than the memory it frees.
		debug.SetGCPercent(-1)
		return a.protocol(cmd, args[1:])
	}
	if c := commands[cmd]; c != nil {
		return c.run(a, args[1:])
	}
	// Never echo an unknown argument: it might be a pasted token.
	fmt.Fprintln(stdout, protocol.ErrUnknownAction)
	return 1
}

// protocol runs one of docker's actions: errors are one line on stdout.
func (a *app) protocol(action string, extra []string) int {
	if len(extra) > 0 {
		fmt.Fprintf(a.stdout, "%s takes no arguments: docker sends its input on stdin\n", action)
		return 1
	}
	s, err := a.store()
	if err == nil {
		err = protocol.Serve(s, action, a.stdin, a.stdout)
	}
	if err != nil {
		fmt.Fprintln(a.stdout, oneLine(err)) // the wire: docker shows it
		a.say("", hint.Of(err)...)
		return 1
	}
	return 0
}

// oneLine keeps an error on one line: docker quotes our stdout verbatim.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

const usageLine = "Usage: docker-credential-pat <store|get|erase|list|version>  (or --help for the commands for people)"
