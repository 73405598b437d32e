package rules

import (
	"fmt"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// JSONColumn: the json type has no equality operator, so queries that compare whole rows' values
// (DISTINCT, UNION, GROUP BY) fail once the table has such a column.
var JSONColumn = analysis.Rule{
	Name:      "json-column",
	Severity:  analysis.Warning,
	Summary:   "A json (not jsonb) column has no equality operator: DISTINCT, UNION and GROUP BY over it fail",
	Statement: jsonColumn,
}

func jsonColumn(p *analysis.Pass, st *analysis.Stmt) {
	at, table, ok := alterOfExisting(p, st)
	if !ok {
		return
	}
	isJSON := func(t *sqlparse.Type) bool { return t != nil && t.Name == "json" && t.Schema == "" }
	for _, c := range at.Cmds {
		var column string
		switch {
		case c.Action == sqlparse.AddColumn && c.Def != nil && isJSON(&c.Def.Type):
			column = c.Def.Name
		case c.Action == sqlparse.AlterColumnType && isJSON(c.Type):
			column = c.Column
		default:
			continue
		}
		p.ReportStmt(st,
			fmt.Sprintf("%s.%s is of type json, which has no equality operator: any query that compares its values — SELECT DISTINCT (Django's .distinct() selects every model column), UNION, GROUP BY, DISTINCT ON — fails with \"could not identify an equality operator for type json\".",
				table, column),
			fmt.Sprintf("Use jsonb instead (Django's JSONField does): ALTER TABLE %s ADD COLUMN %s jsonb ...; it also supports indexing and containment queries.", quoteIdent(table), quoteIdent(column)))
	}
}
