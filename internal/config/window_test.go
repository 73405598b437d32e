package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	const expected = `expected "HH:MM-HH:MM Zone" with an IANA zone, such as "02:00-05:00 Europe/Paris"`
	tests := []struct {
		in         string
		start, end int
		zone       string
		err        string
	}{
		{in: "02:00-05:00 Europe/Paris", start: 120, end: 300, zone: "Europe/Paris"},
		{in: "  2:30-4:05   UTC ", start: 150, end: 245, zone: "UTC"},
		{in: "23:00-01:00 America/New_York", start: 1380, end: 60, zone: "America/New_York"},
		{in: "02:00-05:00", err: `"02:00-05:00" is not a range and a zone; ` + expected},
		{in: "02:00 Europe/Paris", err: `"02:00" has no '-' between two times; ` + expected},
		{in: "02:00-25:00 UTC", err: `"25:00" is not a time of day (HH:MM, 00:00 to 23:59); ` + expected},
		{in: "2h-5h UTC", err: `"2h" is not a time of day (HH:MM, 00:00 to 23:59); ` + expected},
		{in: "02:00-02:00 UTC", err: `"02:00-02:00" is empty (it starts where it ends); leave ZDCD_NIGHTLY_WINDOW unset for any time, or ` + expected},
		{in: "02:00-05:00 Mars/Olympus", err: `"Mars/Olympus" is not a known IANA time zone; ` + expected},
		{in: "02:00-05:00 Local", err: `the zone must be named (a dyno's local zone is UTC, but that is an accident); ` + expected},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			w, err := ParseWindow(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w.Start != tt.start || w.End != tt.end || w.Location.String() != tt.zone {
				t.Errorf("window = %d-%d %s", w.Start, w.End, w.Location)
			}
			if again, err := ParseWindow(w.String()); err != nil || again.String() != w.String() {
				t.Errorf("String %q does not parse back: %v", w.String(), err)
			}
		})
	}
}

func TestWindowContains(t *testing.T) {
	paris, _ := ParseWindow("02:00-05:00 Europe/Paris")
	night, _ := ParseWindow("23:00-01:00 UTC")
	tests := []struct {
		w    *Window
		at   string
		want bool
	}{
		// 02:00 in Paris is 01:00 UTC in winter (CET) and 00:00 UTC in summer (CEST).
		{paris, "2026-01-15T01:00:00Z", true},
		{paris, "2026-01-15T00:59:59Z", false},
		{paris, "2026-01-15T03:59:00Z", true},
		{paris, "2026-01-15T04:00:00Z", false},
		{paris, "2026-07-15T00:00:00Z", true},
		{paris, "2026-07-15T03:00:00Z", false},
		{night, "2026-01-15T23:30:00Z", true},
		{night, "2026-01-15T00:30:00Z", true},
		{night, "2026-01-15T01:00:00Z", false},
		{night, "2026-01-15T22:59:00Z", false},
		{nil, "2026-01-15T12:00:00Z", true},
	}
	for _, tt := range tests {
		at, err := time.Parse(time.RFC3339, tt.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := tt.w.Contains(at); got != tt.want {
			t.Errorf("%s contains %s = %v, want %v", tt.w, tt.at, got, tt.want)
		}
	}
}

func TestLoadNightlyWindow(t *testing.T) {
	c, err := Load(environ(map[string]string{"ZDCD_NIGHTLY_WINDOW": "02:00-05:00 Europe/Paris"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.NightlyWindow.String() != "02:00-05:00 Europe/Paris" {
		t.Errorf("window = %q", c.NightlyWindow)
	}
	var b strings.Builder
	if err := c.Print(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "ZDCD_NIGHTLY_WINDOW=02:00-05:00 Europe/Paris\n") {
		t.Errorf("Print:\n%s", b.String())
	}
}
