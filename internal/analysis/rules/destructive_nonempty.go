package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// DestructiveNonempty: statements that destroy existing data wholesale, beyond the tables and
// columns drop-table and drop-column report (their messages already count the data loss): TRUNCATE
// and DELETE without WHERE of a table that has rows, and DROP TYPE / DOMAIN / EXTENSION /
// COLLATION ... CASCADE, which drops every column that depends on the object. With a live catalog
// that says the table is empty, TRUNCATE and DELETE are quiet; without one they are assumed to
// destroy data.
var DestructiveNonempty = analysis.Rule{
	Name:      "destructive-nonempty",
	Severity:  analysis.Unsafe,
	Summary:   "TRUNCATE, DELETE without WHERE or DROP ... CASCADE destroys existing data",
	Statement: destructiveNonempty,
}

func destructiveNonempty(p *analysis.Pass, st *analysis.Stmt) {
	switch s := st.Statement.(type) {
	case *sqlparse.Truncate:
		for _, n := range s.Tables {
			table := analysis.TableName(n)
			if p.Created(table) || knownEmpty(p, table) {
				continue
			}
			msg := fmt.Sprintf("TRUNCATE %s deletes every row of a table the old code is still using, under an ACCESS EXCLUSIVE lock; once the migration commits the data is gone, and rolling the code back does not bring it back.", table)
			if s.Cascade {
				msg += " CASCADE also empties every table with a foreign key to it, and theirs in turn."
			}
			p.ReportStmt(st, msg+checkedNote(p), destroyFix("truncate", table))
		}
	case *sqlparse.Delete:
		table := analysis.TableName(s.Table)
		if s.HasWhere || p.Created(table) || knownEmpty(p, table) {
			return
		}
		p.ReportStmt(st,
			fmt.Sprintf("DELETE FROM %s without WHERE deletes every row of a table the old code is still using, in one statement that keeps each row locked until the migration commits; the data is gone once it commits.%s", table, checkedNote(p)),
			destroyFix("delete", table))
	case *sqlparse.Drop:
		switch s.Object {
		case "TYPE", "DOMAIN", "EXTENSION", "COLLATION":
		default:
			return
		}
		if !s.Cascade {
			return // refused by PostgreSQL while anything depends on it
		}
		names := make([]string, len(s.Names))
		for i, n := range s.Names {
			names[i] = n.String()
		}
		p.ReportStmt(st,
			fmt.Sprintf("DROP %s %s CASCADE also drops everything that depends on it — every column of that type (with its data), and the defaults, indexes, views and functions that use it — without naming them; the old code's queries on those columns fail from then on.",
				s.Object, strings.Join(names, ", ")),
			strings.Join([]string{
				"Drop without CASCADE, so PostgreSQL refuses while something still depends on it, and remove the dependents explicitly first (the columns through drop-column's two-release steps).",
				approveHint("destructive-nonempty", "nothing depends on it any more; reviewed by ..."),
			}, "\n"))
	}
}

// knownEmpty reports whether the live catalog says table has no rows.
func knownEmpty(p *analysis.Pass, table string) bool {
	rc, ok := p.Catalog.(rowsChecker)
	if !ok {
		return false
	}
	has, err := rc.HasRows(table)
	return err == nil && !has
}

// checkedNote says whether the rows were seen or assumed.
func checkedNote(p *analysis.Pass) string {
	if _, ok := p.Catalog.(rowsChecker); ok {
		return " (The live database says it has rows.)"
	}
	return " (Without the live database zdcd assumes it has rows.)"
}

func destroyFix(kind, table string) string {
	lines := []string{
		"If the data must really go: make sure no running code needs it, and keep a copy (zdcd's release phase captures a backup before migrating unless ZDCD_BACKUP turns it off).",
	}
	if kind == "delete" {
		lines = append(lines, fmt.Sprintf("To remove only some rows, DELETE ... WHERE in batches by primary-key range, outside the schema migration (a management command), e.g. DELETE FROM %s WHERE id IN (SELECT id FROM %s WHERE ... LIMIT 5000).", quoteIdent(table), quoteIdent(table)))
	} else {
		lines = append(lines, "To retire the table itself, follow drop-table's two releases instead.")
	}
	return strings.Join(append(lines, approveHint("destructive-nonempty", "data no longer needed, backup taken; reviewed by ...")), "\n")
}
