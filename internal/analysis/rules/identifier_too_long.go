package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// IdentifierTooLong: PostgreSQL silently cuts identifiers to 63 bytes, so a long name given to a
// new table, column, index or constraint is not the name that exists.
var IdentifierTooLong = analysis.Rule{
	Name:         "identifier-too-long",
	Severity:     analysis.Unsafe,
	WhileRunning: true,
	Summary:      "An identifier longer than 63 bytes is silently truncated: the object gets another name, and long names can collide",
	Statement:    identifierTooLong,
}

func identifierTooLong(p *analysis.Pass, st *analysis.Stmt) {
	long := st.Info().LongIdentifiers()
	if len(long) == 0 {
		return
	}
	defined, every := columnsDefinedNames(st.Statement)
	seen := map[string]bool{}
	for _, li := range long {
		if (!every && !defined[li.Name]) || seen[li.Written] {
			continue
		}
		seen[li.Written] = true
		p.ReportStmt(st,
			fmt.Sprintf("The name %q is %d bytes long; PostgreSQL keeps only the first 63 and silently names the object %q. Anything that looks the name up in full — introspection, pg_catalog queries, monitoring, a later migration comparing names — does not find it, and two names sharing their first 63 bytes collide (\"already exists\").",
				li.Written, len(li.Written), li.Name),
			"Choose a name of at most 63 bytes (ASCII characters count one byte each). Django: a shorter db_table, db_column, or Index/Constraint name=.")
	}
}

// columnsDefinedNames lists the names a statement gives to new objects (tables, columns, indexes,
// constraints, renamed objects). every is true for other CREATE statements, where every identifier
// counts.
func columnsDefinedNames(s sqlparse.Statement) (names map[string]bool, every bool) {
	names = map[string]bool{}
	constraints := func(ks []sqlparse.Constraint) {
		for _, k := range ks {
			names[k.Name] = true
		}
	}
	columns := func(cs []sqlparse.Column) {
		for _, c := range cs {
			names[c.Name] = true
			constraints(c.Constraints)
		}
	}
	switch s := s.(type) {
	case *sqlparse.CreateTable:
		names[s.Table.Name] = true
		columns(s.Columns)
		constraints(s.Constraints)
	case *sqlparse.CreateIndex:
		names[s.Name] = true
	case *sqlparse.AlterTable:
		for _, c := range s.Cmds {
			if c.Def != nil {
				columns([]sqlparse.Column{*c.Def})
			}
			if c.Constraint != nil {
				names[c.Constraint.Name] = true
			}
		}
	case *sqlparse.Rename:
		names[s.To] = true
	case *sqlparse.CreateTrigger:
		names[s.Name] = true
	case *sqlparse.CreateDomain:
		names[s.Name.Name] = true
		constraints(s.Constraints)
	case *sqlparse.CreateEnum:
		names[s.Name.Name] = true
	case *sqlparse.Other:
		return names, strings.HasPrefix(s.Tag, "CREATE")
	}
	delete(names, "")
	return names, false
}
