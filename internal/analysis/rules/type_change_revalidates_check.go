package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// TypeChangeRevalidatesCheck: even a binary-coercible type change re-checks every CHECK
// constraint on the column against every row, under ACCESS EXCLUSIVE.
var TypeChangeRevalidatesCheck = analysis.Rule{
	Name:         "type-change-revalidates-check",
	Severity:     analysis.Unsafe,
	WhileRunning: true,
	Summary:      "A type change on a column with CHECK constraints re-checks every row under ACCESS EXCLUSIVE, even when the type change itself is free",
	Statement:    typeChangeRevalidatesCheck,
}

// columnsPositiveFields are Django's fields that carry a CHECK ("col" >= 0) on PostgreSQL.
var columnsPositiveFields = map[string]bool{
	"PositiveIntegerField": true, "PositiveSmallIntegerField": true, "PositiveBigIntegerField": true,
}

func typeChangeRevalidatesCheck(p *analysis.Pass, st *analysis.Stmt) {
	at, table, ok := alterOfExisting(p, st)
	if !ok {
		return
	}
	for _, c := range at.Cmds {
		if c.Action != sqlparse.AlterColumnType || c.Type == nil {
			continue
		}
		v := columnsJudgeType(p, st, table, c)
		if v.Rewrite || v.Collation {
			continue // column-type-rewrite reports it; the rewrite checks the constraints anyway
		}
		why := columnsCheckOn(p, st, table, c.Column)
		if why == "" {
			continue
		}
		p.ReportStmt(st,
			fmt.Sprintf("%s → %s is binary coercible, but %s: PostgreSQL drops and re-adds the CHECK constraints on the column and re-checks them against every row of %s while holding an ACCESS EXCLUSIVE lock, so all reads and writes wait for the whole scan%s.",
				v.From, v.To, why, table, columnsUntil(st)),
			strings.Join([]string{
				"Take the checks off the column for the type change and put them back without a blocking scan:",
				fmt.Sprintf("1. ALTER TABLE %s DROP CONSTRAINT <check>; ALTER TABLE %s ALTER COLUMN %s TYPE %s; (brief lock, no scan)", quoteIdent(table), quoteIdent(table), quoteIdent(c.Column), v.To),
				fmt.Sprintf("2. ALTER TABLE %s ADD CONSTRAINT <check> CHECK (...) NOT VALID; (brief lock)", quoteIdent(table)),
				fmt.Sprintf("3. In a separate transaction (the next migration, or `atomic = False`): ALTER TABLE %s VALIDATE CONSTRAINT <check>; (SHARE UPDATE EXCLUSIVE: reads and writes continue)", quoteIdent(table)),
				"Django: RemoveConstraint, AlterField, AddConstraintNotValid (django.contrib.postgres.operations), then ValidateConstraint in the next migration; for a field's own check (PositiveIntegerField), RunSQL inside SeparateDatabaseAndState.",
			}, "\n"))
	}
}

// columnsCheckOn says why table.column is known to have a CHECK constraint, "" when it is not known
// to have one (zdcd does not guess).
func columnsCheckOn(p *analysis.Pass, st *analysis.Stmt, table, column string) string {
	oldField, newField := columnsField(st, column)
	if oldField != nil && newField != nil && columnsPositiveFields[oldField.Class] && columnsPositiveFields[newField.Class] {
		return fmt.Sprintf("%s keeps the CHECK (%s >= 0) of its %s", table+"."+column, column, oldField.Class)
	}
	if p.Catalog == nil {
		return ""
	}
	if cc, ok := p.Catalog.(columnsCheckCatalog); ok && cc.HasCheckConstraint(table, column) {
		return fmt.Sprintf("%s.%s has CHECK constraints in the database", table, column)
	}
	if p.Catalog.HasValidatedNotNullCheck(table, column) {
		return fmt.Sprintf("%s.%s has a validated CHECK (%s IS NOT NULL) in the database", table, column, column)
	}
	return ""
}
