package main

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Thresholds of the metrics and targets.
const (
	// stallThreshold: a query in flight longer than this is blocked (zdcd's lock_timeout).
	stallThreshold = 100 * time.Millisecond
	// lockTimeout is zdcd's default ZDCD_LOCK_TIMEOUT; the added-latency target is
	// lockTimeout + 100 ms.
	lockTimeout = 100 * time.Millisecond
)

// result is one run: a scenario in one mode.
type result struct {
	Scenario, Mode, Want string
	// Decision is what the release did ("applied", "refused", …); Detail is the ledger's migrate
	// step or the failing command's last line.
	Decision, Detail string
	ExitCode         int
	// Untouched: the schema (columns, indexes, relation files) and the applied migrations are
	// exactly as before the release.
	Untouched bool

	Queries, Failed int
	// Errors counts failed queries by message.
	Errors        map[string]int
	P50, P99, Max time.Duration
	// Over1s counts queries slower than a second.
	Over1s int
	// Stalled is how long at least one query was blocked: the length of the union of the
	// intervals [due + 100 ms, end] of every query slower than 100 ms.
	Stalled time.Duration

	// Load is the machine's 1-minute load average when the run started.
	Load string

	// ReleaseStart, ReleaseEnd, LongTxStart are offsets from the load's start.
	ReleaseStart, ReleaseEnd, LongTxStart time.Duration

	// AddedMax is Max minus the no-release run's median (zdcd and migrate runs).
	AddedMax time.Duration

	// Outlasts: the scenario's blocker outlasts ZDCD_LOCK_WAIT (scenario.Outlasts).
	Outlasts bool
	// LockTimeouts is the number of zdcd's attempts cut by lock_timeout (from the ledger).
	LockTimeouts int
	// Sessions counts the migrate command's sessions zdcd verified; InEffect is what the first
	// read back (`lock_timeout=100ms statement_timeout=30m0s application_name="zdcd-migrate"`),
	// Overridden what its SET overrode from the connection ("" if nothing); AllLockTimeout
	// whether every verified session read back lock_timeout=lockTimeout.
	Sessions             int
	InEffect, Overridden string
	AllLockTimeout       bool
	// Checks are the targets this run is held to (zdcd runs), Pass whether all hold.
	Checks []check
}

// check is one target of a zdcd run.
type check struct {
	Name string
	OK   bool
	Why  string
}

func (r *result) measure(samples []sample) {
	r.Queries = len(samples)
	r.Errors = map[string]int{}
	lat := make([]time.Duration, 0, len(samples))
	type span struct{ from, to time.Duration }
	var spans []span
	for _, s := range samples {
		lat = append(lat, s.Latency)
		if s.Err != "" {
			r.Failed++
			r.Errors[s.Err]++
		}
		if s.Latency > time.Second {
			r.Over1s++
		}
		if s.Latency > stallThreshold {
			spans = append(spans, span{s.At + stallThreshold, s.At + s.Latency})
		}
	}
	slices.Sort(lat)
	r.P50, r.P99 = percentile(lat, 0.50), percentile(lat, 0.99)
	if len(lat) > 0 {
		r.Max = lat[len(lat)-1]
	}
	slices.SortFunc(spans, func(a, b span) int { return int(a.from - b.from) })
	var end time.Duration
	for _, sp := range spans {
		if sp.from > end {
			r.Stalled += sp.to - sp.from
			end = sp.to
		} else if sp.to > end {
			r.Stalled += sp.to - end
			end = sp.to
		}
	}
}

// verifiedLine is zdcd's log line for a migrate session whose settings its guard set and read
// back (internal/migrate/session.go, gate.describe).
var verifiedLine = regexp.MustCompile(`session pid=\d+ verified, in effect \(read back\): ([^;\n]*)(?:; overridden at connect: ([^\n]*))?`)

