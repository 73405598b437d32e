package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// FKMissingIndex: a foreign key whose referencing columns get no index. Every DELETE of a
// referenced row (and every UPDATE of its key) must then find the referencing rows by scanning the
// whole referencing table — in PostgreSQL's foreign key check and in Django's on_delete collector.
//
// Quiet when the Django field keeps an index (db_index=True, the default for ForeignKey, unique or
// primary key), or when this migration creates an index, unique or primary key constraint whose
// leading columns are the foreign key's columns. An index that already exists in the database is
// invisible to zdcd: the finding says so.
var FKMissingIndex = analysis.Rule{
	Name:         "fk-missing-index",
	Severity:     analysis.Warning,
	WhileRunning: true,
	Summary:      "foreign key without an index on its columns: deletes in the referenced table scan the referencing one",
	Migration:    fkMissingIndex,
}

func fkMissingIndex(p *analysis.Pass) {
	for i, st := range p.Stmts {
		at, table, ok := alterOfExisting(p, st)
		if !ok {
			continue
		}
		for _, c := range at.Cmds {
			var cols []string
			var ref *sqlparse.Reference
			name := ""
			switch {
			case c.Action == sqlparse.AddColumn && c.Def != nil && c.Def.References != nil:
				if c.Def.Unique || c.Def.PrimaryKey {
					continue
				}
				cols, ref = []string{c.Def.Name}, c.Def.References
				for _, k := range c.Def.Constraints {
					if k.Kind == sqlparse.ForeignKey {
						name = k.Name
					}
				}
			case c.Action == sqlparse.AddConstraint && c.Constraint != nil && c.Constraint.Kind == sqlparse.ForeignKey:
				cols, ref, name = c.Constraint.Columns, c.Constraint.References, c.Constraint.Name
			default:
				continue
			}
			if len(cols) == 0 || fkFieldIndexed(st, cols) || fkIndexInMigration(p, i, table, cols) {
				continue
			}
			fkReport(p, st, table, name, cols, ref)
		}
	}
}

// fkFieldIndexed reports whether the Django field behind the statement keeps an index on cols.
func fkFieldIndexed(st *analysis.Stmt, cols []string) bool {
	f := st.Op.NewField
	if f == nil || len(cols) != 1 || f.Column != cols[0] {
		return false
	}
	return f.DBIndex || f.Unique || f.PrimaryKey
}

// fkIndexInMigration reports an index, unique or primary key whose leading columns are cols,
// created on table anywhere in this migration.
func fkIndexInMigration(p *analysis.Pass, self int, table string, cols []string) bool {
	for i, st := range p.Stmts {
		switch s := st.Statement.(type) {
		case *sqlparse.CreateIndex:
			if analysis.TableName(s.Table) == table && !s.Partial && fkLeading(s.Columns, cols) {
				return true
			}
		case *sqlparse.AlterTable:
			if analysis.TableName(s.Table) != table {
				continue
			}
			for _, c := range s.Cmds {
				if c.Action == sqlparse.AddConstraint && c.Constraint != nil &&
					(c.Constraint.Kind == sqlparse.Unique || c.Constraint.Kind == sqlparse.PrimaryKey) && fkLeading(c.Constraint.Columns, cols) {
					return true
				}
				if i != self && c.Action == sqlparse.AddColumn && c.Def != nil && (c.Def.Unique || c.Def.PrimaryKey) && fkLeading([]string{c.Def.Name}, cols) {
					return true
				}
			}
		}
	}
	return false
}

// fkLeading reports whether the first len(cols) columns of index are cols, in any order.
func fkLeading(index, cols []string) bool {
	if len(index) < len(cols) {
		return false
	}
	want := map[string]bool{}
	for _, c := range cols {
		want[c] = true
	}
	for _, c := range index[:len(cols)] {
		if !want[c] {
			return false
		}
	}
	return true
}

func fkReport(p *analysis.Pass, st *analysis.Stmt, table, name string, cols []string, ref *sqlparse.Reference) {
	target := "its referenced table"
	if ref != nil {
		target = analysis.TableName(ref.Table)
	}
	fk := "Foreign key"
	if name != "" {
		fk += " " + name
	}
	field := ""
	if st.Op.NewField != nil {
		field = " (the field has db_index=False)"
	}
	idxName := table + "_" + strings.Join(cols, "_") + "_idx"
	if len(idxName) > 63 {
		idxName = idxName[:63]
	}
	p.ReportStmt(st,
		fmt.Sprintf("%s on %s (%s) gets no index on those columns in this migration%s: every DELETE of a row of %s, and every UPDATE of its key, "+
			"has to scan all of %s to find the rows that reference it — in PostgreSQL's foreign key check and in Django's on_delete handling — while holding row locks. "+
			"If an index starting with (%s) already exists (a unique_together or Meta.indexes entry, say), ignore this.",
			fk, table, strings.Join(cols, ", "), field, target, table, strings.Join(cols, ", ")),
		strings.Join([]string{
			"Index the referencing columns without blocking writes, in a migration with `atomic = False`:",
			fmt.Sprintf("AddIndexConcurrently(model, models.Index(fields=[...], name=%q)) from django.contrib.postgres.operations — or RunSQL('CREATE INDEX CONCURRENTLY IF NOT EXISTS %s ON %s (%s);').",
				idxName, quoteIdent(idxName), quoteIdent(table), quoteIdents(cols)),
			"For a ForeignKey, db_index=True (the default) also gives it an index, built concurrently as index-create-blocking explains.",
		}, "\n"))
}
