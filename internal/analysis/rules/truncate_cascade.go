package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// TruncateCascade: TRUNCATE ... CASCADE empties every table that references the named ones, and
// every table referencing those, without listing them.
var TruncateCascade = analysis.Rule{
	Name:      "truncate-cascade",
	Severity:  analysis.Unsafe,
	Summary:   "TRUNCATE ... CASCADE silently empties every table that references the named tables, transitively",
	Statement: truncateCascade,
}

func truncateCascade(p *analysis.Pass, st *analysis.Stmt) {
	t, ok := st.Statement.(*sqlparse.Truncate)
	if !ok || !t.Cascade {
		return
	}
	names := make([]string, len(t.Tables))
	for i, n := range t.Tables {
		names[i] = analysis.TableName(n)
	}
	list := strings.Join(names, ", ")
	p.ReportStmt(st,
		fmt.Sprintf("TRUNCATE %s CASCADE also empties every table with a foreign key to %s, and every table referencing those, without naming them: the whole foreign-key graph below loses its data, with no row-level record, under ACCESS EXCLUSIVE locks on every table involved.", list, list),
		"Name every table to empty explicitly, without CASCADE (TRUNCATE then fails if another table still references them, which is the check you want) — better, do not empty tables in a deploy migration at all: delete the rows you mean in batches, after a backup.")
}
