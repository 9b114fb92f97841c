package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	"unicode"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/docker-credential-pat/docker-credential-pat/credstore"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/protocol"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/when"
)

const addHelp = `Usage: docker-credential-pat add REGISTRY --username NAME [--scope S]... [--description TEXT] [--expires DATE|DURATION] [--token-stdin]

Store an access token for REGISTRY, as docker login would, with metadata
docker does not know: what the token may do, what it is for, when it
expires. The token is read from stdin with --token-stdin, or typed at a
prompt that does not echo it; never from a flag or the environment.

Flags:
  -u, --username NAME         the username to log in with (required)
      --scope S               what the token may do; repeat for several. The form
                              repository:NAME:ACTIONS (repository:myteam/myapi:pull,push)
                              is understood; anything else is kept as free text
      --description TEXT      what the token is for
      --expires DATE|DURATION when the token expires: 2026-12-31 (the start of that day,
                              UTC), an RFC 3339 time, or from now: 90d, 2w, 1y, 12h
      --token-stdin           read the token from stdin (one trailing newline is dropped)
` + commonFlagsHelp + `
Examples:
  docker-credential-pat add ghcr.io --username alice --scope 'read:packages' --expires 90d
  printenv GHCR_TOKEN | docker-credential-pat add ghcr.io -u alice --token-stdin
  docker-credential-pat add docker.io -u alice --scope repository:alice/app:pull --description 'laptop pulls'
`

func runAdd(a *app, args []string) int {
	fs := a.flags("add")
	username := fs.StringP("username", "u", "", "")
	scopes := fs.StringArray("scope", nil, "")
	description := fs.String("description", "", "")
	expires := fs.String("expires", "", "")
	fromStdin := fs.Bool("token-stdin", false, "")
	fs.BoolVar(fromStdin, "password-stdin", false, "")
	_ = fs.MarkHidden("password-stdin") // docker login's name for it
	if code, ok := a.parse(fs, args, addHelp); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return a.usage("add", "add takes one registry")
	}
	registry := fs.Arg(0)
	if !looksLikeRegistry(registry) {
		return a.usage("add", "that is not a registry address: want a host name with a dot or a port, or localhost, such as ghcr.io")
	}
	if !fs.Changed("username") {
		return a.usage("add", "--username is required")
	}
	if err := protocol.CheckUsername(*username); err != nil {
		return a.usage("add", err.Error())
	}
	meta, err := parseMeta(fs, *scopes, *description, *expires, a.now())
	if err != nil {
		return a.usage("add", err.Error())
	}

	s, err := a.store()
	if err != nil {
		return a.fail(err, "")
	}
	token, err := a.readToken(*fromStdin, registry, *username)
	if errors.Is(err, errNoTerminal) {
		a.warn(credstore.Warning{Message: "add: " + err.Error(),
			Hint: fmt.Sprintf("printenv TOKEN | %s add %s --username %s --token-stdin", name, showArg(registry), clean(*username))})
		return 2
	}
	if err != nil {
		return a.usage("add", err.Error())
	}
	old, _ := s.Lookup(registry)
	err = s.Put(registry, *username, token, func(e *credstore.Entry) { meta.apply(e) })
	if err != nil {
		return a.fail(err, "")
	}
	verb := "stored a token"
	if old != nil {
		verb = "replaced the token"
	}
	e, err := s.Lookup(registry)
	if err != nil {
		return a.fail(err, "")
	}
	msg := fmt.Sprintf("%s for %s", verb, who(e))
	if e.ExpiresAt != nil {
		msg += ", expiring " + when.Relative(*e.ExpiresAt, a.now())
	}
	a.warn(credstore.Warning{Message: msg})
	return 0
}

// meta is the metadata given on the command line; set says which.
type meta struct {
	scope       []string
	description string
	expires     *time.Time
	set         map[string]bool
}

