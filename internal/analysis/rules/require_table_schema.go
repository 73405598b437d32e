package rules

import (
	"fmt"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// RequireTableSchema (opt-in: ZDCD_ENABLE_RULES=require-table-schema): raw SQL that names a table
// without its schema resolves it through search_path, which differs between roles, poolers and
// tools; a house style for teams that keep tables in several schemas. Django's own SQL never
// qualifies names (its tables live in the connection's search_path), so only RunSQL and plain
// .sql files are judged.
var RequireTableSchema = analysis.Rule{
	Name:      "require-table-schema",
	Severity:  analysis.Warning,
	Summary:   "(opt-in) raw SQL names a table without its schema, leaving it to search_path",
	OptIn:     true,
	Statement: requireTableSchema,
}

func requireTableSchema(p *analysis.Pass, st *analysis.Stmt) {
	if st.Op.Class != "RunSQL" && st.Op.Class != "SQL" {
		return
	}
	var names []sqlparse.Name
	switch s := st.Statement.(type) {
	case *sqlparse.CreateTable:
		if s.Temporary {
			return // temporary tables live in pg_temp and cannot be qualified otherwise
		}
		names = append(names, s.Table)
	case *sqlparse.AlterTable:
		names = append(names, s.Table)
	case *sqlparse.CreateIndex:
		names = append(names, s.Table)
	case *sqlparse.Drop:
		if s.Object == "TABLE" || s.Object == "VIEW" || s.Object == "MATERIALIZED VIEW" {
			names = append(names, s.Names...)
		}
	case *sqlparse.Truncate:
		names = append(names, s.Tables...)
	case *sqlparse.Update:
		names = append(names, s.Table)
	case *sqlparse.Delete:
		names = append(names, s.Table)
	case *sqlparse.Insert:
		names = append(names, s.Table)
	}
	for _, n := range names {
		if n.Name == "" || n.Schema != "" {
			continue
		}
		p.ReportStmt(st,
			fmt.Sprintf("%s names table %s without a schema: PostgreSQL resolves it through search_path, which can differ between the role that runs the migration and the app's (or a pooler's) sessions, so the statement may act on a different table than the one intended.", st.Info().Tag, n.Name),
			fmt.Sprintf("Qualify the name: public.%s (or the schema it lives in).", n.Name))
		return
	}
}
