package ledger

import (
	"context"
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/plan"
)

// TestProvenance: which run applied a migration, and the plan that judged it — the applying
// run's, else the newest plan that holds it; nothing for a migration the ledger never saw.
func TestProvenance(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.NewDatabase(t))
	p := open(t, conn, newClock())

	k := func(name string) plan.MigrationKey { return plan.MigrationKey{App: "shop", Name: name} }
	record := func(version int, outcome Outcome, res *analysis.Result, before, after []plan.MigrationKey) int64 {
		t.Helper()
		id, err := p.StartRun(ctx, RunInfo{Command: CommandRelease, ReleaseVersion: version})
		if err != nil {
			t.Fatal(err)
		}
		if res != nil {
			if err := p.RecordPlan(ctx, id, res); err != nil {
				t.Fatal(err)
			}
		}
		if after != nil {
			if err := p.RecordApplied(ctx, id, before, after); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.FinishRun(ctx, id, outcome, 0, ""); err != nil {
			t.Fatal(err)
		}
		return id
	}
	unsafe := analysis.Finding{Rule: "add-field-not-null", Severity: analysis.Unsafe, Operation: "AddField", Message: "old INSERTs fail",
		Approval: &analysis.Approval{By: analysis.ByAllowList, Entry: "shop.0006_vip"}}
	base := []plan.MigrationKey{k("0004_base")}
	record(2, OutcomeNothingPending, &analysis.Result{Safe: true}, nil, nil)
	v3 := record(3, OutcomeApplied, &analysis.Result{Safe: true, Migrations: []analysis.MigrationResult{
		{Migration: plan.Migration{App: "shop", Name: "0005_phone"}, Safe: true, Findings: []analysis.Finding{}}}},
		base, append(base, k("0005_phone")))
	// v4's plan holds 0006 only (approved); the squashed 0007 is recorded applied without a plan.
	v4 := record(4, OutcomeApplied, &analysis.Result{Safe: true, Migrations: []analysis.MigrationResult{
		{Migration: plan.Migration{App: "shop", Name: "0006_vip"}, Safe: true, Findings: []analysis.Finding{unsafe}}}},
		append(base, k("0005_phone")), append(base, k("0005_phone"), k("0006_vip"), k("0007_squashed")))
	// A refusal planned 0008 and was never applied; 0008 was applied by hand afterwards.
	refused := record(5, OutcomeRefused, &analysis.Result{Migrations: []analysis.MigrationResult{
		{Migration: plan.Migration{App: "shop", Name: "0008_drop"}, Findings: []analysis.Finding{{Rule: "remove-field", Severity: analysis.Unsafe}}}}}, nil, nil)

	got, err := p.Provenance(ctx, []plan.MigrationKey{k("0005_phone"), k("0006_vip"), k("0007_squashed"), k("0008_drop"), k("0009_unknown")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("%d provenances", len(got))
	}
	check := func(i int, appliedBy, plannedIn int64, version int) {
		t.Helper()
		g := got[i]
		var by int64
		if g.AppliedBy != nil {
			by = g.AppliedBy.ID
			if g.AppliedBy.ReleaseVersion != version {
				t.Errorf("%s applied by v%d, want v%d", g.Key, g.AppliedBy.ReleaseVersion, version)
			}
		}
		if by != appliedBy || g.PlannedIn != plannedIn || g.Known() != (plannedIn != 0) {
			t.Errorf("%s: applied by run %d, planned in %d (known %v); want %d, %d", g.Key, by, g.PlannedIn, g.Known(), appliedBy, plannedIn)
		}
	}
	check(0, v3, v3, 3)
	check(1, v4, v4, 4)
	check(2, v4, 0, 4)
	check(3, 0, refused, 0)
	check(4, 0, 0, 0)
	if f := got[1].Planned.Findings; len(f) != 1 || f[0].Rule != "add-field-not-null" || f[0].Approval == nil {
		t.Errorf("0006's findings as recorded: %+v", f)
	}

	for _, c := range []struct{ before, want int }{{5, 4}, {4, 3}, {3, 2}, {2, 0}} {
		if v, err := p.LastSucceededBefore(ctx, c.before); err != nil || v != c.want {
			t.Errorf("LastSucceededBefore(%d) = %d, %v; want %d", c.before, v, err, c.want)
		}
	}
}
