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
