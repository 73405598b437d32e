package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// NotNullWithDefaultUpdate: Django's AlterField(null=True → False, default=x) updates every NULL
// row inside the migration's transaction, after ALTER TABLE took ACCESS EXCLUSIVE on the table.
var NotNullWithDefaultUpdate = analysis.Rule{
	Name:      "not-null-with-default-update",
	Severity:  analysis.Unsafe,
	Summary:   "Django's 4-way NOT NULL alteration runs a whole-table UPDATE while holding ACCESS EXCLUSIVE on the table",
	Migration: notNullWithDefaultUpdate,
}

func notNullWithDefaultUpdate(p *analysis.Pass) {
	for i, st := range p.Stmts {
		u, ok := st.Statement.(*sqlparse.Update)
		if !ok || !st.InTransaction {
			continue
		}
		table := analysis.TableName(u.Table)
		if p.Created(table) || st.Held[table] != analysis.AccessExclusive {
			continue
		}
		django := st.Op != nil && st.Op.Class == "AlterField"
		if !django && !columnsSetNotNullLater(p, i, table) {
			continue // an UPDATE after other DDL: backfill-in-ddl-tx's
		}
		column := "the column"
		if st.Op != nil && st.Op.NewField != nil && st.Op.NewField.Column != "" {
			column = st.Op.NewField.Column
		}
		who := "This UPDATE"
		if django {
			who = fmt.Sprintf("Django's AlterField (null=True → null=False with a default) runs this UPDATE of every row where %s IS NULL", column)
		}
		p.ReportStmt(st,
			fmt.Sprintf("%s inside the migration's transaction, after ALTER TABLE took an ACCESS EXCLUSIVE lock on %s: every read and write of %s waits for the whole UPDATE — which reads the entire table and rewrites each NULL row in one long transaction, bloating it — and then for the SET NOT NULL scan, until the migration commits.",
				who, table, table),
			strings.Join([]string{
				"Backfill first, outside any DDL transaction, then add NOT NULL without Django's UPDATE:",
				fmt.Sprintf("1. A migration with `atomic = False` that fills the NULLs of %s in batches of 1,000–10,000 by primary key (RunPython with a loop of .filter(pk__in=...).update(), or RunSQL per batch); the new code writes the default meanwhile.", column),
				fmt.Sprintf("2. AddConstraintNotValid(model, CheckConstraint(condition=Q(%s__isnull=False), name=...)), then ValidateConstraint in the next migration (django.contrib.postgres.operations, Django ≥ 4.0).", column),
				fmt.Sprintf("3. SeparateDatabaseAndState(database_operations=[RunSQL('ALTER TABLE %s ALTER COLUMN %s SET NOT NULL')], state_operations=[AlterField(... null=False, default=...)]) — PostgreSQL 12+ skips the scan thanks to the validated check, and Django's UPDATE never runs.",
					quoteIdent(table), quoteIdent(column)),
				"4. RemoveConstraint of the helper check.",
			}, "\n"))
	}
}

// columnsSetNotNullLater reports whether a statement after p.Stmts[i], in the same transaction,
// sets a column of table NOT NULL (the 4-way pattern written by hand).
func columnsSetNotNullLater(p *analysis.Pass, i int, table string) bool {
	for j := i + 1; j < len(p.Stmts); j++ {
		if columnsTxStart(p, j) > i {
			return false
		}
		at, ok := p.Stmts[j].Statement.(*sqlparse.AlterTable)
		if !ok || analysis.TableName(at.Table) != table {
			continue
		}
		for _, c := range at.Cmds {
			if c.Action == sqlparse.SetNotNull {
				return true
			}
		}
	}
	return false
}
