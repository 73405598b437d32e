package rules

import (
	"fmt"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// DuplicateColumnAssignment: one statement that sets the same column twice. PostgreSQL rejects an
// UPDATE that assigns a column twice, and an ALTER TABLE that changes a column's type twice or
// adds it twice; it accepts conflicting default and NOT NULL commands but applies them in its own
// order, not the order written.
var DuplicateColumnAssignment = analysis.Rule{
	Name:      "duplicate-column-assignment",
	Severity:  analysis.Warning,
	Summary:   "One statement sets the same column twice: PostgreSQL rejects it, or silently keeps a different one than the last written",
	Statement: duplicateColumnAssignment,
}

func duplicateColumnAssignment(p *analysis.Pass, st *analysis.Stmt) {
	switch s := st.Statement.(type) {
	case *sqlparse.Update:
		duplicateUpdate(p, st, s)
	case *sqlparse.AlterTable:
		duplicateAlter(p, st, s)
	}
}

func duplicateUpdate(p *analysis.Pass, st *analysis.Stmt, u *sqlparse.Update) {
	table := analysis.TableName(u.Table)
	count, whole := map[string]int{}, map[string]bool{}
	var order []string
	for _, a := range u.Set {
		if count[a.Column] == 0 {
			order = append(order, a.Column)
		}
		count[a.Column]++
		whole[a.Column] = whole[a.Column] || !a.Partial
	}
	for _, col := range order {
		if count[col] < 2 || !whole[col] {
			continue // several assignments to elements or fields of one column are merged
		}
		p.ReportStmt(st,
			fmt.Sprintf("This UPDATE of %s assigns column %s %d times in its SET list: PostgreSQL rejects the statement (multiple assignments to same column %q), so the migration fails when it reaches it.",
				table, col, count[col], col),
			fmt.Sprintf("Assign %s once, with the value you mean (combine the expressions, e.g. with CASE or COALESCE).", quoteIdent(col)))
	}
}

func duplicateAlter(p *analysis.Pass, st *analysis.Stmt, at *sqlparse.AlterTable) {
	table := analysis.TableName(at.Table)
	type seen struct {
		types, adds, setDefaults int
		setDefault, setNotNull   bool
		dropDefaultAfterSet      bool
		dropNotNullAfterSet      bool
	}
	cols := map[string]*seen{}
	var order []string
	for _, c := range at.Cmds {
		if c.Column == "" {
			continue
		}
		s := cols[c.Column]
		if s == nil {
			s = &seen{}
			cols[c.Column] = s
			order = append(order, c.Column)
		}
		switch c.Action {
		case sqlparse.AlterColumnType:
			s.types++
		case sqlparse.AddColumn:
			s.adds++
		case sqlparse.SetDefault:
			s.setDefaults++
			s.setDefault = true
		case sqlparse.DropDefault:
			s.dropDefaultAfterSet = s.dropDefaultAfterSet || s.setDefault
		case sqlparse.SetNotNull:
			s.setNotNull = true
		case sqlparse.DropNotNull:
			s.dropNotNullAfterSet = s.dropNotNullAfterSet || s.setNotNull
		}
	}
	truncated := map[string]bool{} // names cut to 63 bytes: identifier-too-long reports their collision
	for _, li := range st.Info().LongIdentifiers() {
		truncated[li.Name] = true
	}
	for _, col := range order {
		s := cols[col]
		where := fmt.Sprintf("This ALTER TABLE of %s", table)
		switch {
		case s.types > 1 && !truncated[col]:
			p.ReportStmt(st,
				fmt.Sprintf("%s changes the type of column %s %d times: PostgreSQL rejects the statement (cannot alter type of column %q twice), so the migration fails when it reaches it.", where, col, s.types, col),
				fmt.Sprintf("Keep one ALTER COLUMN %s TYPE ... with the final type.", quoteIdent(col)))
		case s.adds > 1 && !truncated[col]:
			p.ReportStmt(st,
				fmt.Sprintf("%s adds column %s %d times: PostgreSQL rejects the statement (column %q already exists), so the migration fails when it reaches it.", where, col, s.adds, col),
				fmt.Sprintf("Keep one ADD COLUMN %s.", quoteIdent(col)))
		}
		switch {
		case s.dropDefaultAfterSet:
			p.ReportStmt(st,
				fmt.Sprintf("%s sets a default on column %s and then drops it, but PostgreSQL runs every DROP DEFAULT of an ALTER TABLE before its SET DEFAULTs: the column keeps the default, contrary to the order written.", where, col),
				fmt.Sprintf("Keep only the command you mean: ALTER COLUMN %s SET DEFAULT ... or ALTER COLUMN %s DROP DEFAULT (or put them in separate statements).", quoteIdent(col), quoteIdent(col)))
		case s.setDefaults > 1:
			p.ReportStmt(st,
				fmt.Sprintf("%s sets the default of column %s %d times: only the last one stays, the others do nothing.", where, col, s.setDefaults),
				fmt.Sprintf("Keep one ALTER COLUMN %s SET DEFAULT ... with the default you mean.", quoteIdent(col)))
		}
		if s.dropNotNullAfterSet {
			p.ReportStmt(st,
				fmt.Sprintf("%s sets NOT NULL on column %s and then drops it, but PostgreSQL runs DROP NOT NULL before SET NOT NULL whatever the order written: the column ends up NOT NULL (after a scan of %s to check it).", where, col, table),
				fmt.Sprintf("Keep only the command you mean: ALTER COLUMN %s SET NOT NULL or ALTER COLUMN %s DROP NOT NULL.", quoteIdent(col), quoteIdent(col)))
		}
	}
}
