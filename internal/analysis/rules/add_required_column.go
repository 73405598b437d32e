package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// AddRequiredColumn: a NOT NULL column the old code does not know about, without a database
// default that stays, makes the old code's INSERTs fail (or the ADD itself fails on a non-empty
// table). The classic case: Django's AddField(null=False, default=x) adds the column with
// DEFAULT x and drops the default right after.
var AddRequiredColumn = analysis.Rule{
	Name:      "add-required-column",
	Severity:  analysis.Unsafe,
	Summary:   "ADD COLUMN NOT NULL without a database default that stays: the old code's INSERTs fail (Django's AddField with a default drops it)",
	Migration: addRequiredColumn,
}

func addRequiredColumn(p *analysis.Pass) {
	for i, st := range p.Stmts {
		at, table, ok := alterOfExisting(p, st)
		if !ok {
			continue
		}
		for k, c := range at.Cmds {
			switch c.Action {
			case sqlparse.AddColumn:
				d := c.Def
				if d == nil || !d.NotNull || d.Serial() || d.Identity != "" || d.Generated {
					continue // nullable, or PostgreSQL fills the value itself
				}
				col := table + "." + d.Name
				if d.Default == nil {
					p.ReportStmt(st,
						fmt.Sprintf("ADD COLUMN %s NOT NULL has no default: on a non-empty %s it fails (every existing row would be NULL) after waiting for an ACCESS EXCLUSIVE lock; and where it succeeds, every INSERT of the old code — which knows nothing of %s and leaves it out — fails with a NOT NULL violation.",
							col, table, d.Name),
						columnsRequiredFix(table, d, st.Info().Text, false, false))
					continue
				}
				if !columnsDropsDefault(p, i, k, table, d.Name) {
					continue // the database keeps the default: old INSERTs get it
				}
				who := "The column is added with a default that a later statement of this migration drops"
				if st.Op != nil && st.Op.Class == "AddField" {
					who = "Django's AddField adds the column with DEFAULT and drops the default right after (Django keeps defaults in Python, not in the database)"
				}
				p.ReportStmt(st,
					fmt.Sprintf("%s, so %s ends up NOT NULL without a default: while the old code still serves (until the release completes, and during preboot), every INSERT it makes into %s leaves %s out and fails with a NOT NULL violation.",
						who, col, table, d.Name),
					columnsRequiredFix(table, d, st.Info().Text, true, columnsCallableDefault(st, d.Name) != nil))
			case sqlparse.DropDefault:
				// Django ≥ 5: removing db_default from a NOT NULL field. The old code inserts
				// DEFAULT for it, which now means NULL.
				oldField, newField := columnsField(st, c.Column)
				if st.Op == nil || st.Op.Class != "AlterField" || oldField == nil || newField == nil ||
					oldField.DBDefault == nil || newField.DBDefault != nil || newField.Null {
					continue
				}
				p.ReportStmt(st,
					fmt.Sprintf("AlterField removes the database default (db_default=%s) of %s.%s, which stays NOT NULL: the old code leaves the column to its database default (Django sends DEFAULT for a db_default field), so each of its INSERTs now writes NULL and fails.",
						oldField.DBDefault.Repr, table, c.Column),
					strings.Join([]string{
						"Keep the database default for this release: drop it only once no old code runs.",
						"1. This release: SeparateDatabaseAndState(state_operations=[AlterField(...)]) without database operations — the model stops using db_default, the column keeps it.",
						fmt.Sprintf("2. A later release: RunSQL `ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT`.", quoteIdent(table), quoteIdent(c.Column)),
					}, "\n"))
			}
		}
	}
}

// columnsRequiredFix is the expand/contract recipe for a required column.
func columnsRequiredFix(table string, d *sqlparse.Column, stmt string, dropped, callable bool) string {
	steps := []string{"Keep a database default the old code can rely on, or add the column nullable first:"}
	switch {
	case callable:
		// A per-row value computed in Python: a kept constant default would be wrong too.
		steps = steps[:0]
	case dropped:
		steps = append(steps,
			"- Django ≥ 5.0: declare the field with db_default=<value> (a constant or another non-volatile expression): Django then adds the column with the default and keeps it; on PostgreSQL 11+ this is metadata only.",
			fmt.Sprintf(`- Older Django: SeparateDatabaseAndState(database_operations=[RunSQL("""%s""")], state_operations=[AddField(...)]) — the same ADD COLUMN without the DROP DEFAULT; drop the default in a later release, once no old code runs.`, stmt))
	default:
		steps = append(steps, fmt.Sprintf("- Give it a default the database keeps: ALTER TABLE %s ADD COLUMN %s %s NOT NULL DEFAULT <constant>; (PostgreSQL 11+: metadata only; Django ≥ 5.0: db_default=<constant>).",
			quoteIdent(table), quoteIdent(d.Name), columnsTypeName(d.Type)))
	}
	steps = append(steps,
		"- Expand/contract: AddField(null=True) → deploy code that writes it → backfill in batches (atomic = False) → in a later release make it NOT NULL with AddConstraintNotValid(CheckConstraint(condition=Q(<field>__isnull=False))) + ValidateConstraint, then AlterField(null=False).")
	return strings.Join(steps, "\n")
}
