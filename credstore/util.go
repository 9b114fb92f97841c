package credstore

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

func bytesContains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

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

// plural counts a noun for a person: "1 entry", "2 entries", "0 days".
// The noun is singular; a consonant and y make "ies", anything else an s.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if l := len(noun); l >= 2 && noun[l-1] == 'y' && !strings.ContainsRune("aeiou", rune(noun[l-2])) {
		noun = noun[:l-1] + "ie"
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
