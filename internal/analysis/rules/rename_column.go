package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// RenameColumn: the old code keeps using the column's old name, so every query it makes on the
// table fails from the moment the migration commits. Django emits the rename for RenameField,
// for AlterField changing db_column, and RenameModel for the columns of many-to-many join tables.
var RenameColumn = analysis.Rule{
	Name:      "rename-column",
	Severity:  analysis.Unsafe,
	Summary:   "RENAME COLUMN (RenameField, AlterField db_column) breaks the old code, which still uses the old name",
	Statement: renameColumn,
}

func renameColumn(p *analysis.Pass, st *analysis.Stmt) {
	r, ok := st.Statement.(*sqlparse.Rename)
	if !ok || r.Object != "COLUMN" {
		return
	}
	table := analysis.TableName(r.Table)
	if p.Created(table) {
		return
	}
	op := st.Op
	var who string
	switch {
	case isDjangoOp(op, "RenameField"):
		who = "RenameField"
	case isDjangoOp(op, "AlterField"):
		who = "AlterField (a new db_column)"
	default:
		who = dropper(op)
	}
	if m := opModelLabel(op); m != "" && who != "This statement" {
		who += " on " + m
	}
	p.ReportStmt(st,
		fmt.Sprintf("%s renames column %s of %s to %s. The old code, still serving until the new release is live, keeps using %s: from the moment the migration commits every query it makes that names the column (for a model field: every SELECT, INSERT and UPDATE of the model) fails with `column \"%s\" does not exist`. (The rename itself is a brief ACCESS EXCLUSIVE lock.)",
			who, quoteIdent(r.From), table, quoteIdent(r.To), quoteIdent(r.From), r.From),
		strings.Join([]string{
			fmt.Sprintf("Rename in Python only and keep the column's name in the database: give the field db_column=%q and record the change in Django's state alone, so no SQL runs:", r.From),
			fmt.Sprintf("migrations.SeparateDatabaseAndState(state_operations=[migrations.RenameField(model_name=..., old_name=%q, new_name=%q), migrations.AlterField(model_name=..., name=%q, field=<the field with db_column=%q>)]).", r.From, r.To, r.To, r.From),
			"If the database name itself must change, expand and contract over several releases: add the new column (nullable), make the code write both (or a trigger copying one into the other) and backfill in batches; switch reads to the new column; drop the old one in a later release.",
			approveHint("rename-column", "no running code uses the old name; reviewed by ..."),
		}, "\n"))
}
