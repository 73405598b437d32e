package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// FKDropped: a foreign key constraint disappears while its column stays, so the database stops
// guaranteeing the relation. Django: AlterField of a ForeignKey to db_constraint=False or to a
// field without a relation (judged from the fields, once per operation). Raw SQL: ALTER TABLE ...
// DROP CONSTRAINT whose name is Django's (…_fk_…) or PostgreSQL's (…_fkey) foreign key name, or
// that the live catalog says is a foreign key. Quiet when a foreign key is added to the same table
// later in the migration (a drop and re-create, as Django does around type changes), for
// RemoveField (the column goes too: drop-column) and DROP TABLE.
var FKDropped = analysis.Rule{
	Name:      "fk-dropped",
	Severity:  analysis.Warning,
	Summary:   "Dropping a foreign key constraint silently gives up referential integrity",
	Operation: fkDroppedOp,
	Migration: fkDroppedSQL,
}

func fkDroppedOp(p *analysis.Pass, op *plan.Operation) {
	if !isDjangoOp(op, "AlterField") || len(op.SQL) == 0 || op.OldField == nil || op.NewField == nil {
		return
	}
	o, n := op.OldField, op.NewField
	if o.Related == "" || o.ManyToMany || !o.DBConstraint {
		return
	}
	if n.Related != "" && !n.ManyToMany && n.DBConstraint {
		return // still a constrained relation (maybe re-created: a new target or type)
	}
	if op.Model != nil && p.Created(op.Model.TableBefore) {
		return
	}
	why := "db_constraint=False"
	if n.Related == "" {
		why = "a " + n.Class + " without a relation"
	}
	target := o.RelatedTable
	if target == "" {
		target = o.Related
	}
	p.Report(op, "",
		fmt.Sprintf("AlterField turns %s.%s (a ForeignKey to %s) into %s: Django drops its foreign key constraint. From then on the database no longer checks that %s points to an existing row, so rows can reference deleted or never-existing %s rows (concurrent deletes, raw SQL, bulk loads), and nothing tells you.",
			opModelLabel(op), o.Name, target, why, quoteIdent(o.Column), target),
		strings.Join([]string{
			"If the integrity is to stay, keep db_constraint=True.",
			fmt.Sprintf("If dropping it is deliberate (a cross-database or sharded relation, a table about to be partitioned), note why in the migration. To restore it later without blocking writes: RunSQL('ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY (%s) REFERENCES %s NOT VALID'), then RunSQL('ALTER TABLE ... VALIDATE CONSTRAINT ...') in a separate migration.", quoteIdent(o.Column), quoteIdent(target)),
		}, "\n"))
}

func fkDroppedSQL(p *analysis.Pass) {
	for i, st := range p.Stmts {
		at, ok := st.Statement.(*sqlparse.AlterTable)
		if !ok || isDjangoOp(st.Op, "AlterField", "RemoveField") {
			continue // judged from the fields (AlterField), or the column goes too (RemoveField)
		}
		table := analysis.TableName(at.Table)
		if createdBefore(p, table, i) || fkAddedAfter(p, table, i) {
			continue
		}
		for _, c := range at.Cmds {
			if c.Action != sqlparse.DropConstraint || !foreignKeyName(p, table, c.Name) {
				continue
			}
			p.ReportStmt(st,
				fmt.Sprintf("%s drops constraint %s of %s, a foreign key: the database no longer checks that the referencing column points to an existing row, so dangling references can be written (concurrent deletes, raw SQL, bulk loads) and nothing tells you.",
					dropper(st.Op), quoteIdent(c.Name), table),
				strings.Join([]string{
					"Make sure dropping it is deliberate and reviewed (a cross-database relation, a table about to be partitioned).",
					"If it must come back, re-add it without blocking writes: ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then VALIDATE CONSTRAINT in a separate migration.",
				}, "\n"))
		}
	}
}

// foreignKeyName tells whether a constraint is a foreign key: the live catalog when it knows,
// else the name Django (…_fk_<table>_<column>) or PostgreSQL (<table>_<column>_fkey) gives one.
// A foreign key named otherwise is missed without a catalog.
func foreignKeyName(p *analysis.Pass, table, name string) bool {
	if ck, ok := p.Catalog.(constraintKinds); ok {
		if kind, ok := ck.ConstraintKind(table, name); ok {
			return kind == "f"
		}
	}
	n := strings.ToLower(name)
	return strings.Contains(n, "_fk_") || strings.HasSuffix(n, "_fkey") || strings.HasPrefix(n, "fk_")
}

// fkAddedAfter reports whether a foreign key is added to table after statement i in this
// migration.
func fkAddedAfter(p *analysis.Pass, table string, i int) bool {
	for _, st := range p.Stmts[i+1:] {
		at, ok := st.Statement.(*sqlparse.AlterTable)
		if !ok || analysis.TableName(at.Table) != table {
			continue
		}
		for _, c := range at.Cmds {
			if c.Action == sqlparse.AddConstraint && c.Constraint != nil && c.Constraint.Kind == sqlparse.ForeignKey {
				return true
			}
			if c.Action == sqlparse.AddColumn && c.Def != nil && c.Def.References != nil {
				return true
			}
		}
	}
	return false
}
