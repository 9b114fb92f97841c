package when

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	day := 24 * time.Hour
	good := map[string]time.Duration{
		"90d": 90 * day, "2w": 14 * day, "1y": 365 * day, "12h": 12 * time.Hour,
		"1h30m": 90 * time.Minute, " 7d ": 7 * day, "0h30m": 30 * time.Minute,
	}
	for in, want := range good {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "0d", "-5d", "3m", "30m", "1.5d", "soon", "0s", "-1h", "99999999999999y"} {
		if got, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	cet := time.FixedZone("CET", 3600)
	good := map[string]time.Time{
		"2026-12-31":                time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC),
		"2026-12-31T18:00:00+01:00": time.Date(2026, 12, 31, 18, 0, 0, 0, cet),
		"2026-12-31T18:00:00Z":      time.Date(2026, 12, 31, 18, 0, 0, 0, time.UTC),
		"90d":                       now.Add(90 * 24 * time.Hour),
		"12h":                       now.Add(12 * time.Hour),
		"2w":                        now.Add(14 * 24 * time.Hour),
		"1y":                        now.Add(365 * 24 * time.Hour),
		"2020-01-01":                time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), // the past: an expired token
	}
	for in, want := range good {
		got, err := ParseExpiry(in, now)
		if err != nil || got == nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseExpiry(%q) = %v, %v; want %v in UTC", in, got, err, want)
		}
	}
	for _, in := range []string{"never", "Never", " never"} {
		if got, err := ParseExpiry(in, now); err != nil || got != nil {
			t.Errorf("ParseExpiry(%q) = %v, %v; want nil", in, got, err)
		}
	}
	for _, in := range []string{"", "tomorrow", "2026-13-01", "31/12/2026", "-3d", "3m"} {
		if got, err := ParseExpiry(in, now); err == nil {
			t.Errorf("ParseExpiry(%q) = %v, want an error", in, got)
		}
	}
}

func TestRelative(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for d, want := range map[time.Duration]string{
		0:                  "just now",
		30 * time.Second:   "in less than a minute",
		-90 * time.Second:  "2 minutes ago",
		time.Hour:          "in 1 hour",
		-47 * time.Hour:    "47 hours ago",
		30*day - time.Hour: "in 30 days",
		-90 * day:          "3 months ago",
		3 * 365 * day:      "in 3 years",
	} {
		if got := Relative(now.Add(d), now); got != want {
			t.Errorf("Relative(now%+v) = %q, want %q", d, got, want)
		}
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n          int
		noun, want string
	}{
		{0, "entry", "0 entries"}, {1, "entry", "1 entry"}, {2, "entry", "2 entries"},
		{1, "day", "1 day"}, {3, "day", "3 days"},
		{1, "credential", "1 credential"}, {2, "backup", "2 backups"},
	} {
		if got := Plural(tc.n, tc.noun); got != tc.want {
			t.Errorf("Plural(%d, %q) = %q, want %q", tc.n, tc.noun, got, tc.want)
		}
	}
}
