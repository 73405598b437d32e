package analysis

import "github.com/zdcd/zdcd/internal/plan"

// Sequence returns the statements migration m runs, in the order the database runs them (Django's
// deferred statements last), each with its transaction context and its Effects: exactly the
// statements Analyze hands to the statement rules under ctx, built by the same walk, with no rule
// run. The findings are the analyser's own about SQL it could not judge (sql-not-rendered,
// sql-unparseable); the statements concerned are missing from the list.
//
// `check --trace` (internal/trace) runs these statements on a scratch database and compares what
// the server did with their Effects.
func Sequence(m *plan.Migration, ctx Context) ([]*Stmt, []Finding) {
	findings := []Finding{}
	p := &Pass{Context: ctx, Migration: m, Ops: flatten(m.Operations), created: map[string]bool{}, findings: &findings}
	analyseMigration(p, nil, nil)
	return p.Stmts, findings
}
