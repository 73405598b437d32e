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

// UnbatchedDML: an UPDATE or DELETE that may touch most of an existing table — no WHERE, or a
// WHERE that does not pin a key (`col IS NULL`, `status = 'done'`, a one-sided range, LIKE...) — changes every matching
// row in one statement, holding every row's lock until the migration commits. Quiet when the WHERE
// pins a key to values (`id = 5`, `id BETWEEN 1 AND 5000`, `code IN ('a', 'b')` with code unique),
// or when the live catalog estimates the table
// under smallTableRows rows; without an estimate (lint, a never-analysed table) the table is
// assumed large. DELETE without WHERE is destructive-nonempty's; Django's own UPDATE in an
// AlterField null→not null is not-null-with-default-update's.
var UnbatchedDML = analysis.Rule{
	Name:      "unbatched-dml",
	Severity:  analysis.Unsafe,
	Summary:   "UPDATE or DELETE over most of a table locks and rewrites every matching row in one transaction",
	Statement: unbatchedDML,
}

func unbatchedDML(p *analysis.Pass, st *analysis.Stmt) {
	var verb, where string
	var tableName sqlparse.Name
	var pinned []string
	switch s := st.Statement.(type) {
	case *sqlparse.Update:
		if st.Op.Class == "AlterField" {
			return
		}
		verb, tableName, pinned = "UPDATE", s.Table, s.Pinned
		where = "without WHERE"
		if s.HasWhere {
			where = "with a WHERE that does not pin it to a key"
		}
	case *sqlparse.Delete:
		if !s.HasWhere {
			return
		}
		verb, tableName, pinned, where = "DELETE", s.Table, s.Pinned, "with a WHERE that does not pin it to a key"
	default:
		return
	}
	table := analysis.TableName(tableName)
	if p.Created(table) || pinsKey(p, table, pinned) {
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
		fmt.Sprintf("%s %s %s may change most rows in one statement (%s): each row stays locked until the migration commits, so the old code's UPDATEs and DELETEs of %s wait (or hit their timeouts) for the whole run, and it writes a new version of every row (WAL volume, replica lag, bloat) — time proportional to the table.",
			verb, table, where, size, table),
		strings.Join([]string{
			"Backfill in batches, outside the schema migration: a management command after the deploy (or a non-atomic data migration) that updates by primary-key range, e.g.",
			fmt.Sprintf("%s ... %s ... WHERE <your condition> AND id >= %%s AND id < %%s (1,000–10,000 rows per transaction, a short pause between batches), re-runnable until nothing is left.", verb, quoteIdent(table)),
		}, "\n"))
}

// uniqueColumns: whether a single-column unique index (or primary key) covers column.
type uniqueColumns interface {
	UniqueColumn(table, column string) bool
}

// pinsKey reports a WHERE pinning a key column — the row (or one bounded batch) is known:
// Django's primary key `id`, or a column the live catalog knows to be unique on its own.
func pinsKey(p *analysis.Pass, table string, pinned []string) bool {
	uc, _ := p.Catalog.(uniqueColumns)
	for _, col := range pinned {
		if col == "id" || uc != nil && uc.UniqueColumn(table, col) {
			return true
		}
	}
	return false
}
