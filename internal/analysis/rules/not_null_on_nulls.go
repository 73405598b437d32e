package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// NotNullOnNulls: SET NOT NULL, a validated CHECK (col IS NOT NULL) or a primary key on a column
// that holds NULLs fails — after scanning the table under its lock; ADD COLUMN ... NOT NULL
// without a default fails on any table that has rows. A question about the data: the rule needs a
// live catalog that answers it (HasNulls, HasRows) and is quiet without one (lint), where the lock
// and compatibility rules still judge the statement. SET NOT NULL after an UPDATE of the same
// table in the migration (Django's backfill of AlterField with a default) is taken as backfilled.
var NotNullOnNulls = analysis.Rule{
	Name:      "not-null-on-nulls",
	Severity:  analysis.Unsafe,
	Summary:   "NOT NULL on a column holding NULLs (or a required column on a table with rows) fails (checked on the live data)",
	Statement: notNullOnNulls,
}

func notNullOnNulls(p *analysis.Pass, st *analysis.Stmt) {
	at, table, ok := alterOfExisting(p, st)
	if !ok {
		return
	}
	added := addedColumns(p, table, st)
	for _, c := range at.Cmds {
		var cols []string
		var what string
		switch {
		case c.Action == sqlparse.SetNotNull:
			if updatedBefore(p, table, st) {
				continue
			}
			cols, what = []string{c.Column}, "SET NOT NULL"
		case c.Action == sqlparse.AddConstraint && c.Constraint != nil && c.Constraint.Kind == sqlparse.Check &&
			!c.Constraint.NotValid && c.Constraint.Expr != nil && c.Constraint.Expr.NotNullOf != "":
			cols, what = []string{c.Constraint.Expr.NotNullOf}, "the CHECK ("+c.Constraint.Expr.NotNullOf+" IS NOT NULL)"
		case c.Action == sqlparse.AddConstraint && c.Constraint != nil && c.Constraint.Kind == sqlparse.PrimaryKey:
			cols, what = c.Constraint.Columns, "the primary key"
		case c.Action == sqlparse.AddColumn && c.Def != nil:
			requiredColumnOnRows(p, st, table, c.Def)
			continue
		default:
			continue
		}
		nc, ok := p.Catalog.(nullsChecker)
		if !ok {
			continue
		}
		for _, col := range cols {
			if added[col] {
				continue
			}
			if has, err := nc.HasNulls(table, col); err != nil || !has {
				continue
			}
			p.ReportStmt(st,
				fmt.Sprintf("%s.%s holds NULLs (checked on the live database), so %s fails with `column \"%s\" of relation \"%s\" contains null values` — after scanning the whole table under its lock — and the migration stops there.",
					table, col, what, col, table),
				strings.Join([]string{
					fmt.Sprintf("Check: SELECT count(*) FROM %s WHERE %s IS NULL;", quoteIdent(table), quoteIdent(col)),
					fmt.Sprintf("Backfill first, in batches, in an earlier release (UPDATE %s SET %s = <value> WHERE %s IS NULL AND id BETWEEN ...), and ship code that no longer writes NULL; then add the constraint the non-blocking way (CHECK (%s IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT in a separate migration, SET NOT NULL).",
						quoteIdent(table), quoteIdent(col), quoteIdent(col), quoteIdent(col)),
				}, "\n"))
		}
	}
}

// requiredColumnOnRows reports ADD COLUMN ... NOT NULL without any default on a table with rows:
// PostgreSQL has nothing to put in the existing rows and rejects it at once.
func requiredColumnOnRows(p *analysis.Pass, st *analysis.Stmt, table string, d *sqlparse.Column) {
	if !d.NotNull || d.Default != nil || d.Serial() || d.Identity != "" || d.Generated {
		return
	}
	rc, ok := p.Catalog.(rowsChecker)
	if !ok {
		return
	}
	if has, err := rc.HasRows(table); err != nil || !has {
		return
	}
	p.ReportStmt(st,
		fmt.Sprintf("%s has rows (checked on the live database) and the new column %s is NOT NULL without a default: PostgreSQL has nothing to fill the existing rows with and rejects the ADD COLUMN (`column \"%s\" of relation \"%s\" contains null values`).",
			table, quoteIdent(d.Name), d.Name, table),
		"Add the column nullable (null=True), backfill it in batches, then make it NOT NULL in a later release; or give it a database default kept in the database (Django 5 db_default=<constant>), which PostgreSQL 11+ applies to existing rows without a rewrite.")
}

// updatedBefore reports an UPDATE of table earlier in the migration (a backfill).
func updatedBefore(p *analysis.Pass, table string, st *analysis.Stmt) bool {
	for _, s := range p.Stmts {
		if s == st {
			return false
		}
		if u, ok := s.Statement.(*sqlparse.Update); ok && analysis.TableName(u.Table) == table {
			return true
		}
	}
	return false
}
