package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// Naming: hand-written SQL that names a new table, column, index, constraint or view with upper-case
// letters or characters that only a quoted identifier allows. Every later query must then quote
// the name exactly; unquoted, PostgreSQL folds it to lower case and does not find the object.
var Naming = analysis.Rule{
	Name:      "naming",
	Severity:  analysis.Warning,
	Summary:   "Raw SQL names a new object with upper-case letters or other characters that force every query to quote it",
	Statement: naming,
}

func naming(p *analysis.Pass, st *analysis.Stmt) {
	if !advisoryRawSQL(st.Op) {
		return // Django quotes every name it emits, and derives its own names in lower case
	}
	var bad []string
	seen := map[string]bool{}
	for _, n := range namingNewNames(st.Statement) {
		if !seen[n.name] && namingNeedsQuotes(n.name) {
			seen[n.name] = true
			bad = append(bad, fmt.Sprintf("%s %q", n.kind, n.name))
		}
	}
	if len(bad) == 0 {
		return
	}
	p.ReportStmt(st,
		fmt.Sprintf("This statement names %s with upper-case letters or characters an unquoted name cannot have. PostgreSQL keeps such a name exactly as quoted, and folds every unquoted name to lower case: each later query, psql session, report and migration must write it in double quotes with the same spelling, or it fails with \"does not exist\" (SELECT ... FROM OrderItem looks for orderitem).",
			strings.Join(bad, ", ")),
		advisoryJoin(
			"Use lower-case snake_case names made of a-z, 0-9 and _ (order_item, unit_price), which need no quotes anywhere.",
			"Django derives its table, column, index and constraint names in lower case; keep db_table, db_column and Index/Constraint name= in lower case too."))
}

type namingName struct{ kind, name string }

// namingNewNames lists the names st gives to new or renamed objects.
func namingNewNames(s sqlparse.Statement) []namingName {
	var out []namingName
	constraints := func(ks []sqlparse.Constraint) {
		for _, k := range ks {
			if k.Name != "" {
				out = append(out, namingName{"constraint", k.Name})
			}
		}
	}
	column := func(c *sqlparse.Column) {
		out = append(out, namingName{"column", c.Name})
		constraints(c.Constraints)
	}
	switch s := s.(type) {
	case *sqlparse.CreateTable:
		if s.Temporary {
			return nil
		}
		out = append(out, namingName{"table", s.Table.Name})
		for i := range s.Columns {
			column(&s.Columns[i])
		}
		constraints(s.Constraints)
	case *sqlparse.AlterTable:
		for _, c := range s.Cmds {
			if c.Action == sqlparse.AddColumn && c.Def != nil {
				column(c.Def)
			}
			if c.Action == sqlparse.AddConstraint && c.Constraint != nil {
				constraints([]sqlparse.Constraint{*c.Constraint})
			}
		}
	case *sqlparse.CreateIndex:
		if s.Name != "" {
			out = append(out, namingName{"index", s.Name})
		}
	case *sqlparse.Rename:
		switch s.Object {
		case "TABLE", "COLUMN", "INDEX", "CONSTRAINT", "VIEW", "MATERIALIZED VIEW", "SEQUENCE":
			out = append(out, namingName{strings.ToLower(s.Object), s.To})
		}
	case *sqlparse.Other:
		if s.Tag == "CREATE VIEW" && len(s.Tables) > 0 {
			out = append(out, namingName{"view", s.Tables[0].Name})
		}
	}
	return out
}

// namingNeedsQuotes reports whether name can only be written as a quoted identifier because of its
// characters: an upper-case ASCII letter, an ASCII character other than a-z, 0-9, _ and $, or a
// leading digit or $. (Non-ASCII letters are allowed unquoted. Reserved words are not checked.)
func namingNeedsQuotes(name string) bool {
	for i, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r == '_', r >= 0x80:
		case r >= '0' && r <= '9', r == '$':
			if i == 0 {
				return true
			}
		default:
			return true
		}
	}
	return false
}
