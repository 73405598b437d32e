package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// DropTable: dropping a table (or a view) the old code still queries breaks it, and destroys the
// data. Django's DeleteModel emits DROP TABLE ... CASCADE, which also drops the foreign keys of
// the tables that reference it, locking each of them.
var DropTable = analysis.Rule{
	Name:      "drop-table",
	Severity:  analysis.Unsafe,
	Summary:   "DROP TABLE (DeleteModel) breaks the old code, which still queries the table, and destroys its data",
	Migration: dropTable,
}

// dropTable runs once the migration's statements are known: a view dropped and created again in
// the same transaction (the usual way to change a view) is not a loss.
func dropTable(p *analysis.Pass) {
	for i, st := range p.Stmts {
		d, ok := st.Statement.(*sqlparse.Drop)
		if !ok {
			continue
		}
		switch d.Object {
		case "TABLE", "FOREIGN TABLE":
			for _, n := range d.Names {
				table := analysis.TableName(n)
				if createdBefore(p, table, i) {
					continue
				}
				p.ReportStmt(st, dropTableMessage(st, d, table), dropTableFix(st, table))
			}
		case "VIEW", "MATERIALIZED VIEW":
			for _, n := range d.Names {
				view := analysis.TableName(n)
				if viewCreated(p, view, 0, i) || recreatedInTx(p, st, view, i) {
					continue
				}
				p.ReportStmt(st,
					fmt.Sprintf("%s drops %s %s: code still serving from the old release that reads it (an unmanaged model, a raw query, a report) fails with `relation does not exist` from the moment this commits; the DROP takes an ACCESS EXCLUSIVE lock on it.",
						dropper(st.Op), strings.ToLower(d.Object), view),
					strings.Join([]string{
						"To change a view, replace it in one statement: CREATE OR REPLACE VIEW (it may add columns at the end), or DROP and CREATE it in the same transaction (one atomic migration).",
						"To retire it: ship a release whose code no longer reads it, then drop it in a later release.",
						approveHint("drop-table", "view unused since release N; reviewed by ..."),
					}, "\n"))
			}
		}
	}
}

// viewCreated reports a CREATE VIEW of view among p.Stmts[from:to].
func viewCreated(p *analysis.Pass, view string, from, to int) bool {
	for _, st := range p.Stmts[from:to] {
		if o, ok := st.Statement.(*sqlparse.Other); ok && o.Tag == "CREATE VIEW" && len(o.Tables) > 0 && analysis.TableName(o.Tables[0]) == view {
			return true
		}
	}
	return false
}

// recreatedInTx reports a CREATE VIEW of view after statement i, in the same transaction.
func recreatedInTx(p *analysis.Pass, st *analysis.Stmt, view string, i int) bool {
	for j := i + 1; j < len(p.Stmts); j++ {
		if viewCreated(p, view, j, j+1) && sameTx(p, st, p.Stmts[j]) {
			return true
		}
	}
	return false
}

func dropTableMessage(st *analysis.Stmt, d *sqlparse.Drop, table string) string {
	op := st.Op
	var who string
	switch {
	case isDjangoOp(op, "DeleteModel"):
		who = fmt.Sprintf("DeleteModel drops table %s", table)
		if m := opModelLabel(op); m != "" {
			who = fmt.Sprintf("DeleteModel %s drops table %s", m, table)
		}
		if op.Model != nil && op.Model.TableBefore != "" && op.Model.TableBefore != table {
			who += ", the join table of one of its many-to-many fields"
		}
	case isDjangoOp(op, "RemoveField") && op.OldField != nil && op.OldField.ManyToMany:
		who = fmt.Sprintf("RemoveField drops %s, the join table of the many-to-many field %s", table, op.OldField.Name)
	default:
		who = fmt.Sprintf("%s drops table %s", dropper(op), table)
	}
	msg := who + ". The old code, still serving until the new release is live, queries it: from the moment the migration commits each of those queries fails with `relation does not exist`. Its rows are destroyed, and rolling the code back cannot bring them back. DROP TABLE takes an ACCESS EXCLUSIVE lock on it"
	if d.Cascade {
		msg += ", and CASCADE also drops the foreign keys of every table that references it, taking an ACCESS EXCLUSIVE lock on each of those tables too (reads and writes of them wait, for the whole of the migration's transaction)"
	}
	return msg + "."
}

func dropTableFix(st *analysis.Stmt, table string) string {
	op := st.Op
	first := "1. Remove the model (or field) from Django's state only, so no SQL runs: migrations.SeparateDatabaseAndState(state_operations=[...the operation...], database_operations=[])."
	if isDjangoOp(op, "DeleteModel") {
		first = fmt.Sprintf("1. This release: delete the model from Django's state only: migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name=%q)], database_operations=[]). Remove the foreign keys other models have to it first (RemoveField, or db_constraint=False), and make sure no code path still uses it.", opModelClass(op))
	} else if op.Class == "RunSQL" || op.Class == sqlFileOperation {
		first = "1. Ship a release whose code (models, raw queries, reports) no longer uses the table."
	}
	return strings.Join([]string{
		"Drop a table only once no running code uses it, in two releases:",
		first,
		fmt.Sprintf("2. A later release: drop the foreign keys that reference it explicitly (ALTER TABLE ... DROP CONSTRAINT ...), then RunSQL('DROP TABLE %s', reverse_sql=...) without CASCADE, so nothing else disappears with it. zdcd's release phase backs the database up before migrating.", quoteIdent(table)),
		approveHint("drop-table", "model removed from the code in release N; reviewed by ..."),
	}, "\n")
}
