package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// CheckConstraintValidating: a CHECK constraint added without NOT VALID to an existing table is
// checked against every row under ACCESS EXCLUSIVE.
var CheckConstraintValidating = analysis.Rule{
	Name:      "check-constraint-validating",
	Severity:  analysis.Unsafe,
	Summary:   "ADD CONSTRAINT ... CHECK without NOT VALID scans the whole table under ACCESS EXCLUSIVE",
	Statement: checkConstraintValidating,
}

func checkConstraintValidating(p *analysis.Pass, st *analysis.Stmt) {
	at, table, ok := alterOfExisting(p, st)
	if !ok {
		return
	}
	fix := func(name, column string) string {
		if name == "" {
			name = table + "_" + column + "_check"
		}
		steps := []string{
			fmt.Sprintf("1. ALTER TABLE %s ADD CONSTRAINT %s CHECK (...) NOT VALID; (brief lock, no scan; new and updated rows are checked from now on)", quoteIdent(table), quoteIdent(name)),
			fmt.Sprintf("2. In a separate transaction (the next migration, or `atomic = False`): ALTER TABLE %s VALIDATE CONSTRAINT %s; (SHARE UPDATE EXCLUSIVE: reads and writes continue during the scan)", quoteIdent(table), quoteIdent(name)),
			"Django ≥ 4.0: replace AddConstraint with AddConstraintNotValid(model_name, constraint) and put ValidateConstraint(model_name, name) in the next migration (both from django.contrib.postgres.operations).",
		}
		if column != "" {
			steps = append([]string{fmt.Sprintf("Add the column without its CHECK first (for a Django field with a built-in check such as PositiveIntegerField: SeparateDatabaseAndState with RunSQL `ALTER TABLE %s ADD COLUMN %s ...` without the CHECK, and the AddField as state operation), then:", quoteIdent(table), quoteIdent(column))}, steps...)
		}
		return strings.Join(steps, "\n")
	}
	for _, c := range at.Cmds {
		switch c.Action {
		case sqlparse.AddConstraint:
			k := c.Constraint
			if k == nil || k.Kind != sqlparse.Check || k.NotValid {
				continue
			}
			name := k.Name
			if name == "" {
				name = "(unnamed)"
			}
			p.ReportStmt(st,
				fmt.Sprintf("ADD CONSTRAINT %s CHECK on %s validates every existing row while holding an ACCESS EXCLUSIVE lock: all reads and writes of %s wait for the whole scan, which takes time proportional to the table's size%s. If a row violates the check, the migration fails after the scan.",
					name, table, table, columnsUntil(st)),
				fix(k.Name, ""))
		case sqlparse.AddColumn:
			if c.Def == nil {
				continue
			}
			for _, k := range c.Def.Constraints {
				if k.Kind != sqlparse.Check || k.NotValid {
					continue
				}
				p.ReportStmt(st,
					fmt.Sprintf("ADD COLUMN %s with a CHECK constraint on %s checks the new column's value in every existing row, under the ACCESS EXCLUSIVE lock of ADD COLUMN: all reads and writes of %s wait for the whole scan%s. (Django writes such a CHECK for PositiveIntegerField and the other Positive*Field types.)",
						c.Def.Name, table, table, columnsUntil(st)),
					fix(k.Name, c.Def.Name))
			}
		}
	}
}
