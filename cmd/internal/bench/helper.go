//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// notFound is the protocol's answer for a missing entry (credentials.errCredentialsNotFoundMessage).
const notFound = "credentials not found in native keychain"

// helper is one credential-helper binary with the environment it runs in.
type helper struct {
	name string // column label
	bin  string
	env  []string
	err  error // why it cannot run (build or setup failed); nil when usable
}

// exit is one finished helper process.
type exit struct {
	wall   time.Duration
	maxRSS int64 // KiB, when measured (see withRSS); else 0
	stdout []byte
	stderr []byte
	code   int
}

// rssKey marks a context whose helper calls measure peak RSS.
type rssKey struct{}

// withRSS makes the calls under ctx run through GNU time, which writes the
// child's peak RSS to file. wait4's own ru_maxrss is no good here: Go
// starts children with vfork semantics (CLONE_VM), and the kernel carries
// the parent's high-water mark into the child's at exec, so every helper
// would look at least as big as this program. GNU time is small; its
// children start from its size, not ours. Calls with RSS are not timed.
func withRSS(ctx context.Context, file string) context.Context {
	if _, err := exec.LookPath("/usr/bin/time"); err != nil {
		return ctx
	}
	return context.WithValue(ctx, rssKey{}, file)
}

// processTimeout bounds one helper process; the slowest expected call (list
// of 1,000 entries on docker-credential-secretservice) takes about 2 s.
const processTimeout = 2 * time.Minute

// call runs the helper with action as argv[1] and stdin as its input, the
// way docker's client does (exec, write stdin, read stdout, wait), and
// measures the wall time from before fork to after wait.
func (h *helper) call(ctx context.Context, action string, stdin []byte) (exit, error) {
	ctx, cancel := context.WithTimeout(ctx, processTimeout)
	defer cancel()
	rssFile, _ := ctx.Value(rssKey{}).(string)
	cmd := exec.CommandContext(ctx, h.bin, action)
	if rssFile != "" {
		cmd = exec.CommandContext(ctx, "/usr/bin/time", "-f", "%M", "-o", rssFile, h.bin, action)
	}
	cmd.Env = h.env
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	e := exit{wall: wall, stdout: stdout.Bytes(), stderr: stderr.Bytes(), code: -1}
	if cmd.ProcessState == nil {
		return e, fmt.Errorf("%s %s: %w", h.name, action, err)
	}
	e.code = cmd.ProcessState.ExitCode()
	if rssFile != "" {
		if b, err := os.ReadFile(rssFile); err == nil {
			e.maxRSS, _ = strconv.ParseInt(strings.TrimSpace(lastLines(string(b), 1)), 10, 64)
		}
	}
	if ctx.Err() != nil {
		return e, fmt.Errorf("%s %s: killed after %s", h.name, action, processTimeout)
	}
	return e, nil
}

// failure describes an unexpected exit for the report, without secrets.
func (e exit) failure(action string) error {
	msg := strings.TrimSpace(string(e.stderr))
	if msg == "" {
		msg = strings.TrimSpace(string(e.stdout))
	}
	return fmt.Errorf("%s exited %d: %s", action, e.code, redact(lastLines(msg, 2)))
}

// tokenish matches anything that looks like the tokens this program makes,
// so no error text in the report can carry one.
var tokenish = regexp.MustCompile(`(dckr_pat_|ghp_)[A-Za-z0-9_-]+`)

func redact(s string) string { return tokenish.ReplaceAllString(s, "$1[REDACTED]") }

// creds is the protocol's credentials JSON.
type creds struct {
	ServerURL string
	Username  string
	Secret    string
}

func (c creds) storeInput() []byte {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // three strings always marshal
	}
	return b
}

// store stores c and expects success.
func (h *helper) store(ctx context.Context, c creds) (exit, error) {
	e, err := h.call(ctx, "store", c.storeInput())
	if err == nil && e.code != 0 {
		err = e.failure("store")
	}
	return e, err
}

// get asks for serverURL and checks the answer against want (nil: expect
// the not-found answer).
func (h *helper) get(ctx context.Context, serverURL string, want *creds) (exit, error) {
	e, err := h.call(ctx, "get", []byte(serverURL))
	if err != nil {
		return e, err
	}
	if want == nil {
		if e.code != 1 || strings.TrimSpace(string(e.stdout)) != notFound {
			return e, fmt.Errorf("get of a missing key: exit %d, not %q", e.code, notFound)
		}
		return e, nil
	}
	if e.code != 0 {
		return e, e.failure("get")
	}
	var got creds
	if err := json.Unmarshal(e.stdout, &got); err != nil {
		return e, fmt.Errorf("get: answer is not credentials JSON")
	}
	if got.Username != want.Username || got.Secret != want.Secret {
		return e, fmt.Errorf("get %s: wrong username or secret", serverURL)
	}
	return e, nil
}

func (h *helper) erase(ctx context.Context, serverURL string) (exit, error) {
	e, err := h.call(ctx, "erase", []byte(serverURL))
	if err == nil && e.code != 0 {
		err = e.failure("erase")
	}
	return e, err
}

func (h *helper) list(ctx context.Context) (exit, map[string]string, error) {
	e, err := h.call(ctx, "list", nil)
	if err != nil {
		return e, nil, err
	}
	if e.code != 0 {
		return e, nil, e.failure("list")
	}
	var m map[string]string
	if err := json.Unmarshal(e.stdout, &m); err != nil {
		return e, nil, fmt.Errorf("list: answer is not a JSON object")
	}
	return e, m, nil
}

func (h *helper) version(ctx context.Context) (exit, error) {
	e, err := h.call(ctx, "version", nil)
	if err == nil && e.code != 0 {
		err = e.failure("version")
	}
	return e, err
}
