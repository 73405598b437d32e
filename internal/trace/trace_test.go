package trace

import (
	"context"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
)

func runSQL(app, name string, atomic bool, sql ...string) plan.Migration {
	m := plan.Migration{App: app, Name: name, Atomic: atomic}
	for i, s := range sql {
		m.Operations = append(m.Operations, plan.Operation{Class: "RunSQL", Line: 10 + i, SQL: []plan.Statement{{SQL: s}}})
	}
	return m
}

// Migrations build on each other in one transaction; what cannot be traced is said, a failure
// stops the trace, and the scratch database ends as it began.
func TestRunPlan(t *testing.T) {
	ctx := context.Background()
	conn := connectScratch(t)
	columns := func() string {
		var s string
		if err := conn.QueryRow(ctx, "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'items'::regclass AND attnum > 0").Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := columns()
	python := runSQL("shop", "0003_backfill", true)
	python.Operations = append(python.Operations, plan.Operation{Class: "RunPython", Line: 7, Python: &plan.PythonCode{Function: "shop.migrations.fill"}})
	pl := &plan.Plan{Migrations: []plan.Migration{
		runSQL("shop", "0001_add_a", true, "ALTER TABLE items ADD COLUMN a integer", "CREATE INDEX items_a ON items (a)"),
		runSQL("shop", "0002_add_b", true, "ALTER TABLE items ADD COLUMN b integer", "CREATE INDEX items_b ON items (b)"),
		python,
		runSQL("shop", "0004_concurrently", false, "CREATE INDEX CONCURRENTLY items_c ON items (code)"),
		runSQL("shop", "0005_commits", true, "UPDATE items SET flag = true WHERE id = 1; COMMIT"),
		runSQL("shop", "0006_add_a_again", true, "ALTER TABLE items ADD COLUMN a integer"),
		runSQL("shop", "0007_after", true, "ALTER TABLE items ADD COLUMN z integer"),
	}}
	res, err := Run(ctx, conn, FromPlan(pl, analysis.Context{ServerVersion: 150000}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if conn.PgConn().TxStatus() != 'I' {
		t.Fatalf("the connection is left in a transaction (%c)", conn.PgConn().TxStatus())
	}
	if after := columns(); after != before {
		t.Errorf("the scratch database changed: columns %s, were %s", after, before)
	}
	want := []struct {
		status Status
		reason string
	}{
		{Traced, ""},
		{Traced, ""},
		{Traced, ""},
		{NotTraced, "atomic = False"},
		{NotTraced, "runs COMMIT itself"},
		{Failed, `column "a" of relation "items" already exists`},
		{NotTraced, "shop.0006_add_a_again failed on the scratch database"},
	}
	for i, w := range want {
		m := res.Migrations[i]
		if m.Status != w.status || !strings.Contains(m.Reason, w.reason) {
			t.Errorf("%s.%s: %s %q, want %s %q", m.App, m.Name, m.Status, m.Reason, w.status, w.reason)
		}
	}
	if n := res.Migrations[2].Notes; len(n) != 1 || !strings.Contains(n[0], "RunPython at line 7 is not run") {
		t.Errorf("RunPython note: %v", n)
	}
	// 0001 takes ACCESS EXCLUSIVE then SHARE on items: observed. 0002 claims the same modes, which
	// the transaction holds already: not observable, and said so, rather than a mismatch.
	first, second := res.Migrations[0].Statements, res.Migrations[1].Statements
	if got := first[0].Tables[0]; got.Verdict != VerdictOK || got.Observed.Mode != Lock(analysis.AccessExclusive) {
		t.Errorf("0001 ADD COLUMN: %+v", got)
	}
	if got := first[1].Tables[0]; got.Verdict != VerdictOK || got.Observed.Mode != Lock(analysis.Share) {
		t.Errorf("0001 CREATE INDEX: %+v", got)
	}
	for _, s := range second {
		got := s.Tables[0]
		if got.Verdict != VerdictUnobservable || len(got.Notes) == 0 || !strings.Contains(got.Notes[0], "an earlier migration of this trace already took") {
			t.Errorf("0002 %s: %+v", s.SQL, got)
		}
	}
	if res.Mismatches() != 0 {
		t.Errorf("%d mismatches", res.Mismatches())
	}
}

// COMMIT fires the deferred constraint checks: the trace fires them at the end of each
// migration, so a migration that would fail at COMMIT fails in the trace too.
func TestRunDeferredChecks(t *testing.T) {
	ctx := context.Background()
	conn := connectScratch(t)
	pl := &plan.Plan{Migrations: []plan.Migration{
		runSQL("shop", "0001_deferred_fk", true,
			"ALTER TABLE droppable ADD CONSTRAINT droppable_parent FOREIGN KEY (id) REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED",
			"INSERT INTO droppable VALUES (999999, 'orphan')"),
	}}
	res, err := Run(ctx, conn, FromPlan(pl, analysis.Context{ServerVersion: 150000}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Migrations[0]
	if m.Status != Failed || !strings.Contains(m.Reason, `violates foreign key constraint "droppable_parent"`) {
		t.Fatalf("want the deferred check to fail the migration: %s %s", m.Status, m.Reason)
	}
	if last := m.Statements[len(m.Statements)-1]; !strings.HasPrefix(last.SQL, "COMMIT (deferred constraint checks") {
		t.Errorf("the failure is not attributed to COMMIT: %q", last.SQL)
	}
}
