package rules

import (
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// advisoryRules: Schema-design advisories (HAZARDS B6): warnings only. They judge the schema a
// migration designs, so — unlike the lock and compatibility rules — they apply to tables created
// in the same release too.
var advisoryRules = []analysis.Rule{
	RequireTableSchema,
	PreferBigint,
	PreferIdentity,
	PreferText,
	PreferTimestamptz,
	BanCharField,
	DuplicateColumnAssignment,
	WideIndex,
	Naming,
	ReplicaIdentityChange,
	AutovacuumDisabled,
	ColumnAlignment,
}

// advisoryColumn is a column a statement defines: a column of CREATE TABLE, or ADD COLUMN.
type advisoryColumn struct {
	Table string
	Def   *sqlparse.Column
	// InCreate is true for a column of CREATE TABLE.
	InCreate bool
	// PrimaryKey is true when the column alone is the primary key (column or table constraint).
	PrimaryKey bool
	// References is the column's foreign key target (inline, or a table constraint on it alone),
	// nil for none.
	References *sqlparse.Reference
}

// advisoryNewColumns lists the columns st defines. Temporary tables are left out: they are not
// part of the schema.
func advisoryNewColumns(st sqlparse.Statement) []advisoryColumn {
	var out []advisoryColumn
	switch s := st.(type) {
	case *sqlparse.CreateTable:
		if s.Temporary {
			return nil
		}
		table := analysis.TableName(s.Table)
		for i := range s.Columns {
			c := &s.Columns[i]
			ac := advisoryColumn{Table: table, Def: c, InCreate: true, PrimaryKey: c.PrimaryKey, References: c.References}
			for _, k := range s.Constraints {
				if len(k.Columns) != 1 || k.Columns[0] != c.Name {
					continue
				}
				switch k.Kind {
				case sqlparse.PrimaryKey:
					ac.PrimaryKey = true
				case sqlparse.ForeignKey:
					if ac.References == nil {
						ac.References = k.References
					}
				}
			}
			out = append(out, ac)
		}
	case *sqlparse.AlterTable:
		if s.Object != "TABLE" {
			return nil
		}
		table := analysis.TableName(s.Table)
		for _, c := range s.Cmds {
			if c.Action == sqlparse.AddColumn && c.Def != nil {
				out = append(out, advisoryColumn{Table: table, Def: c.Def, PrimaryKey: c.Def.PrimaryKey, References: c.Def.References})
			}
		}
	}
	return out
}

// advisoryRetyped is a column an ALTER COLUMN TYPE gives a new type.
type advisoryRetyped struct {
	Table, Column string
	Type          sqlparse.Type
}

// advisoryTypeChanges lists the ALTER COLUMN TYPE commands of st.
func advisoryTypeChanges(st sqlparse.Statement) []advisoryRetyped {
	at, ok := st.(*sqlparse.AlterTable)
	if !ok || at.Object != "TABLE" {
		return nil
	}
	var out []advisoryRetyped
	for _, c := range at.Cmds {
		if c.Action == sqlparse.AlterColumnType && c.Type != nil {
			out = append(out, advisoryRetyped{Table: analysis.TableName(at.Table), Column: c.Column, Type: *c.Type})
		}
	}
	return out
}

// advisoryTyped is a column that gets a type: defined by CREATE TABLE / ADD COLUMN, or retyped.
type advisoryTyped struct {
	Table, Column string
	Type          sqlparse.Type
	// How says where: "CREATE TABLE", "ADD COLUMN" or "ALTER COLUMN TYPE".
	How string
}

// advisoryTypedColumns lists every column st gives a type to.
func advisoryTypedColumns(st sqlparse.Statement) []advisoryTyped {
	var out []advisoryTyped
	for _, c := range advisoryNewColumns(st) {
		how := "ADD COLUMN"
		if c.InCreate {
			how = "CREATE TABLE"
		}
		out = append(out, advisoryTyped{Table: c.Table, Column: c.Def.Name, Type: c.Def.Type, How: how})
	}
	for _, c := range advisoryTypeChanges(st) {
		out = append(out, advisoryTyped{Table: c.Table, Column: c.Column, Type: c.Type, How: "ALTER COLUMN TYPE"})
	}
	return out
}

// advisoryBuiltin reports whether t is the built-in type name (not a type of that name in another
// schema).
func advisoryBuiltin(t sqlparse.Type, names ...string) bool {
	if t.Schema != "" {
		return false
	}
	for _, n := range names {
		if t.Name == n {
			return true
		}
	}
	return false
}

// advisoryRawSQL reports whether op runs SQL a person wrote: Django's RunSQL (or a subclass of
// it) or a statement of a plain .sql migration file. Django's own operations emit the SQL of the
// model's fields, which the advice has to address in Python instead.
func advisoryRawSQL(op *plan.Operation) bool {
	return op != nil && (op.RunSQL != nil || op.Class == "RunSQL" || op.Class == sqlFileOperation)
}

// advisoryMirroredField returns the field Django's state records for table.column next to a raw
// SQL operation: a state operation of the RunSQL itself or of the SeparateDatabaseAndState that
// holds it. The SQL then mirrors a model field, and advice on its type is advice on the field.
func advisoryMirroredField(p *analysis.Pass, op *plan.Operation, table, column string) *plan.Field {
	var states []plan.Operation
	if op.RunSQL != nil {
		states = append(states, op.RunSQL.StateOperations...)
	}
	if parent := advisoryParent(p.Migration.Operations, op); parent != nil {
		states = append(states, parent.StateOperations...)
	}
	for i := range states {
		s := &states[i]
		if s.NewField == nil || s.NewField.Column != column {
			continue
		}
		if s.Model != nil && s.Model.TableAfter != "" && s.Model.TableAfter != table {
			continue
		}
		return s.NewField
	}
	return nil
}

// advisoryParent returns the SeparateDatabaseAndState whose database operations hold op.
func advisoryParent(ops []plan.Operation, op *plan.Operation) *plan.Operation {
	for i := range ops {
		o := &ops[i]
		for j := range o.DatabaseOperations {
			if &o.DatabaseOperations[j] == op {
				return o
			}
		}
		if parent := advisoryParent(o.DatabaseOperations, op); parent != nil {
			return parent
		}
	}
	return nil
}

// advisoryBareName is a table's name without its schema.
func advisoryBareName(table string) string {
	if i := strings.LastIndexByte(table, '.'); i >= 0 {
		return table[i+1:]
	}
	return table
}

// advisoryJoin joins lines of a fix.
func advisoryJoin(lines ...string) string { return strings.Join(lines, "\n") }
