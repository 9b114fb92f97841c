// Package when reads and writes times as people do: durations such as
// "90d" or "2w", expiries such as "2026-12-31" or "never", and times
// relative to now such as "3 days ago" or "in 12 days"; and counts of
// things, "1 entry", "2 entries".
package when

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Relative renders t relative to now: "3 days ago", "in 12 days".
func Relative(t, now time.Time) string {
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
		s = Plural(round(d, time.Minute), "minute")
	case d < 48*time.Hour:
		s = Plural(round(d, time.Hour), "hour")
	case d < 60*24*time.Hour:
		s = Plural(round(d, 24*time.Hour), "day")
	case d < 2*365*24*time.Hour:
		s = Plural(round(d, 30*24*time.Hour), "month")
	default:
		s = Plural(round(d, 365*24*time.Hour), "year")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// round is d in units, to the nearest: "--expires 30d" reads "in 30 days"
// a moment later, not "in 29 days".
func round(d, unit time.Duration) int { return int((d + unit/2) / unit) }

// Plural counts a thing for a person: "1 entry", "2 entries", "0 days".
// The noun is singular; a consonant and y make "ies", anything else an s.
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if l := len(noun); l >= 2 && noun[l-1] == 'y' && !strings.ContainsRune("aeiou", rune(noun[l-2])) {
		noun = noun[:l-1] + "ie"
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// ParseDuration reads a duration as people write it: a number of days,
// weeks or years ("90d", "2w", "1y"; a year is 365 days) or a Go duration
// ("12h", "90m", "1h30m"). It must be positive. Errors never quote s: a
// value in the wrong place may be a pasted token.
func ParseDuration(s string) (time.Duration, error) {
	bad := errors.New("not a duration: want a number of days, weeks or years such as 90d, 2w, 1y, or hours such as 12h")
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, bad
	}
	var d time.Duration
	if n, unit := t[:len(t)-1], t[len(t)-1]; unit == 'd' || unit == 'w' || unit == 'y' {
		v, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			return 0, bad
		}
		day := map[byte]int64{'d': 1, 'w': 7, 'y': 365}[unit]
		const maxDays = int64(1<<63-1) / int64(24*time.Hour)
		if v > maxDays/day {
			return 0, errors.New("too long a duration")
		}
		d = time.Duration(v*day) * 24 * time.Hour
	} else {
		if strings.HasSuffix(t, "m") && !strings.ContainsAny(t, "h") {
			// Too easily read as months: "prune --unused-for 3m" would
			// remove nearly everything.
			return 0, errors.New("ambiguous: m means minutes; write months as days (90d), minutes as 0h30m")
		}
		var err error
		if d, err = time.ParseDuration(t); err != nil {
			return 0, bad
		}
	}
	if d <= 0 {
		return 0, errors.New("not a positive duration")
	}
	return d, nil
}

// ParseExpiry reads an expiry as people write it, relative to now:
//   - "never": no expiry (nil);
//   - an RFC 3339 time: "2026-12-31T18:00:00+01:00";
//   - a date: "2026-12-31", meaning the start of that day in UTC;
//   - a duration from now, see ParseDuration: "90d", "12h", "2w", "1y".
//
// The result is in UTC. Errors never quote s.
func ParseExpiry(s string, now time.Time) (*time.Time, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "never") {
		return nil, nil
	}
	if v, err := time.Parse(time.RFC3339, t); err == nil {
		return utc(v), nil
	}
	if v, err := time.Parse(time.DateOnly, t); err == nil {
		return utc(v), nil
	}
	if d, err := ParseDuration(t); err == nil {
		return utc(now.Add(d)), nil
	}
	return nil, errors.New("not an expiry: want a date such as 2026-12-31, an RFC 3339 time, a duration such as 90d, 12h, 2w, 1y, or never")
}

// utc is a pointer to t in UTC.
func utc(t time.Time) *time.Time {
	t = t.UTC()
	return &t
}
