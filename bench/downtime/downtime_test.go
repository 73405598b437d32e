package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// One tiny scenario end to end (a few rows, two seconds of load), so the benchmark cannot rot.
// It asserts what the run produced, never how fast: zdcd applied the safe plan and the old
// app's queries all succeeded.
func TestSafeScenarioEndToEnd(t *testing.T) {
	o := defaultOptions()
	o.Rows, o.Rate, o.Conns = 1000, 50, 4
	o.Warmup, o.Tail, o.Baseline = 500*time.Millisecond, 500*time.Millisecond, 2*time.Second
	o.Only = []string{"safe"}
	o.Out = filepath.Join(t.TempDir(), "downtime")
	o.Doc = o.Out + ".md"
	o.Sample = filepath.Join("..", "..", "test", "sampleapp")
	var log strings.Builder
	results, err := run(context.Background(), o, &log)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	var zdcd *result
	for i := range results {
		if results[i].Mode == modeZdcd {
			zdcd = &results[i]
		}
	}
	if len(results) != len(modes) || zdcd == nil {
		t.Fatalf("want one result per run, got %+v", results)
	}
	if !strings.HasPrefix(zdcd.Decision, "applied") || zdcd.Failed != 0 || zdcd.Queries == 0 || zdcd.Untouched {
		t.Errorf("zdcd, safe scenario: decision %q, %d of %d queries failed, untouched %v (errors %v, detail %q)",
			zdcd.Decision, zdcd.Failed, zdcd.Queries, zdcd.Untouched, zdcd.Errors, zdcd.Detail)
	}
	for _, f := range []string{o.Doc, filepath.Join(o.Out, "results.csv"), filepath.Join(o.Out, "safe.svg")} {
		if b, err := os.ReadFile(f); err != nil || len(b) == 0 {
			t.Errorf("output %s: %v (%d bytes)", f, err, len(b))
		}
	}
}

// The blocker scenarios at a tiny scale: the app's settings pass options=-c statement_timeout,
// directly and through PgBouncer in session mode, and an analytics transaction holds shop_order
// past ZDCD_LOCK_WAIT. Plain migrate waits behind it (no lock_timeout reaches its session); zdcd
// applies the column after attempts cut by lock_timeout, in sessions that read lock_timeout back,
// and the old app's queries all succeed. No latency is asserted.
func TestBlockerScenariosEndToEnd(t *testing.T) {
	o := defaultOptions()
	o.Rows, o.Rate, o.Conns = 1000, 50, 4
	o.Warmup, o.Tail, o.Baseline = 2*time.Second, 500*time.Millisecond, 2*time.Second
	o.Only = []string{"app-options", "pgbouncer-session"}
	o.Out = filepath.Join(t.TempDir(), "downtime")
	o.Doc = o.Out + ".md"
	o.Sample = filepath.Join("..", "..", "test", "sampleapp")
	var log strings.Builder
	results, err := run(context.Background(), o, &log)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	if len(results) != 2*len(modes) {
		t.Fatalf("want one result per run, got %+v", results)
	}
	// The blocker starts a second before the release and holds the table o.Hold in all.
	blocked := o.Hold - time.Second
	for _, r := range results {
		switch r.Mode {
		case modeMigrate:
			if !strings.HasPrefix(r.Decision, "applied") || r.ReleaseEnd-r.ReleaseStart < blocked*3/4 {
				t.Errorf("%s, migrate: decision %q after %s; want applied after waiting behind the blocker (about %s)",
					r.Scenario, r.Decision, r.ReleaseEnd-r.ReleaseStart, blocked)
			}
		case modeZdcd:
			if !strings.HasPrefix(r.Decision, "applied") || r.LockTimeouts == 0 || !r.AllLockTimeout || r.Failed != 0 {
				t.Errorf("%s, zdcd: decision %q, %d lock timeout(s), %d session(s) (all lock_timeout=100ms: %v), %d of %d queries failed (errors %v, detail %q)\n%s",
					r.Scenario, r.Decision, r.LockTimeouts, r.Sessions, r.AllLockTimeout, r.Failed, r.Queries, r.Errors, r.Detail, log.String())
			}
			// Directly, the guard's SET overrode the app's startup options; PgBouncer dropped them.
			overrode := strings.Contains(r.Overridden, "statement_timeout=30s")
			if want := r.Scenario == "app-options"; overrode != want {
				t.Errorf("%s, zdcd: overridden at connect %q; want the app's statement_timeout=30s there: %v", r.Scenario, r.Overridden, want)
			}
		}
	}
	md, err := os.ReadFile(o.Doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"app-options.svg", "pgbouncer-session.svg", "ZDCD_LOCK_WAIT=" + blockerLockWait, "attempts cut by lock_timeout"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("the report does not mention %q", want)
		}
	}
}
