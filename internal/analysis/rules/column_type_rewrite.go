package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// ColumnTypeRewrite: ALTER COLUMN TYPE that is not binary coercible rewrites the table and its
// indexes under ACCESS EXCLUSIVE (and a collation change rebuilds the column's indexes).
var ColumnTypeRewrite = analysis.Rule{
	Name:      "column-type-rewrite",
	Severity:  analysis.Unsafe,
	Summary:   "ALTER COLUMN TYPE that is not binary coercible rewrites the table and its indexes under ACCESS EXCLUSIVE",
	Statement: columnTypeRewrite,
}

func columnTypeRewrite(p *analysis.Pass, st *analysis.Stmt) {
	at, table, ok := alterOfExisting(p, st)
	if !ok {
		return
	}
	for _, c := range at.Cmds {
		if c.Action != sqlparse.AlterColumnType || c.Type == nil {
			continue
		}
		v := columnsJudgeType(p, st, table, c)
		col := table + "." + c.Column
		fix := columnsTypeFix(table, c.Column, v.To)
		switch {
		case v.Rewrite:
			verb, how := "rewrites", "PostgreSQL copies"
			if v.Unknown {
				verb, how = "may rewrite", "If it does, PostgreSQL copies"
			}
			msg := fmt.Sprintf("Changing %s to %s %s %s: %s. %s every row and rebuilds every index of %s under an ACCESS EXCLUSIVE lock, so all reads and writes wait for the whole rewrite, which takes time proportional to the table's size%s. The old code may also write values the new type rejects.",
				col, v.To, verb, table, v.Why, how, table, columnsUntil(st))
			if v.Unknown {
				fix = "If the change is binary coercible (varchar(n) to a longer varchar or to text, numeric(p,s) to a larger precision at the same scale, cidr to inet), approve this finding; otherwise:\n" + fix
			}
			p.ReportStmt(st, msg, fix)
		case v.Collation:
			p.ReportStmt(st,
				fmt.Sprintf("Changing the collation of %s to %q (or zdcd cannot tell it is unchanged) rebuilds every index on the column under an ACCESS EXCLUSIVE lock: reads and writes of %s wait for the rebuild%s, and text ordering and comparisons change for the old code.",
					col, c.Collation, table, columnsUntil(st)),
				"Add a new column with the new collation and move to it (expand/contract):\n"+fix)
		}
	}
}

// columnsTypeFix is the expand/contract recipe for a type change.
func columnsTypeFix(table, column, to string) string {
	return strings.Join([]string{
		fmt.Sprintf("1. Expand: add a new column of the new type, nullable: AddField (e.g. %s_new %s NULL) — metadata only.", column, to),
		"2. Keep both in step: the new code writes both columns, or a trigger (RunSQL CREATE TRIGGER ... BEFORE INSERT OR UPDATE) copies the old column into the new one.",
		"3. Backfill the new column in batches of 1,000–10,000 by primary key, from a migration with `atomic = False`; build its indexes with AddIndexConcurrently.",
		"4. Deploy code that reads the new column (keep the field name with db_column if you like); then, in a later release, drop the old column (SeparateDatabaseAndState first, RemoveField after).",
		fmt.Sprintf("For a Django AlterField, do not let Django run `ALTER TABLE %s ALTER COLUMN %s TYPE %s` on a live table.", quoteIdent(table), quoteIdent(column), to),
	}, "\n")
}
