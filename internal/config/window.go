package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	// The zone database travels in the binary: a slug or a scratch image may have no
	// /usr/share/zoneinfo, and ZDCD_NIGHTLY_WINDOW names its zone.
	_ "time/tzdata"
)

// DefaultNightlyReleaseTimeout bounds the wait for the release the nightly run creates (Heroku
// stops a release phase at one hour).
const DefaultNightlyReleaseTimeout = time.Hour

// Window is ZDCD_NIGHTLY_WINDOW: a daily time range in a named zone, "02:00-05:00 Europe/Paris".
// The start is included and the end excluded; a range whose end is before its start crosses
// midnight ("23:00-01:00 UTC").
type Window struct {
	// Start and End are minutes after midnight, local to Location.
	Start, End int
	Location   *time.Location
}

// ParseWindow reads "HH:MM-HH:MM Zone", where Zone is an IANA name (Europe/Paris, UTC).
func ParseWindow(s string) (*Window, error) {
	const expected = `expected "HH:MM-HH:MM Zone" with an IANA zone, such as "02:00-05:00 Europe/Paris"`
	fields := strings.Fields(s)
	if len(fields) != 2 {
		return nil, fmt.Errorf("%s; %s", quote(s)+" is not a range and a zone", expected)
	}
	from, to, ok := strings.Cut(fields[0], "-")
	if !ok {
		return nil, fmt.Errorf("%s has no '-' between two times; %s", quote(fields[0]), expected)
	}
	start, err := clock(from)
	if err != nil {
		return nil, fmt.Errorf("%v; %s", err, expected)
	}
	end, err := clock(to)
	if err != nil {
		return nil, fmt.Errorf("%v; %s", err, expected)
	}
	if start == end {
		return nil, fmt.Errorf("%s is empty (it starts where it ends); leave ZDCD_NIGHTLY_WINDOW unset for any time, or %s", quote(fields[0]), expected)
	}
	zone := fields[1]
	if zone == "Local" || strings.EqualFold(zone, "local") {
		return nil, fmt.Errorf("the zone must be named (a dyno's local zone is UTC, but that is an accident); %s", expected)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("%s is not a known IANA time zone; %s", quote(zone), expected)
	}
	return &Window{Start: start, End: end, Location: loc}, nil
}

// clock parses "HH:MM" (24-hour) into minutes after midnight.
func clock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, herr := strconv.Atoi(h)
	mm, merr := strconv.Atoi(m)
	if !ok || herr != nil || merr != nil || len(m) != 2 || len(h) == 0 || len(h) > 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("%s is not a time of day (HH:MM, 00:00 to 23:59)", quote(s))
	}
	return hh*60 + mm, nil
}

// Contains reports whether t falls in the window, in the window's zone. A nil window is any time.
func (w *Window) Contains(t time.Time) bool {
	if w == nil {
		return true
	}
	lt := t.In(w.Location)
	m := lt.Hour()*60 + lt.Minute()
	if w.Start < w.End {
		return m >= w.Start && m < w.End
	}
	return m >= w.Start || m < w.End
}

// String is the window as it is written in ZDCD_NIGHTLY_WINDOW ("" for nil: any time).
func (w *Window) String() string {
	if w == nil {
		return ""
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d %s", w.Start/60, w.Start%60, w.End/60, w.End%60, w.Location.String())
}
