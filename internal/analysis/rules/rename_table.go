package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// RenameTable: the old code keeps querying the table by its old name. Django emits the rename for
// RenameModel (and the model's many-to-many join tables) and AlterModelTable. Not reported when,
// in the same transaction, a view with the old name is created over the renamed table
// (`CREATE VIEW old AS SELECT * FROM new`: PostgreSQL reads and writes through it), or when the
// table is renamed back (RenameModel followed by AlterModelTable restoring the name).
var RenameTable = analysis.Rule{
	Name:      "rename-table",
	Severity:  analysis.Unsafe,
	Summary:   "ALTER TABLE ... RENAME TO (RenameModel, AlterModelTable) breaks the old code, which still uses the old name",
	Migration: renameTable,
}

func renameTable(p *analysis.Pass) {
	for i, st := range p.Stmts {
		from, to, object, ok := relationRename(st)
		if !ok || createdBefore(p, from, i) || aliasedOrRestored(p, i, from, to) || restoresEarlier(p, i, from, to) {
			continue
		}
		op := st.Op
		who := dropper(op)
		if m := opModelLabel(op); m != "" && who != "This statement" {
			who += " on " + m
		}
		what := fmt.Sprintf("renames %s %s to %s", strings.ToLower(object), from, to)
		alias := fmt.Sprintf("If the table itself must be renamed, leave the old name working until no code uses it: in the same transaction as the rename, RunSQL('CREATE VIEW %s AS SELECT * FROM %s', reverse_sql='DROP VIEW %s') — PostgreSQL reads and writes through such a view — and drop the view in a later release.", quoteIdent(from), quoteIdent(to), quoteIdent(from))
		if object == "SET SCHEMA" {
			what = fmt.Sprintf("moves table %s to another schema", from)
			alias = fmt.Sprintf("If it must move, leave the old name working until no code uses it: in the same transaction, create a view named %s over the moved table (CREATE VIEW %s AS SELECT * FROM <schema>.<table>), and drop the view in a later release.", quoteIdent(from), quoteIdent(from))
		}
		p.ReportStmt(st,
			fmt.Sprintf("%s %s. The old code, still serving until the new release is live, queries it by its old name: from the moment the migration commits each of those queries fails with `relation \"%s\" does not exist`. (The rename itself is a brief ACCESS EXCLUSIVE lock.)",
				who, what, from),
			strings.Join([]string{
				fmt.Sprintf("Keep the table's name: set Meta.db_table = %q on the model and record the rename in Django's state only, so no SQL runs: migrations.SeparateDatabaseAndState(state_operations=[migrations.RenameModel(old_name=..., new_name=...), migrations.AlterModelTable(name=..., table=%q)]).", from, from),
				alias,
				approveHint("rename-table", "no running code uses the old name; reviewed by ..."),
			}, "\n"))
	}
}

// relationRename reads a statement that renames a relation the old code may query (table, view,
// materialized view, foreign table) or moves a table to another schema: the old and new names.
func relationRename(st *analysis.Stmt) (from, to, object string, ok bool) {
	switch s := st.Statement.(type) {
	case *sqlparse.Rename:
		switch s.Object {
		case "TABLE", "VIEW", "MATERIALIZED VIEW", "FOREIGN TABLE":
			if s.Table.Name == "" {
				return "", "", "", false
			}
			to := analysis.TableName(sqlparse.Name{Schema: s.Table.Schema, Name: s.To})
			return analysis.TableName(s.Table), to, s.Object, true
		}
	case *sqlparse.Other:
		// ALTER TABLE t SET SCHEMA s: the table's qualified name changes.
		if s.Tag == "ALTER SET SCHEMA" && len(s.Tables) == 1 {
			return analysis.TableName(s.Tables[0]), "another schema", "SET SCHEMA", true
		}
	}
	return "", "", "", false
}

// aliasedOrRestored reports whether, later in the same transaction as statement i (from → to),
// a view named from shows to as it is, or to is renamed back to from.
func aliasedOrRestored(p *analysis.Pass, i int, from, to string) bool {
	st := p.Stmts[i]
	for _, later := range p.Stmts[i+1:] {
		if !sameTx(p, st, later) {
			continue
		}
		if o, ok := later.Statement.(*sqlparse.Other); ok && o.Tag == "CREATE VIEW" && o.ViewOf != nil &&
			len(o.Tables) == 1 && analysis.TableName(o.Tables[0]) == from && analysis.TableName(*o.ViewOf) == to {
			return true
		}
		if f, t, _, ok := relationRename(later); ok && f == to && t == from {
			return true
		}
	}
	return false
}

// restoresEarlier reports whether statement i (from → to) undoes an earlier rename (to → from) of
// the same transaction: the name the old code uses is back by commit.
func restoresEarlier(p *analysis.Pass, i int, from, to string) bool {
	for _, earlier := range p.Stmts[:i] {
		if f, t, _, ok := relationRename(earlier); ok && f == to && t == from && sameTx(p, earlier, p.Stmts[i]) {
			return true
		}
	}
	return false
}
