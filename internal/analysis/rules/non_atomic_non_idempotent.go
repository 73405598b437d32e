package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// NonAtomicNonIdempotent: a migration with `atomic = False` commits statement by statement. When
// something fails midway (a lock timeout zdcd retries, a duplicate key), Django has not recorded
// the migration, so the retry runs it from the start — and a statement that already committed
// fails the second time ("already exists", "does not exist"): the deploy is stuck until someone
// repairs the database by hand.
//
// The sharpest case is CREATE INDEX CONCURRENTLY without IF NOT EXISTS: cancelled midway, it
// leaves an INVALID index behind under its name, so even a migration holding only that statement
// cannot be retried — in a plain .sql file. Django's migrations (AddIndexConcurrently) are applied
// by zdcd-release's runner, which drops such INVALID leftovers before every attempt
// (internal/migrate), so there the build alone is repeatable and only counts as a step that
// cannot run twice once it has succeeded.
//
// Only statements whose rerun fails are counted; CREATE VIEW / FUNCTION / EXTENSION / SEQUENCE,
// whose OR REPLACE / IF NOT EXISTS zdcd does not see, and DML are not.
var NonAtomicNonIdempotent = analysis.Rule{
	Name:         "non-atomic-non-idempotent",
	Severity:     analysis.Unsafe,
	WhileRunning: true,
	Summary:      "non-atomic migration that cannot be run again after a partial failure (missing IF [NOT] EXISTS): retries fail and the deploy is stuck",
	Migration:    nonAtomicNonIdempotent,
}

func nonAtomicNonIdempotent(p *analysis.Pass) {
	if p.Migration.Atomic {
		return
	}
	ids := lockTxIDs(p)
	last := -1
	if len(ids) > 0 {
		last = ids[len(ids)-1]
	}
	var stuck []*analysis.Stmt
	var reasons []string
	for i, st := range p.Stmts {
		if ci, ok := st.Statement.(*sqlparse.CreateIndex); ok && ci.Concurrently {
			if ci.IfNotExists || st.InTransaction {
				continue
			}
			if st.Op != nil && st.Op.Class == sqlFileOp {
				// A plain .sql file: whoever runs it leaves the INVALID index behind.
				bareConcurrentIndex(p, st, ci)
				continue
			}
			// Django's migrate under zdcd-release: the runner drops the INVALID leftover of a
			// cancelled build before the retry, so the build alone is repeatable; a VALID index
			// is not dropped, so it still counts when a later step can fail.
		}
		reason := rerunFails(st)
		if reason == "" {
			continue
		}
		if ids[i] == last && !pythonAfter(p, st) {
			continue // the last transaction rolls back as a whole when it fails
		}
		stuck = append(stuck, st)
		reasons = append(reasons, reason)
	}
	if len(stuck) == 0 {
		return
	}
	list := make([]string, 0, 3)
	for k, st := range stuck {
		if k == 3 {
			list = append(list, fmt.Sprintf("and %d more", len(stuck)-3))
			break
		}
		list = append(list, fmt.Sprintf("%s (%s: %s)", lockShort(st.Info().Text), lockWhere(st), reasons[k]))
	}
	p.ReportStmt(stuck[0],
		"This migration has `atomic = False`, so each statement commits on its own. If a later step fails (a lock timeout, which zdcd retries; a duplicate; a deploy cut short), "+
			"Django has not recorded the migration and runs it again from the start, where these statements, already committed, fail the second time: "+strings.Join(list, "; ")+
			". The retry fails the same way every time and the deploy is stuck until someone repairs the database by hand.",
		strings.Join([]string{
			"Keep in a non-atomic migration only what must run outside a transaction (a CONCURRENTLY statement), one per migration; move the other operations to a normal atomic migration before or after it.",
			"If they must stay, make each statement safe to run twice: ADD COLUMN IF NOT EXISTS, CREATE TABLE / INDEX ... IF NOT EXISTS, DROP ... IF EXISTS, DROP COLUMN IF EXISTS (ADD CONSTRAINT has no such guard: give it an atomic migration of its own). " +
				"For Django operations this means RunSQL with the guarded SQL, wrapped in SeparateDatabaseAndState(database_operations=[RunSQL(...)], state_operations=[<the original operation>]).",
		}, "\n"))
}