// parseMeta reads --scope, --description and --expires, as given.
func parseMeta(fs *pflag.FlagSet, scopes []string, description, expires string, now time.Time) (*meta, error) {
	m := &meta{scope: []string{}, description: description, set: map[string]bool{}}
	for _, f := range []string{"scope", "description", "expires"} {
		m.set[f] = fs.Changed(f)
	}
	for _, raw := range scopes {
		if strings.TrimSpace(raw) == "" {
			continue // --scope '' clears the list
		}
		sc, err := token.ParseScope(raw)
		if err != nil {
			return nil, fmt.Errorf("--scope: %v", err)
		}
		m.scope = append(m.scope, sc.String())
	}
	if err := credstore.CheckDescription(description); err != nil {
		return nil, fmt.Errorf("--description: %v", err)
	}
	if m.set["expires"] {
		t, err := when.ParseExpiry(expires, now)
		if err != nil {
			return nil, fmt.Errorf("--expires: %v", err)
		}
		m.expires = t
	}
	return m, nil
}

// apply writes the metadata that was given into e.
func (m *meta) apply(e *credstore.Entry) {
	if m.set["scope"] {
		e.Scope = m.scope
	}
	if m.set["description"] {
		e.Description = m.description
	}
	if m.set["expires"] {
		e.ExpiresAt = m.expires
	}
}

// prompt shows text on stderr and reads a line from the terminal fd
// without echoing it; echo is off before the text shows (see echoOff). An
// interrupt while it waits (Ctrl-C, or SIGTERM) gives the terminal its
// modes back before the process ends with 128 + the signal's number, as
// a shell reports it: left to the default action, the process died with
// echo off, and the shell then showed nothing typed at it.
func (a *app) prompt(fd int, text string) ([]byte, error) {
	restore, err := echoOff(fd)
	if err != nil {
		return nil, err
	}
	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt, syscall.SIGTERM)
	read := make(chan struct{})
	go func() {
		select {
		case sig := <-interrupted:
			_ = restore()
			fmt.Fprintln(a.stderr)
			code := 130
			if n, ok := sig.(syscall.Signal); ok {
				code = 128 + int(n)
			}
			os.Exit(code)
		case <-read:
		}
	}()
	fmt.Fprint(a.stderr, text)
	data, err := term.ReadPassword(fd)
	signal.Stop(interrupted)
	close(read)
	if rerr := restore(); err == nil {
		err = rerr
	}
	fmt.Fprintln(a.stderr)
	return data, err
}

// errNoTerminal refuses to wait for a token that cannot be typed.
var errNoTerminal = errors.New("no token: stdin is not a terminal to type it at, and --token-stdin was not given")

// readToken reads the token from stdin or, when stdin is a terminal, from
// a prompt that does not echo. Its errors never quote what was read.
func (a *app) readToken(fromStdin bool, registry, username string) (token.Secret, error) {
	var raw []byte
	switch f, isFile := a.stdin.(*os.File); {
	case fromStdin:
		data, err := io.ReadAll(io.LimitReader(a.stdin, protocol.MaxInput+1))
		if err != nil {
			return token.Secret{}, fmt.Errorf("reading the token from stdin: %v", err)
		}
		if len(data) > protocol.MaxInput {
			return token.Secret{}, fmt.Errorf("the token on stdin is longer than %d bytes", protocol.MaxInput)
		}
		raw = data
	case isFile && term.IsTerminal(int(f.Fd())):
		data, err := a.prompt(int(f.Fd()), fmt.Sprintf("Token for %s (%s): ", showArg(registry), clean(username)))
		if err != nil {
			return token.Secret{}, fmt.Errorf("reading the token: %v", err)
		}
		raw = data
	default:
		return token.Secret{}, errNoTerminal
	}
	tok := string(raw)
	tok = strings.TrimSuffix(tok, "\n")
	tok = strings.TrimSuffix(tok, "\r")
	switch {
	case tok == "":
		return token.Secret{}, errors.New("no token: stdin was empty")
	case strings.ContainsAny(tok, "\r\n"):
		return token.Secret{}, errors.New("the token spans more than one line: give one token")
	case strings.IndexFunc(tok, unicode.IsControl) >= 0:
		return token.Secret{}, errors.New("the token holds control characters")
	}
	return token.NewSecret(tok), nil
}
