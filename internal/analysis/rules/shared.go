package rules

import (
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// alterOfExisting returns st as an ALTER TABLE (of a table, not an index, view or sequence) of a
// table the release did not create, with the table's name; ok=false for any other statement (a
// new table is empty and unseen by the old code).
func alterOfExisting(p *analysis.Pass, st *analysis.Stmt) (at *sqlparse.AlterTable, table string, ok bool) {
	at, ok = st.Statement.(*sqlparse.AlterTable)
	if !ok || at.Object != "TABLE" {
		return nil, "", false
	}
	table = analysis.TableName(at.Table)
	if p.Created(table) {
		return nil, "", false
	}
	return at, table, true
}

// quoteIdent double-quotes an identifier for SQL shown in a message or fix, as Django writes
// names. A dotted name without quotes ("reporting.daily_sales", as analysis.TableName spells a
// table outside public) is quoted part by part.
func quoteIdent(name string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 && !strings.Contains(name, `"`) {
		return quoteIdent(name[:i]) + "." + quoteIdent(name[i+1:])
	}
	return quotePart(name)
}

func quotePart(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// quoteName quotes a possibly schema-qualified name.
func quoteName(n sqlparse.Name) string {
	if n.Schema != "" {
		return quotePart(n.Schema) + "." + quotePart(n.Name)
	}
	return quotePart(n.Name)
}

// quoteIdents quotes and joins column names: "a", "b".
func quoteIdents(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = quoteIdent(c)
	}
	return strings.Join(q, ", ")
}
