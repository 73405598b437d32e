package judge

import (
	"reflect"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestAhead(t *testing.T) {
	key := plan.MigrationKey{App: "shop", Name: "0005_add_sku"}
	after := plan.Ahead{App: "shop", Name: "0005_add_sku", AppInstalled: true, AfterCode: true}
	run := &ledger.Run{ID: 12, RunInfo: ledger.RunInfo{ReleaseVersion: 3}}
	unsafe := analysis.Finding{Rule: "add-field-not-null", Severity: analysis.Unsafe, Message: "old INSERTs fail"}
	approved := unsafe
	approved.Approval = &analysis.Approval{By: analysis.ByAllowList, Entry: "shop.0005_add_sku"}
	warning := analysis.Finding{Rule: "wide-index", Severity: analysis.Warning}
	// A blocking index build (approved, as the nightly window does) was a hazard while it ran.
	blocking := analysis.Finding{Rule: "index-create-blocking", Severity: analysis.Unsafe, Approval: approved.Approval}
	required := analysis.Finding{Rule: "add-required-column", Severity: analysis.Unsafe}
	planned := func(fs ...analysis.Finding) *ledger.Migration {
		return &ledger.Migration{App: "shop", Name: "0005_add_sku", Findings: fs}
	}
	tests := []struct {
		name     string
		ahead    plan.Ahead
		prov     []ledger.Provenance
		verdict  analysis.AheadVerdict
		findings []analysis.Finding
		release  int
	}{
		{"unsafe finding recorded", after, []ledger.Provenance{{Key: key, AppliedBy: run, Planned: planned(unsafe), PlannedIn: 12}},
			analysis.AheadIncompatible, []analysis.Finding{unsafe}, 3},
		{"approved still incompatible", after, []ledger.Provenance{{Key: key, AppliedBy: run, Planned: planned(approved, warning), PlannedIn: 12}},
			analysis.AheadIncompatible, []analysis.Finding{approved}, 3},
		{"only warnings: compatible", after, []ledger.Provenance{{Key: key, AppliedBy: run, Planned: planned(warning), PlannedIn: 12}},
			analysis.AheadCompatible, nil, 3},
		{"planned by a refusal, applied by hand", after, []ledger.Provenance{{Key: key, Planned: planned(unsafe), PlannedIn: 7}},
			analysis.AheadIncompatible, []analysis.Finding{unsafe}, 0},
		{"applied by a run, no plan: unknown", after, []ledger.Provenance{{Key: key, AppliedBy: run}},
			analysis.AheadUnknown, nil, 3},
		{"only a lock while it ran: compatible", after, []ledger.Provenance{{Key: key, AppliedBy: run, Planned: planned(blocking, warning), PlannedIn: 12}},
			analysis.AheadCompatible, nil, 3},
		{"a lock and a lasting break: the break counts", after, []ledger.Provenance{{Key: key, AppliedBy: run, Planned: planned(blocking, required), PlannedIn: 12}},
			analysis.AheadIncompatible, []analysis.Finding{required}, 3},
		{"ledger never saw it", after, nil, analysis.AheadUnknown, nil, 0},
		{"recorded before the code's: left behind", plan.Ahead{App: "shop", Name: "0005_add_sku", AfterCode: false},
			[]ledger.Provenance{{Key: key, AppliedBy: run, Planned: planned(unsafe), PlannedIn: 12}},
			analysis.AheadLeftBehind, nil, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Ahead([]plan.Ahead{tt.ahead}, tt.prov)
			if len(got) != 1 {
				t.Fatalf("%d judged", len(got))
			}
			g := got[0]
			if g.Verdict != tt.verdict || !reflect.DeepEqual(g.Findings, tt.findings) || g.AppliedByRelease != tt.release || g.Key() != key {
				t.Errorf("got %+v, want verdict %s findings %+v release v%d", g, tt.verdict, tt.findings, tt.release)
			}
			if hasBlocking := strings.Contains(tt.name, "a lock"); hasBlocking != reflect.DeepEqual(g.RunHazards, []string{"index-create-blocking"}) {
				t.Errorf("RunHazards = %v", g.RunHazards)
			}
			if g.Blocks() != (tt.verdict == analysis.AheadIncompatible) {
				t.Errorf("Blocks = %v", g.Blocks())
			}
		})
	}
	if keys := AheadKeys([]plan.Ahead{after, {App: "legacy", Name: "0001_initial"}}); !reflect.DeepEqual(keys, []plan.MigrationKey{key}) {
		t.Errorf("AheadKeys = %v: only the rows recorded after the code's are asked about", keys)
	}
}
