package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/pflag"

	"github.com/docker-credential-pat/docker-credential-pat/credstore"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/token"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/when"
)

// This file holds what the commands for people share: flag parsing in one
// voice and the formatting of entries, times and tables.

// soonWindow is how close to its expiry a token is marked in tables.
const soonWindow = 7 * 24 * time.Hour

// commonFlagsHelp describes the flags every command for people takes.
const commonFlagsHelp = `      --backend NAME      keychain backend for new entries: auto, secretservice, keychain, wincred, keyctl
      --state-dir DIR     where metadata lives (default: $DOCKER_CREDENTIAL_PAT_STATE_DIR or <user config dir>/docker-credential-pat)
  -h, --help              show this help
`

// flags returns a flag set for the command cmd with the common flags.
// Parse errors are reported by parse, never by pflag itself.
func (a *app) flags(cmd string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(cmd, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SortFlags = false
	fs.StringVar(&a.backend, "backend", "", "keychain backend")
	fs.StringVar(&a.stateDir, "state-dir", "", "metadata directory")
	return fs
}

// parse parses args. ok is false when the command must stop with code:
// 0 after printing help, 2 after a usage error.
func (a *app) parse(fs *pflag.FlagSet, args []string, help string) (code int, ok bool) {
	err := fs.Parse(args)
	if err == nil {
		return 0, true
	}
	if errors.Is(err, pflag.ErrHelp) {
		fmt.Fprint(a.stdout, alignFlags(help))
		return 0, false
	}
	return a.usage(fs.Name(), flagError(err)), false
}

// flagError describes a flag parsing error without echoing what was typed:
// a mistyped flag may carry a pasted token.
func flagError(err error) string {
	var notExist *pflag.NotExistError
	var noValue *pflag.ValueRequiredError
	var invalid *pflag.InvalidValueError
	switch {
	case errors.As(err, &notExist):
		flag := notExist.GetSpecifiedName()
		if notExist.GetSpecifiedShortnames() != "" {
			flag = flag[:1]
		}
		switch flag {
		case "password", "token", "secret", "p":
			return "tokens are never taken from flags or the environment: pass it on stdin with --token-stdin, or type it at the prompt"
		}
		if len(flag) == 1 {
			return "unknown flag -" + flag
		}
		if len(flag) <= 32 && strings.Trim(flag, "abcdefghijklmnopqrstuvwxyz-") == "" {
			return "unknown flag --" + flag
		}
		return "unknown flag"
	case errors.As(err, &noValue):
		return "--" + noValue.GetFlag().Name + " needs a value"
	case errors.As(err, &invalid):
		return "invalid value for --" + invalid.GetFlag().Name
	}
	return "bad flag syntax"
}

// usage reports a usage error for cmd and returns exit code 2.
func (a *app) usage(cmd, msg string) int {
	a.warn(credstore.Warning{Message: cmd + ": " + msg, Hint: name + " " + cmd + " --help"})
	return 2
}

// durationFlag reads a --flag DURATION value that was given, in the forms
// credstore.ParseDuration takes.
func durationFlag(fs *pflag.FlagSet, flag, value string) (time.Duration, error) {
	if !fs.Changed(flag) {
		return 0, nil
	}
	d, err := when.ParseDuration(value)
	if err != nil {
		return 0, fmt.Errorf("--%s: %v", flag, err)
	}
	return d, nil
}

// looksLikeRegistry reports whether s can be a registry address as docker
// takes it: a name with a dot or a port, or localhost. Anything else (a
// pasted token, say) is not echoed back.
func looksLikeRegistry(s string) bool {
	if _, err := registryurl.Canonical(s); err != nil {
		return false
	}
	host, err := registryurl.Host(s)
	if err != nil {
		return false
	}
	return strings.ContainsAny(host, ".:") || host == "localhost"
}

// showArg is a registry argument as it may be printed back.
func showArg(s string) string {
	if looksLikeRegistry(s) {
		return clean(s)
	}
	return "that registry"
}

// clean makes text from the index safe to print on a terminal: control
// characters and invalid UTF-8 become '?'.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "?")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

// who names an entry for a person: "ghcr.io (alice)".
func who(e *credstore.Entry) string { return clean(e.Who()) }

// orDash is s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// providerKind renders "dockerhub/pat", "github", or "unknown".
func providerKind(e *credstore.Entry) string {
	known := func(s string) bool { return s != "" && s != token.ProviderUnknown }
	switch {
	case known(e.Provider) && known(e.Kind):
		return clean(e.Provider + "/" + e.Kind)
	case known(e.Provider):
		return clean(e.Provider)
	case known(e.Kind):
		return clean("unknown/" + e.Kind)
	}
	return "unknown"
}

// scopeText renders the scope list on one line.
func scopeText(e *credstore.Entry) string {
	return orDash(clean(strings.Join(e.Scope, "; ")))
}

// expiresText renders an expiry for a table: "never", "in 12 days",
// "in 3 days (soon)", "expired 2 days ago".
func expiresText(e *credstore.Entry, now time.Time) string {
	switch {
	case e.ExpiresAt == nil:
		return "never"
	case e.Expired(now):
		return "expired " + when.Relative(*e.ExpiresAt, now)
	case e.ExpiresAt.Sub(now) <= soonWindow:
		return when.Relative(*e.ExpiresAt, now) + " (soon)"
	}
	return when.Relative(*e.ExpiresAt, now)
}

// lastUsedText renders the last use: "2 hours ago by docker", "never".
func lastUsedText(e *credstore.Entry, now time.Time) string {
	if e.LastUsedAt == nil {
		return "never"
	}
	s := when.Relative(*e.LastUsedAt, now)
	if e.LastUsedBy != "" {
		s += " by " + clean(e.LastUsedBy)
	}
	return s
}

// absTime renders a time for inspect: local, absolute and relative.
func absTime(t time.Time, now time.Time) string {
	return t.Local().Format("2006-01-02 15:04:05 MST") + " (" + when.Relative(t, now) + ")"
}

// table writes aligned columns: a header, then rows.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) {
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// entryTable writes entries as the ls table.
func entryTable(w io.Writer, entries []*credstore.Entry, now time.Time) error {
	t := newTable(w, "REGISTRY", "USERNAME", "PROVIDER/KIND", "SCOPE", "EXPIRES", "LAST USED", "USES")
	for _, e := range entries {
		t.row(clean(e.Registry()), orDash(clean(e.Username)), providerKind(e), scopeText(e),
			expiresText(e, now), lastUsedText(e, now), strconv.FormatInt(e.UseCount, 10))
	}
	return t.flush()
}

// writeJSON writes v as indented JSON: the entry objects of ls and inspect,
// with scope always a list.
func writeJSON(w io.Writer, v any) error {
	switch x := v.(type) {
	case *credstore.Entry:
		if x.Scope == nil {
			x.Scope = []string{}
		}
	case []*credstore.Entry:
		for _, e := range x {
			if e.Scope == nil {
				e.Scope = []string{}
			}
		}
		if x == nil {
			v = []*credstore.Entry{}
		}
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// notFound reports that there are no credentials for registry.
func (a *app) notFound(registry string) int {
	return a.fail(fmt.Errorf("no credentials for %s", showArg(registry)), name+" ls")
}

// alignFlags lines up the descriptions of every flag line in help
// ("  -x, --name VALUE   what it does", and the indented lines that carry
// a description on): a command's own flags and the common ones are written
// apart and must read as one column.
func alignFlags(help string) string {
	lines := strings.Split(help, "\n")
	type flagLine struct{ spec, desc string }
	parsed := map[int]flagLine{}
	width := 0
	for i, l := range lines {
		m := flagSpec().FindStringSubmatch(l)
		if m == nil {
			continue
		}
		spec := m[1]
		if !strings.HasPrefix(spec, "-") || strings.HasPrefix(spec, "--") {
			spec = "    " + spec // long-only flags line up after "-x, "
		}
		parsed[i] = flagLine{spec, m[2]}
		width = max(width, len(spec))
	}
	for i := range lines {
		if f, ok := parsed[i]; ok {
			lines[i] = "  " + f.spec + strings.Repeat(" ", width-len(f.spec)+3) + f.desc
			// Continuation lines of the description line up under it.
			for j := i + 1; j < len(lines); j++ {
				if _, isFlag := parsed[j]; isFlag || !strings.HasPrefix(lines[j], "        ") {
					break
				}
				lines[j] = strings.Repeat(" ", width+5) + strings.TrimSpace(lines[j])
			}
		}
	}
	return strings.Join(lines, "\n")
}

// flagSpec matches a flag line: the flag, its value name, the description.
// It is compiled on first use: every process would pay for it at start,
// and only --help needs it.
var flagSpec = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^ +((?:-[a-zA-Z], )?--[a-z-]+(?: [A-Z][A-Z|]*)?) +(\S.*)$`)
})
