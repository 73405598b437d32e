package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// WideIndex: a non-unique B-tree index on more than three columns rarely helps more than its first
// columns do, and costs every write.
var WideIndex = analysis.Rule{
	Name:      "wide-index",
	Severity:  analysis.Warning,
	Summary:   "A non-unique B-tree index on more than 3 columns rarely beats one on its leading columns, and every write pays for it",
	Statement: wideIndex,
}

// wideIndexMax is the number of key columns above which an index is reported.
const wideIndexMax = 3

func wideIndex(p *analysis.Pass, st *analysis.Stmt) {
	ci, ok := st.Statement.(*sqlparse.CreateIndex)
	if !ok || ci.Unique || len(ci.Columns) <= wideIndexMax || (ci.Method != "" && ci.Method != "btree") {
		return // a unique index enforces a rule over all its columns; other methods weigh columns differently
	}
	table := analysis.TableName(ci.Table)
	name := ci.Name
	if name == "" {
		name = "(unnamed)"
	}
	p.ReportStmt(st,
		fmt.Sprintf("Index %s on %s has %d key columns (%s). A B-tree narrows a search by its leading columns; further columns seldom make a query faster than an index on the first two or three, while every INSERT and UPDATE of %s maintains the wider entries, and the index takes more space and cache.",
			name, table, len(ci.Columns), strings.Join(ci.Columns, ", "), table),
		advisoryJoin(
			"Index the columns queries filter and sort on (most selective, equality-compared first; usually one to three), and check with EXPLAIN that the extra columns pay off.",
			"Columns a query only reads can go in INCLUDE (...) (PostgreSQL 11+) for index-only scans without widening the search key: Django (3.2+) models.Index(fields=[...], include=[...], name=...).",
			"If the index must cover all the columns, keep it and ignore this warning."))
}