// session reads what zdcd verified in the migrate sessions from its output, and the lock
// timeouts from the ledger's migrate step (Detail).
func (r *result) session(out string) {
	if m := lockTimeouts.FindStringSubmatch(r.Detail); m != nil {
		r.LockTimeouts, _ = strconv.Atoi(m[1])
	}
	want := "lock_timeout=" + durationSetting(lockTimeout)
	r.AllLockTimeout = true
	for i, m := range verifiedLine.FindAllStringSubmatch(out, -1) {
		r.Sessions++
		inEffect := strings.TrimSpace(m[1])
		if !slices.Contains(strings.Fields(inEffect), want) {
			r.AllLockTimeout = false
		}
		if i == 0 {
			r.InEffect, r.Overridden = inEffect, strings.TrimSpace(m[2])
		}
	}
	if r.Sessions == 0 {
		r.AllLockTimeout = false
	}
}

// durationSetting renders d as zdcd's log shows a setting read back (100ms).
func durationSetting(d time.Duration) string { return d.String() }

// percentile of sorted values, nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

// evaluate fills AddedMax and the zdcd runs' checks against the targets.
func evaluate(results []result) {
	base := map[string]result{}
	for _, r := range results {
		if r.Mode == modeBaseline {
			base[r.Scenario] = r
		}
	}
	for i := range results {
		r := &results[i]
		b, ok := base[r.Scenario]
		if r.Mode == modeBaseline || !ok {
			continue
		}
		r.AddedMax = r.Max - b.P50
		if r.Mode != modeZdcd {
			continue
		}
		r.Checks = append(r.Checks, check{"no failed query", r.Failed == 0, fmt.Sprintf("%d failed", r.Failed)})
		limit := lockTimeout + 100*time.Millisecond
		r.Checks = append(r.Checks, check{"added latency ≤ " + ms(limit), r.AddedMax <= limit,
			fmt.Sprintf("max %s − no-release median %s = %s", ms(r.Max), ms(b.P50), ms(r.AddedMax))})
		if r.Want == "refused" {
			ok := strings.HasPrefix(r.Decision, "refused") && r.Untouched
			why := r.Decision
			if !r.Untouched {
				why += ", schema changed"
			} else {
				why += ", schema untouched"
			}
			r.Checks = append(r.Checks, check{"refused, table untouched", ok, why})
		} else {
			r.Checks = append(r.Checks, check{"applied", strings.HasPrefix(r.Decision, "applied"), r.Decision})
		}
		if r.Scenario == "outage" {
			r.Checks = append(r.Checks, check{"p99 ≤ 2× no-release p99", r.P99 <= 2*b.P99,
				fmt.Sprintf("%s vs %s", ms(r.P99), ms(b.P99))})
		}
		if r.Outlasts {
			// The scenario shows what it means to: the blocker outlasted ZDCD_LOCK_WAIT, zdcd
			// attempted while it held the table, and lock_timeout, not the blocker, ended those
			// attempts — in sessions that read lock_timeout back.
			r.Checks = append(r.Checks, check{"attempts cut by lock_timeout while the blocker held the table", r.LockTimeouts > 0,
				fmt.Sprintf("%d lock timeout(s)", r.LockTimeouts)})
			why := fmt.Sprintf("%d session(s) verified", r.Sessions)
			if r.InEffect != "" {
				why += ": " + r.InEffect
			}
			r.Checks = append(r.Checks, check{"lock_timeout=" + durationSetting(lockTimeout) + " read back in every migrate session", r.AllLockTimeout, why})
		}
	}
}

// Pass reports whether every check holds.
func (r result) Pass() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

func (r result) summary() string {
	s := fmt.Sprintf("%d queries, %d failed, p50 %s, p99 %s, max %s, stalled %s",
		r.Queries, r.Failed, ms(r.P50), ms(r.P99), ms(r.Max), secs(r.Stalled))
	if r.Mode != modeBaseline {
		s += fmt.Sprintf("; release %s: %s", secs(r.ReleaseEnd-r.ReleaseStart), r.Decision)
	}
	return s
}

// topError is the most frequent error message.
func (r result) topError() string {
	best, n := "", 0
	for e, c := range r.Errors {
		if c > n || (c == n && e < best) {
			best, n = e, c
		}
	}
	return best
}

func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
