package migrate

import (
	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// Migration is what the runner needs to know about one pending migration, taken from the plan's
// statements (analysis.Sequence).
type Migration struct {
	Key plan.MigrationKey
	// Replaces are the migrations a squashed migration stands for: Django records them too.
	Replaces []plan.MigrationKey
	// Locks is the strongest table lock the migration takes on each table (or index) it touches.
	Locks map[string]analysis.LockMode
	// WaitsByDesign is true when the migration runs a statement that waits for other transactions
	// on purpose (CREATE INDEX / REINDEX / DROP INDEX CONCURRENTLY, VALIDATE CONSTRAINT, DETACH
	// PARTITION CONCURRENTLY) and takes no lock that blocks the app's reads or writes (every lock
	// is weaker than SHARE). Such a migration runs with lock_timeout=0 and only
	// statement_timeout: a short lock_timeout would only make it fail, and waiting harms no one.
	WaitsByDesign bool
	// Indexes are the indexes the migration builds CONCURRENTLY: a build cancelled midway leaves
	// them INVALID, and the runner drops them before the next attempt.
	Indexes []sqlparse.Name
}

// FromPlan returns the runner's view of every pending migration of p, in plan order.
func FromPlan(p *plan.Plan, ctx analysis.Context) []Migration {
	out := make([]Migration, 0, len(p.Migrations))
	for i := range p.Migrations {
		m := &p.Migrations[i]
		stmts, _ := analysis.Sequence(m, ctx)
		mig := fromStmts(m.Key(), stmts)
		mig.Replaces = m.Replaces
		out = append(out, mig)
	}
	return out
}

func fromStmts(key plan.MigrationKey, stmts []*analysis.Stmt) Migration {
	mig := Migration{Key: key, Locks: map[string]analysis.LockMode{}}
	waits, blocksApp := false, false
	for _, st := range stmts {
		for _, e := range st.Effects {
			if e.Mode > mig.Locks[e.Table] {
				mig.Locks[e.Table] = e.Mode
			}
			if e.Mode >= analysis.Share {
				blocksApp = true
			}
		}
		switch s := st.Statement.(type) {
		case *sqlparse.CreateIndex:
			if s.Concurrently {
				waits = true
				if s.Name != "" {
					mig.Indexes = append(mig.Indexes, sqlparse.Name{Schema: s.Table.Schema, Name: s.Name})
				}
			}
		case *sqlparse.Reindex:
			waits = waits || s.Concurrently
		case *sqlparse.Drop:
			waits = waits || (s.Object == "INDEX" && s.Concurrently)
		case *sqlparse.AlterTable:
			for _, c := range s.Cmds {
				if c.Action == sqlparse.ValidateConstraint || (c.Action == sqlparse.DetachPartition && c.Concurrently) {
					waits = true
				}
			}
		}
	}
	mig.WaitsByDesign = waits && !blocksApp
	return mig
}