// sqlFileOp is the operation class of a statement read from a plain .sql file (internal/sqlfiles).
const sqlFileOp = "SQL"

func bareConcurrentIndex(p *analysis.Pass, st *analysis.Stmt, ci *sqlparse.CreateIndex) {
	name := quoteIdent(ci.Name)
	p.ReportStmt(st,
		fmt.Sprintf("CREATE INDEX CONCURRENTLY %s has no IF NOT EXISTS. A concurrent build that is cancelled or fails midway (a lock timeout, which zdcd retries; a duplicate key for a unique index; a deploy cut short) "+
			"leaves an INVALID index named %s behind, and Django has not recorded the migration: every retry then fails with \"relation %s already exists\" and the deploy is stuck.",
			ci.Name, ci.Name, ci.Name),
		strings.Join([]string{
			"Make the build repeatable, in this migration with `atomic = False`: replace AddIndexConcurrently (or the bare statement) with",
			fmt.Sprintf("SeparateDatabaseAndState(database_operations=[RunSQL('DROP INDEX CONCURRENTLY IF EXISTS %s;', reverse_sql=migrations.RunSQL.noop), "+
				"RunSQL('%s;', reverse_sql='DROP INDEX CONCURRENTLY IF EXISTS %s;')], state_operations=[AddIndex(model, models.Index(..., name=%q))])",
				name, lockConcurrentIndexSQL(ci), name, ci.Name),
			"The DROP removes an INVALID leftover of a failed attempt (IF NOT EXISTS alone would keep it: an index that is never used and, for a unique index, enforces nothing); each RunSQL is sent on its own, outside a transaction.",
		}, "\n"))
}

// rerunFails says why st fails when run a second time ("" when it does not).
func rerunFails(st *analysis.Stmt) string {
	switch s := st.Statement.(type) {
	case *sqlparse.CreateTable:
		if !s.IfNotExists {
			return "the table already exists"
		}
	case *sqlparse.CreateIndex:
		if !s.IfNotExists {
			return "the index already exists"
		}
	case *sqlparse.Drop:
		if !s.IfExists {
			return "the " + strings.ToLower(s.Object) + " no longer exists"
		}
	case *sqlparse.Rename:
		return "the old name no longer exists"
	case *sqlparse.CreateEnum, *sqlparse.CreateDomain:
		return "the type already exists"
	case *sqlparse.AlterEnum:
		if !s.IfNotExists {
			return "the enum value already exists"
		}
	case *sqlparse.CreateTrigger:
		if !s.Replace {
			return "the trigger already exists"
		}
	case *sqlparse.AlterTable:
		for _, c := range s.Cmds {
			switch {
			case c.Action == sqlparse.AddColumn && !c.IfNotExists:
				return "the column already exists"
			case c.Action == sqlparse.DropColumn && !c.IfExists:
				return "the column no longer exists"
			case c.Action == sqlparse.AddConstraint:
				return "the constraint already exists"
			case c.Action == sqlparse.DropConstraint && !c.IfExists:
				return "the constraint no longer exists"
			case c.Action == sqlparse.AttachPartition:
				return "the table is already a partition"
			case c.Action == sqlparse.DetachPartition:
				return "the table is no longer a partition"
			case c.Action == sqlparse.AddIdentity:
				return "the column is already an identity column"
			}
		}
	}
	return ""
}

// pythonAfter reports a RunPython operation of the migration after the one that runs st.
func pythonAfter(p *analysis.Pass, st *analysis.Stmt) bool {
	seen := false
	for _, op := range p.Ops {
		if op == st.Op {
			seen = true
			continue
		}
		if seen && op.Class == "RunPython" {
			return true
		}
	}
	return false
}
