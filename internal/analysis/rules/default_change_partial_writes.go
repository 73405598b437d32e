package rules

import (
	"fmt"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// DefaultChangePartialWrites: changing the database default of a column whose default writers rely
// on (Django ≥ 5 db_default) makes the old and the new code insert different values.
var DefaultChangePartialWrites = analysis.Rule{
	Name:      "default-change-partial-writes",
	Severity:  analysis.Warning,
	Summary:   "Changing a database default the code relies on (Django 5 db_default): rows inserted during the deploy get the new default from old code",
	Migration: defaultChangePartialWrites,
}

func defaultChangePartialWrites(p *analysis.Pass) {
	for i, st := range p.Stmts {
		at, table, ok := alterOfExisting(p, st)
		if !ok {
			continue
		}
		for k, c := range at.Cmds {
			if c.Action != sqlparse.SetDefault && c.Action != sqlparse.DropDefault {
				continue
			}
			col := table + "." + c.Column
			oldField, newField := columnsField(st, c.Column)
			if st.Op != nil && st.Op.Class == "AlterField" && oldField != nil && newField != nil {
				// Django ≥ 5: db_default changed or removed. (Django's own 4-way SET/DROP DEFAULT
				// pair has no db_default on the old field.)
				if oldField.DBDefault == nil {
					continue
				}
				switch {
				case c.Action == sqlparse.SetDefault && newField.DBDefault != nil:
					p.ReportStmt(st,
						fmt.Sprintf("AlterField changes the database default of %s from %s to %s: the old code, still serving during the release, inserts DEFAULT for this db_default field and gets the new value, not the one it was written for; rows written by old and new code during the deploy differ.",
							col, oldField.DBDefault.Repr, newField.DBDefault.Repr),
						"Make sure both values are acceptable to both versions of the code; if not, add a new column (or keep the old default) and switch in two releases: first deploy code that writes the value explicitly, then change the default.")
				case c.Action == sqlparse.DropDefault && newField.DBDefault == nil && newField.Null:
					p.ReportStmt(st,
						fmt.Sprintf("AlterField removes the database default (db_default=%s) of %s: the old code, still serving during the release, inserts DEFAULT for this field and now writes NULL instead of %s.",
							oldField.DBDefault.Repr, col, oldField.DBDefault.Repr),
						"Change the model first and the database later: this release SeparateDatabaseAndState(state_operations=[AlterField(...)]) only; the next release RunSQL ALTER TABLE ... ALTER COLUMN ... DROP DEFAULT.")
				}
				continue
			}
			// Raw SQL: only with a catalog that shows the column already has a default, and not
			// when a later statement of the migration drops it again (a transient default).
			if c.Action != sqlparse.SetDefault || p.Catalog == nil {
				continue
			}
			dc, ok := p.Catalog.(columnsDefaultCatalog)
			if !ok {
				continue
			}
			old, has := dc.ColumnDefault(table, c.Column)
			if !has || columnsDropsDefault(p, i, k, table, c.Column) {
				continue
			}
			p.ReportStmt(st,
				fmt.Sprintf("SET DEFAULT changes the database default of %s (now %s): writers that leave the column out — the old code if it relies on the database default, raw SQL, other services — insert the new value from now on, while the code that expects the old one still runs.",
					col, old),
				"Check that every writer accepts the new default during the deploy; otherwise write the value explicitly in the code first, and change the default in a later release.")
		}
	}
}
