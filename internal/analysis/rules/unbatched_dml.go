package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// smallTableRows is the planner estimate under which a whole-table UPDATE is quick enough to
// leave alone.
const smallTableRows = 10000

// UnbatchedDML: an UPDATE without WHERE rewrites every row of an existing table in one statement,
// holding every row's lock until the migration commits. Quiet when the live catalog estimates the
// table under smallTableRows rows; without an estimate (lint, a never-analysed table) the table is
// assumed large. DELETE without WHERE is destructive-nonempty's; statements with a WHERE are not
// judged (zdcd cannot tell how many rows they touch).
var UnbatchedDML = analysis.Rule{
	Name:      "unbatched-dml",
	Severity:  analysis.Unsafe,
	Summary:   "UPDATE without WHERE locks and rewrites every row of the table in one transaction",
	Statement: unbatchedDML,
}

func unbatchedDML(p *analysis.Pass, st *analysis.Stmt) {
	u, ok := st.Statement.(*sqlparse.Update)
	if !ok || u.HasWhere {
		return
	}
	table := analysis.TableName(u.Table)
	if p.Created(table) {
		return
	}
	size := "zdcd has no size estimate, so assumes it is large"
	if se, ok := p.Catalog.(sizeEstimator); ok {
		if rows, ok := se.EstimatedRows(table); ok {
			if rows < smallTableRows {
				return
			}
			size = fmt.Sprintf("about %d rows", rows)
		}
	}
	p.ReportStmt(st,
		fmt.Sprintf("UPDATE %s without WHERE changes every row in one statement (%s): each row stays locked until the migration commits, so the old code's UPDATEs and DELETEs of %s wait (or hit their timeouts) for the whole run, and it writes a new version of every row (WAL volume, replica lag, bloat) — time proportional to the table.",
			table, size, table),
		strings.Join([]string{
			"Backfill in batches, outside the schema migration: a management command after the deploy (or a non-atomic data migration) that updates by primary-key range, e.g.",
			fmt.Sprintf("UPDATE %s SET ... WHERE id >= %%s AND id < %%s (1,000–10,000 rows per transaction, a short pause between batches), re-runnable until nothing is left.", identSQL(table)),
		}, "\n"))
}
