package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// SetNotNullScan: ALTER COLUMN SET NOT NULL reads the whole table under ACCESS EXCLUSIVE, unless
// (PostgreSQL 12+) a validated CHECK (col IS NOT NULL) already proves it.
var SetNotNullScan = analysis.Rule{
	Name:      "set-not-null-scan",
	Severity:  analysis.Unsafe,
	Summary:   "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE unless a validated CHECK (col IS NOT NULL) exists (PostgreSQL 12+)",
	Statement: setNotNullScan,
}

func setNotNullScan(p *analysis.Pass, st *analysis.Stmt) {
	at, table, ok := alterOfExisting(p, st)
	if !ok {
		return
	}
	for k, c := range at.Cmds {
		if c.Action != sqlparse.SetNotNull {
			continue
		}
		if p.AtLeast(analysis.PG12) {
			if p.Catalog != nil && p.Catalog.HasValidatedNotNullCheck(table, c.Column) {
				continue
			}
			if columnsNotNullProven(p, st, k, table, c.Column) {
				continue
			}
		}
		col := table + "." + c.Column
		version := ""
		switch {
		case p.ServerVersion == 0:
			version = " zdcd does not know the server version; before PostgreSQL 12 even a validated CHECK does not spare the scan."
		case !p.AtLeast(analysis.PG12):
			version = fmt.Sprintf(" On PostgreSQL %d (older than 12) even a validated CHECK does not spare the scan.", p.ServerVersion/10000)
		}
		steps := []string{
			fmt.Sprintf("1. ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID; (brief lock, no scan; new rows are checked)",
				quoteIdent(table), quoteIdent(c.Column+"_not_null"), quoteIdent(c.Column)),
			"2. Backfill any NULLs in batches of 1,000–10,000, outside the DDL transaction.",
			fmt.Sprintf("3. In a separate transaction (the next migration, or `atomic = False`): ALTER TABLE %s VALIDATE CONSTRAINT %s; (SHARE UPDATE EXCLUSIVE: reads and writes continue)",
				quoteIdent(table), quoteIdent(c.Column+"_not_null")),
			fmt.Sprintf("4. ALTER TABLE %s ALTER COLUMN %s SET NOT NULL; (PostgreSQL 12+ uses the validated check and skips the scan), then DROP CONSTRAINT %s.",
				quoteIdent(table), quoteIdent(c.Column), quoteIdent(c.Column+"_not_null")),
			fmt.Sprintf("Django ≥ 4.0: AddConstraintNotValid(model, CheckConstraint(condition=Q(%s__isnull=False), name=...)) (check= before Django 5.1) from django.contrib.postgres.operations; ValidateConstraint(model, name) in the next migration; then AlterField(null=False) and RemoveConstraint.",
				c.Column),
		}
		if p.ServerVersion != 0 && !p.AtLeast(analysis.PG12) {
			steps = append([]string{"Upgrade to PostgreSQL 12 or later, where these steps avoid the scan; until then keep the column nullable and rely on the validated CHECK constraint (steps 1–3) alone."}, steps...)
		}
		p.ReportStmt(st,
			fmt.Sprintf("SET NOT NULL on %s takes an ACCESS EXCLUSIVE lock on %s and reads every row to prove there is no NULL: all reads and writes of %s wait for the whole scan%s. If a NULL is found, the migration fails after the scan.%s",
				col, table, table, columnsUntil(st), version),
			strings.Join(steps, "\n"))
	}
}

// columnsNotNullProven reports whether a validated CHECK (column IS NOT NULL) on table exists by
// the time command k of st runs, from statements earlier in this migration: added without NOT
// VALID, or added NOT VALID and then validated.
func columnsNotNullProven(p *analysis.Pass, st *analysis.Stmt, k int, table, column string) bool {
	validated := map[string]bool{}
	var unnamed bool
	visit := func(c sqlparse.AlterCmd) {
		switch c.Action {
		case sqlparse.AddConstraint:
			if con := c.Constraint; con != nil && con.Kind == sqlparse.Check && con.Expr != nil && con.Expr.NotNullOf == column {
				if con.Name == "" {
					unnamed = unnamed || !con.NotValid
				} else {
					validated[con.Name] = !con.NotValid
				}
			}
		case sqlparse.ValidateConstraint:
			if _, ok := validated[c.Name]; ok {
				validated[c.Name] = true
			}
		case sqlparse.DropConstraint:
			delete(validated, c.Name)
		}
	}
	for _, prev := range p.Stmts {
		if prev == st {
			break
		}
		if at, ok := prev.Statement.(*sqlparse.AlterTable); ok && analysis.TableName(at.Table) == table {
			for _, c := range at.Cmds {
				visit(c)
			}
		}
	}
	if at, ok := st.Statement.(*sqlparse.AlterTable); ok {
		for _, c := range at.Cmds[:k] {
			visit(c)
		}
	}
	if unnamed {
		return true
	}
	for _, ok := range validated {
		if ok {
			return true
		}
	}
	return false
}
