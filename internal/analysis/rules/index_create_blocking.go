package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// IndexCreateBlocking: CREATE INDEX without CONCURRENTLY on an existing table holds a SHARE lock
// for the whole build, blocking every INSERT, UPDATE and DELETE on the table.
var IndexCreateBlocking = analysis.Rule{
	Name:         "index-create-blocking",
	Severity:     analysis.Unsafe,
	WhileRunning: true,
	Summary:      "CREATE INDEX without CONCURRENTLY blocks writes to the table for the whole build",
	Statement:    indexCreateBlocking,
}

func indexCreateBlocking(p *analysis.Pass, st *analysis.Stmt) {
	ci, ok := st.Statement.(*sqlparse.CreateIndex)
	if !ok || ci.Concurrently {
		return
	}
	table := analysis.TableName(ci.Table)
	if p.Created(table) {
		return // empty, and no old code writes to it
	}
	kind := "index"
	if ci.Unique {
		kind = "unique index"
	}
	when := "for the whole build, which reads every row"
	if st.Deferred && st.InTransaction {
		when += "; Django runs it at the end of the migration, and the transaction keeps the lock until commit"
	}
	p.ReportStmt(st,
		fmt.Sprintf("Building %s %s on %s takes a SHARE lock that blocks every INSERT, UPDATE and DELETE on %s %s.",
			kind, ci.Name, table, table, when),
		strings.Join([]string{
			"Build the index without blocking writes: CREATE " + strings.ToUpper(kind) + " CONCURRENTLY IF NOT EXISTS, outside a transaction.",
			"Django: a migration of its own with `atomic = False`, holding SeparateDatabaseAndState(database_operations=[RunSQL(\"DROP INDEX CONCURRENTLY IF EXISTS " + ci.Name + "\"), RunSQL(\"CREATE " + strings.ToUpper(kind) + " CONCURRENTLY IF NOT EXISTS " + ci.Name + " ON " + table + " (...)\")], state_operations=[AddIndex(...)]) — " +
				"repeatable after a cancelled build (see non-atomic-non-idempotent); for db_index=True / unique=True on a new field, add the field without it first.",
			"A cancelled concurrent build leaves an INVALID index behind: the DROP ... IF EXISTS above clears it before the retry.",
		}, "\n"))
}
