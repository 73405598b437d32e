package rules

import (
	"fmt"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// DropNotNull: allowing NULL in a column the old code (and triggers, reports, other services)
// assumes never holds one.
var DropNotNull = analysis.Rule{
	Name:      "drop-not-null",
	Severity:  analysis.Warning,
	Summary:   "DROP NOT NULL: code that assumes the column is never NULL may break, and re-adding NOT NULL later needs the NULLs cleaned",
	Statement: dropNotNull,
}

func dropNotNull(p *analysis.Pass, st *analysis.Stmt) {
	at, table, ok := alterOfExisting(p, st)
	if !ok {
		return
	}
	for _, c := range at.Cmds {
		if c.Action != sqlparse.DropNotNull {
			continue
		}
		p.ReportStmt(st,
			fmt.Sprintf("DROP NOT NULL lets %s.%s hold NULL (the lock itself is a brief ACCESS EXCLUSIVE): as soon as the new code writes a NULL, the old code still serving — and triggers, PL/pgSQL, raw SQL, reports or other services reading %s — may not expect it and fail; and rolling back to NOT NULL later fails until every NULL is cleaned up.",
				table, c.Column, table),
			"Make sure every reader handles NULL before the new code writes one (deploy that first), or keep the column NOT NULL and write a sentinel or default value instead. If you go ahead, plan a roll-forward rather than a rollback.")
	}
}
