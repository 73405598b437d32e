package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// DropColumn: dropping a column breaks the old code, which names every column of its models in
// its queries, from the moment the migration commits; and the data is gone. Reported once per
// dropped column: on the RemoveField operation when Django's RemoveField drops it, on the
// statement otherwise (RunSQL, AlterOrderWithRespectTo removing _order, ...).
var DropColumn = analysis.Rule{
	Name:      "drop-column",
	Severity:  analysis.Unsafe,
	Summary:   "DROP COLUMN (RemoveField) breaks the old code, which still selects the column, and destroys its data",
	Statement: dropColumn,
}

func dropColumn(p *analysis.Pass, st *analysis.Stmt) {
	at, ok := st.Statement.(*sqlparse.AlterTable)
	if !ok || (at.Object != "TABLE" && at.Object != "FOREIGN TABLE") {
		return
	}
	table := analysis.TableName(at.Table)
	if p.Created(table) {
		return // a table of this release: no old code reads it
	}
	for _, c := range at.Cmds {
		if c.Action != sqlparse.DropColumn {
			continue
		}
		op := st.Op
		if isDjangoOp(op, "RemoveField") && op.OldField != nil && op.OldField.Column == c.Column {
			p.Report(op, "", removeFieldMessage(op, table), removeFieldFix(op, table))
			continue
		}
		p.ReportStmt(st,
			fmt.Sprintf("%s drops column %s of %s. Code still serving from the old release names every column of its models in its queries, so each query on %s that uses %s fails with `column does not exist` from the moment this commits until the new release is live; the column's data is destroyed and no code rollback brings it back. (The DROP itself takes only a brief ACCESS EXCLUSIVE lock.)",
				dropper(op), quoteIdent(c.Column), table, table, quoteIdent(c.Column)),
			strings.Join([]string{
				"Drop a column only when no running code knows it, in two releases:",
				"1. Remove the field from the models and from Django's state only: SeparateDatabaseAndState(state_operations=[migrations.RemoveField(...)], database_operations=[]). If the column is NOT NULL without a database default, make it nullable in that same migration (database_operations=[RunSQL('ALTER TABLE " + quoteIdent(table) + " ALTER COLUMN " + quoteIdent(c.Column) + " DROP NOT NULL')]): the new code's INSERTs leave it out.",
				"2. In a later release, drop it: RunSQL('ALTER TABLE " + quoteIdent(table) + " DROP COLUMN " + quoteIdent(c.Column) + "'), reviewed. zdcd's release phase backs the database up before migrating.",
				approveHint("drop-column", "column unused since release N; reviewed by ..."),
			}, "\n"))
	}
}

// dropper names what drops a column in a message.
func dropper(op *plan.Operation) string {
	switch {
	case op.Class == "RunSQL" || op.Class == sqlFileOperation:
		return "This statement"
	case op.Class == "AlterOrderWithRespectTo":
		return "AlterOrderWithRespectTo (removing order_with_respect_to)"
	}
	return op.Class
}

func removeFieldMessage(op *plan.Operation, table string) string {
	f := op.OldField
	model := opModelLabel(op)
	if model == "" {
		model = table
	}
	return fmt.Sprintf("RemoveField drops column %s of %s (%s.%s). The old code, still serving until the new release is live, names every field of %s in its SELECTs, INSERTs and UPDATEs: from the moment the migration commits each of them fails with `column \"%s\" does not exist`. The column's data is destroyed, and rolling the code back cannot bring it back. (The DROP itself takes only a brief ACCESS EXCLUSIVE lock.)",
		quoteIdent(f.Column), table, model, f.Name, model, f.Column)
}

func removeFieldFix(op *plan.Operation, table string) string {
	f := op.OldField
	model := strings.ToLower(opModelClass(op))
	steps := []string{
		"Remove the field in two releases (expand → deploy → contract):",
		fmt.Sprintf("1. This release: remove it from Django's state only, so no SQL runs and the old code keeps working: migrations.SeparateDatabaseAndState(state_operations=[migrations.RemoveField(model_name=%q, name=%q)], database_operations=[]).", model, f.Name),
	}
	if !f.Null && f.DBDefault == nil && !f.PrimaryKey {
		steps = append(steps, fmt.Sprintf("   The column is NOT NULL without a database default: the new code's INSERTs will leave it out and fail, so make it nullable in that same migration: database_operations=[migrations.AlterField(model_name=%q, name=%q, field=<the field with null=True>)] (or RunSQL('ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL')).",
			model, f.Name, quoteIdent(table), quoteIdent(f.Column)))
	}
	steps = append(steps,
		fmt.Sprintf("2. A later release, once no running code knows the field: drop the column with RunSQL('ALTER TABLE %s DROP COLUMN %s', reverse_sql=...). zdcd's release phase backs the database up before migrating; that drop still needs a reviewer's approval.", quoteIdent(table), quoteIdent(f.Column)),
		approveHint("drop-column", "field removed from the code in release N; reviewed by ..."))
	return strings.Join(steps, "\n")
}
