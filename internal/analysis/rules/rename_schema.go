package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// RenameSchema: every name the old code qualifies with the schema, and every search_path that
// lists it, stops resolving the moment the rename commits.
var RenameSchema = analysis.Rule{
	Name:      "rename-schema",
	Severity:  analysis.Unsafe,
	Summary:   "ALTER SCHEMA ... RENAME breaks the old code, which still names the old schema",
	Statement: renameSchema,
}

func renameSchema(p *analysis.Pass, st *analysis.Stmt) {
	r, ok := st.Statement.(*sqlparse.Rename)
	if !ok || r.Object != "SCHEMA" {
		return
	}
	p.ReportStmt(st,
		fmt.Sprintf("This statement renames schema %s to %s. The old code, still serving until the new release is live, reaches the tables in it through the old name (qualified names, or a search_path listing %s): from the moment this commits those queries fail with `relation does not exist` or `schema \"%s\" does not exist`. (The rename is quick, but the breakage lasts until the old code is gone.)",
			quoteIdent(r.From), quoteIdent(r.To), quoteIdent(r.From), r.From),
		strings.Join([]string{
			"Keep the schema's name. If it must change, make the code independent of it first, over several releases:",
			fmt.Sprintf("1. Ship code that uses unqualified names and a search_path listing both schemas (e.g. DATABASES OPTIONS {\"options\": \"-c search_path=%s,%s,public\"}); PostgreSQL skips a schema of the search_path that does not exist.", r.To, r.From),
			"2. Rename the schema in a later release.",
			fmt.Sprintf("3. Remove %s from the search_path in the release after.", r.From),
			approveHint("rename-schema", "no running code uses the old name; reviewed by ..."),
		}, "\n"))
}
