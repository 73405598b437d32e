package rules

import (
	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// alterOfExisting returns st as an ALTER TABLE of a table the release did not create, with the
// table's name; ok=false for any other statement (a new table is empty and unseen by the old code).
func alterOfExisting(p *analysis.Pass, st *analysis.Stmt) (at *sqlparse.AlterTable, table string, ok bool) {
	at, ok = st.Statement.(*sqlparse.AlterTable)
	if !ok {
		return nil, "", false
	}
	table = analysis.TableName(at.Table)
	if p.Created(table) {
		return nil, "", false
	}
	return at, table, true
}
