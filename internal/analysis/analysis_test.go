package analysis

import (
	"testing"

	"github.com/zdcd/zdcd/internal/plan"
)

func TestAnalyzeFailsClosed(t *testing.T) {
	panics := Rule{Name: "panics", Severity: Warning, Operation: func(p *Pass, op *plan.Operation) { panic("boom") }}
	p := &plan.Plan{Migrations: []plan.Migration{
		{App: "a", Name: "0001", Operations: []plan.Operation{{Class: "CreateModel", Line: 7}}},
		{App: "a", Name: "0002", Operations: []plan.Operation{{Class: "AlterField", Line: 9, SQLError: "Found wrong number (0) of constraints"}}},
	}}
	res := Analyze(p, Context{ServerVersion: 150004}, []Rule{panics})
	if res.Safe {
		t.Fatal("a crashed rule left the release safe")
	}
	m0 := res.Migrations[0]
	if m0.Safe || len(m0.Findings) != 1 || m0.Findings[0].Rule != RuleCrashed || m0.Findings[0].Line != 7 {
		t.Fatalf("migration 0001: %+v", m0)
	}
	m1 := res.Migrations[1]
	rules := map[string]bool{}
	for _, f := range m1.Findings {
		rules[f.Rule] = true
	}
	if m1.Safe || !rules[SQLNotRendered] {
		t.Fatalf("migration 0002: %+v", m1)
	}
	if res.ServerVersion != 150004 || res.Allowed() || res.Unsafe() != 2 {
		t.Fatalf("result %+v", res)
	}
}

func TestAnalyzeContext(t *testing.T) {
	var seen []string
	var createdSeen []bool
	spy := Rule{Name: "spy", Severity: Warning, Operation: func(p *Pass, op *plan.Operation) {
		seen = append(seen, op.Class)
		createdSeen = append(createdSeen, p.Created("shop_item"))
	}}
	p := &plan.Plan{Migrations: []plan.Migration{
		{App: "shop", Name: "0001", Atomic: true, Operations: []plan.Operation{
			{Class: "CreateModel", SQL: []plan.Statement{{SQL: `CREATE TABLE "shop_item" ("id" bigint NOT NULL PRIMARY KEY)`}}},
			{Class: "SeparateDatabaseAndState",
				DatabaseOperations: []plan.Operation{{Class: "RunSQL"}},
				StateOperations:    []plan.Operation{{Class: "RemoveField"}}},
		}},
		{App: "shop", Name: "0002", Operations: []plan.Operation{{Class: "AddIndex"}}},
	}}
	res := Analyze(p, Context{Nightly: true}, []Rule{spy})
	want := []string{"CreateModel", "RunSQL", "AddIndex"}
	if len(seen) != len(want) {
		t.Fatalf("rules saw %v, want %v (state operations of SeparateDatabaseAndState run no SQL)", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("rules saw %v, want %v", seen, want)
		}
	}
	// The creating operation does not see its table as pre-existing-and-new; every later one does.
	if createdSeen[0] || !createdSeen[1] || !createdSeen[2] {
		t.Fatalf("created tables seen %v, want [false true true]", createdSeen)
	}
	if !res.Safe || !res.Nightly || !res.Allowed() {
		t.Fatalf("result %+v", res)
	}
}

// Statements reach the rules in the order the database runs them, with their transaction context.
func TestAnalyzeStatements(t *testing.T) {
	type obs struct {
		text     string
		inTx     bool
		deferred bool
		heldT    LockMode
	}
	var got []obs
	spy := Rule{Name: "spy", Severity: Warning, Statement: func(p *Pass, st *Stmt) {
		got = append(got, obs{st.Info().Text, st.InTransaction, st.Deferred, st.Held["t"]})
	}}
	mig := func(atomic bool) plan.Plan {
		return plan.Plan{Migrations: []plan.Migration{{App: "a", Name: "0001", Atomic: atomic, Operations: []plan.Operation{
			{Class: "AddField", SQL: []plan.Statement{
				{SQL: "ALTER TABLE t ADD COLUMN c int"},
				{SQL: "CREATE INDEX i ON t (c)", Deferred: true},
			}},
			{Class: "RunSQL", SQL: []plan.Statement{{SQL: "UPDATE u SET x = 1; COMMENT ON TABLE t IS 'x'"}}},
		}}}}
	}
	atomic := mig(true)
	Analyze(&atomic, Context{}, []Rule{spy})
	want := []obs{
		{"ALTER TABLE t ADD COLUMN c int", true, false, NoLock},
		{"UPDATE u SET x = 1", true, false, AccessExclusive},
		{"COMMENT ON TABLE t IS 'x'", true, false, AccessExclusive},
		{"CREATE INDEX i ON t (c)", true, true, AccessExclusive},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("statement %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	got = nil
	nonAtomic := mig(false)
	Analyze(&nonAtomic, Context{}, []Rule{spy})
	if got[0].inTx || !got[1].inTx || got[1].heldT != NoLock || got[3].inTx || got[3].heldT != NoLock {
		t.Errorf("non-atomic: each string is its own (implicit) transaction: %+v", got)
	}
}

func TestAnalyzeUnparseableSQLIsUnsafe(t *testing.T) {
	p := &plan.Plan{Migrations: []plan.Migration{{App: "a", Name: "0001", Atomic: true, Operations: []plan.Operation{
		{Class: "RunSQL", Line: 12, SQL: []plan.Statement{{SQL: "ALTER TABLE t ADD COLUMN;"}}},
	}}}}
	res := Analyze(p, Context{}, nil)
	m := res.Migrations[0]
	if m.Safe || len(m.Findings) != 1 || m.Findings[0].Rule != SQLUnparseable || m.Findings[0].Line != 12 {
		t.Fatalf("%+v", m)
	}
}
