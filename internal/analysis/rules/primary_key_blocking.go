package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// PrimaryKeyBlocking: ADD PRIMARY KEY on an existing table takes ACCESS EXCLUSIVE, makes the
// columns NOT NULL (a scan of every row unless they already are) and builds a unique index (unless
// USING INDEX). Reads and writes wait for all of it.
var PrimaryKeyBlocking = analysis.Rule{
	Name:         "primary-key-blocking",
	Severity:     analysis.Unsafe,
	WhileRunning: true,
	Summary:      "ADD PRIMARY KEY scans for NULLs and builds the index under ACCESS EXCLUSIVE",
	Statement:    primaryKeyBlocking,
}

func primaryKeyBlocking(p *analysis.Pass, st *analysis.Stmt) {
	at, table, ok := alterOfExisting(p, st)
	if !ok {
		return
	}
	for _, c := range at.Cmds {
		switch {
		case c.Action == sqlparse.AddConstraint && c.Constraint != nil && c.Constraint.Kind == sqlparse.PrimaryKey:
			k := c.Constraint
			name := k.Name
			if name == "" {
				name = table + "_pkey"
			}
			if k.UsingIndex != "" {
				cols, known := pkIndexColumns(p, st, table, k.UsingIndex)
				if known && pkNotNull(p, st, table, cols) {
					continue // the index exists and the columns are NOT NULL: metadata only
				}
				p.ReportStmt(st,
					fmt.Sprintf("ADD CONSTRAINT %s PRIMARY KEY USING INDEX %s takes an ACCESS EXCLUSIVE lock on %s and, for every column of the index not already NOT NULL, "+
						"checks every row for NULLs (an implicit SET NOT NULL): every query on %s, reads included, waits for that scan%s. "+
						"zdcd could not confirm that the columns are NOT NULL; if they are, this step is instant and can be approved.", name, k.UsingIndex, table, table, lockHeldUntil(p, st)),
					pkFix(table, name, cols))
				continue
			}
			p.ReportStmt(st,
				fmt.Sprintf("ADD CONSTRAINT %s PRIMARY KEY (%s) takes an ACCESS EXCLUSIVE lock on %s, checks every row for NULLs and builds a unique index: "+
					"every query on %s, reads included, waits for the scan and the whole build%s. It also fails if rows hold NULLs or duplicates.",
					name, strings.Join(k.Columns, ", "), table, table, lockHeldUntil(p, st)),
				pkFix(table, name, k.Columns))
		case c.Action == sqlparse.AddColumn && c.Def != nil && c.Def.PrimaryKey:
			p.ReportStmt(st,
				fmt.Sprintf("ADD COLUMN %s ... PRIMARY KEY fills the new column for every row of %s and builds a unique index on it under an ACCESS EXCLUSIVE lock: "+
					"every query on %s, reads included, waits for the whole build%s.", c.Def.Name, table, table, lockHeldUntil(p, st)),
				pkFix(table, table+"_pkey", []string{c.Def.Name}))
		}
	}
}

// pkIndexColumns returns the columns of index: created in this migration, or as the live catalog
// knows them.
func pkIndexColumns(p *analysis.Pass, st *analysis.Stmt, table, index string) ([]string, bool) {
	var cols []string
	known := false
	if c, ok := p.Catalog.(IndexCatalog); ok {
		cols, known = c.IndexColumns(table, index)
	}
	for _, s := range p.Stmts {
		if s == st {
			break
		}
		if ci, ok := s.Statement.(*sqlparse.CreateIndex); ok && ci.Name == index {
			for _, c := range ci.Columns {
				if c == "(expression)" {
					return nil, false
				}
			}
			return ci.Columns, len(ci.Columns) > 0
		}
	}
	return cols, known && len(cols) > 0
}

// pkNotNull reports whether every column is known NOT NULL before st: declared so in the live
// catalog, set so earlier in this migration, or (PostgreSQL 12+) proven by a validated CHECK
// (col IS NOT NULL) in the live catalog.
func pkNotNull(p *analysis.Pass, st *analysis.Stmt, table string, cols []string) bool {
	for _, col := range cols {
		if !pkColumnNotNull(p, st, table, col) {
			return false
		}
	}
	return true
}

func pkColumnNotNull(p *analysis.Pass, st *analysis.Stmt, table, col string) bool {
	if p.AtLeast(analysis.PG12) && p.Catalog != nil && p.Catalog.HasValidatedNotNullCheck(table, col) {
		return true
	}
	if c, ok := p.Catalog.(NotNullCatalog); ok {
		if notNull, known := c.ColumnNotNull(table, col); known && notNull {
			return true
		}
	}
	for _, s := range p.Stmts {
		if s == st {
			break
		}
		at, ok := s.Statement.(*sqlparse.AlterTable)
		if !ok || analysis.TableName(at.Table) != table {
			continue
		}
		for _, c := range at.Cmds {
			if (c.Action == sqlparse.SetNotNull && c.Column == col) || (c.Action == sqlparse.AddColumn && c.Def != nil && c.Def.Name == col && c.Def.NotNull) {
				return true
			}
		}
	}
	return false
}

func pkFix(table, name string, cols []string) string {
	colList := "<columns>"
	if len(cols) > 0 {
		colList = quoteIdents(cols)
	}
	return strings.Join([]string{
		"Add the primary key in steps that never hold a long lock:",
		"1. Make the columns NOT NULL without a scan under ACCESS EXCLUSIVE: ADD CONSTRAINT <c> CHECK (<col> IS NOT NULL) NOT VALID; then, in a later migration, VALIDATE CONSTRAINT <c> " +
			"(SHARE UPDATE EXCLUSIVE, reads and writes continue); then SET NOT NULL (PostgreSQL 12+ uses the validated CHECK instead of scanning) and DROP CONSTRAINT <c>.",
		fmt.Sprintf("2. In a migration with `atomic = False`, alone: CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS %s ON %s (%s);", quoteIdent(name), quoteIdent(table), colList),
		fmt.Sprintf("3. ALTER TABLE %s ADD CONSTRAINT %s PRIMARY KEY USING INDEX %s; — instant once the columns are NOT NULL (drop the old primary key in the same statement if you are replacing it).",
			quoteIdent(table), quoteIdent(name), quoteIdent(name)),
		"Django: RunSQL for each step, with SeparateDatabaseAndState(state_operations=[AlterField(..., primary_key=True)]) (or the operation you are replacing) on the last one.",
	}, "\n")
}
