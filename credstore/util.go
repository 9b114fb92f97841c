package credstore

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/keychain"
)

func bytesContains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

// displayRegistry is how a person types serverURL on docker's command line.
func displayRegistry(serverURL string) string {
	if IsDockerHub(serverURL) {
		return "docker.io"
	}
	if h, err := Canonical(serverURL); err == nil {
		return h
	}
	return serverURL
}

// RelativeTime renders t relative to now: "3 days ago", "in 12 days".
func RelativeTime(t, now time.Time) string {
	d := t.Sub(now)
	future := d > 0
	if !future {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		if future {
			return "in less than a minute"
		}
		return "just now"
	case d < time.Hour:
		s = plural(round(d, time.Minute), "minute")
	case d < 48*time.Hour:
		s = plural(round(d, time.Hour), "hour")
	case d < 60*24*time.Hour:
		s = plural(round(d, 24*time.Hour), "day")
	case d < 2*365*24*time.Hour:
		s = plural(round(d, 30*24*time.Hour), "month")
	default:
		s = plural(round(d, 365*24*time.Hour), "year")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// round is d in units, to the nearest: "--expires 30d" reads "in 30 days"
// a moment later, not "in 29 days".
func round(d, unit time.Duration) int { return int((d + unit/2) / unit) }

func plural(n int, unit string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// HintsOf returns the fixes for err, where known: lines for a person,
// ideally commands to paste.
func HintsOf(err error) []string {
	var refusal *RefusalError
	if errors.As(err, &refusal) {
		return refusal.Hints
	}
	if h := keychain.HintOf(err); h != "" {
		return []string{h}
	}
	var hinter interface{ Hint() string }
	if errors.As(err, &hinter) && hinter.Hint() != "" {
		return []string{hinter.Hint()}
	}
	if errors.Is(err, ErrIndexCorrupt) {
		return []string{"docker-credential-pat doctor --repair"}
	}
	return nil
}

// HintOf returns the first of HintsOf(err), or "".
func HintOf(err error) string {
	if h := HintsOf(err); len(h) > 0 {
		return h[0]
	}
	return ""
}
