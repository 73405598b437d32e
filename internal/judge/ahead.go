package judge

// Schema ahead of code (DESIGN.md "Release phase" 9): the applied migrations the code being
// released lacks, judged from what the ledger recorded about them.

import (
	"context"
	"slices"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/analysis/rules"
	"github.com/zdcd/zdcd/internal/database"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/plan"
)

// Ahead judges the applied migrations the code lacks (plan.Plan.Ahead) from what the ledger
// recorded about them (prov, in the same order as the keys asked for: those with AfterCode).
// Pure: the release and `check` (Judge.JudgeAhead) share it.
//
//   - Recorded before every migration the code knows (AfterCode false): left behind, not judged.
//   - A recorded plan holds it: incompatible when that plan found anything unsafe in it,
//     approved or not, that outlasts the migration's run; compatible otherwise (a blocking index
//     build or a table rewrite was a hazard while it ran, not for older code afterwards).
//   - No recorded plan: unknown.
func Ahead(ahead []plan.Ahead, prov []ledger.Provenance) []analysis.Ahead {
	byKey := map[plan.MigrationKey]ledger.Provenance{}
	for _, p := range prov {
		byKey[p.Key] = p
	}
	out := make([]analysis.Ahead, 0, len(ahead))
	for _, a := range ahead {
		j := analysis.Ahead{App: a.App, Name: a.Name, AppInstalled: a.AppInstalled, Verdict: analysis.AheadUnknown}
		p, ok := byKey[a.Key()]
		if ok && p.AppliedBy != nil {
			j.AppliedByRelease, j.AppliedByRun = p.AppliedBy.ReleaseVersion, p.AppliedBy.ID
		}
		switch {
		case !a.AfterCode:
			j.Verdict = analysis.AheadLeftBehind
		case ok && p.Known():
			j.Verdict = analysis.AheadCompatible
			for _, f := range p.Planned.Findings {
				if f.Severity != analysis.Unsafe {
					continue
				}
				if !BreaksOlderCode(f) {
					// A lock or a rewrite while it ran: over once it was applied.
					j.RunHazards = appendOnce(j.RunHazards, f.Rule)
					continue
				}
				j.Verdict = analysis.AheadIncompatible
				j.Findings = append(j.Findings, f)
			}
		}
		out = append(out, j)
	}
	return out
}

// BreaksOlderCode reports whether a recorded finding means older code may not run on the schema
// its migration left: an unsafe finding, approved or not, of a rule whose hazard outlasts the
// run (not analysis.Rule.WhileRunning). A rule this binary does not know counts: fail closed.
// The schema-ahead judgement and `zdcd-release rollback` share it.
func BreaksOlderCode(f analysis.Finding) bool {
	if f.Severity != analysis.Unsafe {
		return false
	}
	r, ok := rules.ByName(f.Rule)
	return !ok || !r.WhileRunning
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// AheadKeys are the keys of the ahead migrations the ledger is asked about (AfterCode).
func AheadKeys(ahead []plan.Ahead) []plan.MigrationKey {
	var keys []plan.MigrationKey
	for _, a := range ahead {
		if a.AfterCode {
			keys = append(keys, a.Key())
		}
	}
	return keys
}

// JudgeAhead judges, for `check`, the applied migrations the code does not contain as the
// release phase would: from the ledger, read without creating it (no ledger: every one is
// unknown). The verdicts go into a's result; one the ledger records as incompatible makes the
// result unsafe, as it refuses the release.
func (j *Judge) JudgeAhead(ctx context.Context, a *Judged) error {
	if len(a.Plan.Ahead) == 0 {
		return nil
	}
	cfg := j.Config
	dbURL, err := cfg.RequireDatabase()
	if err != nil {
		return err
	}
	db, err := database.Connect(ctx, dbURL.ConnString(), cfg.DatabaseVar)
	if err != nil {
		return err
	}
	defer db.Close(context.WithoutCancel(ctx))
	var prov []ledger.Provenance
	opts := ledger.Options{Redactor: cfg.Redactor(), Secrets: []string{cfg.APIKey.Reveal(), dbURL.Password.Reveal()}}
	store, ok, err := ledger.OpenExisting(ctx, db.Conn, opts)
	if err != nil {
		return err
	}
	if ok {
		if prov, err = store.Provenance(ctx, AheadKeys(a.Plan.Ahead)); err != nil {
			return err
		}
	}
	a.Result.Ahead = Ahead(a.Plan.Ahead, prov)
	if AheadBlocks(a.Result) {
		a.Result.Safe = false
	}
	return nil
}

// AheadBlocks reports whether an applied migration the code lacks refuses the release: neither
// NIGHTLY_BUILD nor an approval lets older code survive it.
func AheadBlocks(r *analysis.Result) bool {
	for _, a := range r.Ahead {
		if a.Blocks() {
			return true
		}
	}
	return false
}
