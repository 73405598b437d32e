package rules

import (
	"fmt"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// DropSchemaOrDatabase: DROP SCHEMA / DROP DATABASE in a migration.
var DropSchemaOrDatabase = analysis.Rule{
	Name:      "drop-schema-or-database",
	Severity:  analysis.Unsafe,
	Summary:   "DROP SCHEMA / DROP DATABASE destroys every object and all data in it",
	Statement: dropSchemaOrDatabase,
}

func dropSchemaOrDatabase(p *analysis.Pass, st *analysis.Stmt) {
	fix := "Never do this in a deploy migration. Remove objects one by one through the usual expand → deploy → contract steps (remove the models from the code first, DeleteModel later); if a whole schema really must go, do it by hand after a backup, outside the release."
	switch s := st.Statement.(type) {
	case *sqlparse.Drop:
		if s.Object != "SCHEMA" {
			return
		}
		for _, n := range s.Names {
			cascade := ""
			if s.Cascade {
				cascade = " With CASCADE it also drops every object elsewhere that depends on them (views, foreign keys)."
			}
			p.ReportStmt(st,
				fmt.Sprintf("DROP SCHEMA %s deletes every table, view, sequence and function in the schema, with all their data; the old code still serving breaks at once, and there is no undo short of restoring a backup.%s", n.String(), cascade),
				fix)
		}
	case *sqlparse.DropDatabase:
		p.ReportStmt(st,
			fmt.Sprintf("DROP DATABASE %s deletes a whole database with all its data; there is no undo short of restoring a backup.", s.Name),
			fix)
	}
}
