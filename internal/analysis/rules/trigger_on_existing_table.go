package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// TriggerOnExistingTable: CREATE TRIGGER on an existing table takes a SHARE ROW EXCLUSIVE lock,
// which blocks writes while it waits and until its transaction ends; and the trigger fires for the
// old code's writes as soon as it commits. Quick by itself: a warning.
var TriggerOnExistingTable = analysis.Rule{
	Name:      "trigger-on-existing-table",
	Severity:  analysis.Warning,
	Summary:   "CREATE TRIGGER on an existing table blocks its writes while the lock is queued and held",
	Statement: triggerOnExistingTable,
}

func triggerOnExistingTable(p *analysis.Pass, st *analysis.Stmt) {
	tr, ok := st.Statement.(*sqlparse.CreateTrigger)
	if !ok {
		return
	}
	table := analysis.TableName(tr.Table)
	if p.Created(table) {
		return
	}
	p.ReportStmt(st,
		fmt.Sprintf("CREATE TRIGGER %s takes a SHARE ROW EXCLUSIVE lock on %s: every INSERT, UPDATE and DELETE on %s waits while the lock waits for running transactions%s. "+
			"From the commit on, the trigger also runs for every write of the old code still serving traffic.", tr.Name, table, table, lockHeldUntil(p, st)),
		strings.Join([]string{
			"Keep the trigger in a short migration of its own (nothing slow after it in the same transaction), so the lock is held only for an instant; zdcd's lock_timeout and retries bound the wait.",
			"Make sure the trigger function accepts the rows the old code writes (columns it does not know about, NULLs it leaves).",
			"On a table that is written constantly, ship it in a low-traffic window.",
		}, "\n"))
}
