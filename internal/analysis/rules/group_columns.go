package rules

import (
	"encoding/json"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// columnsRules: Columns, types, defaults and constraints (HAZARDS B1 and B2, SQL side).
var columnsRules = []analysis.Rule{
	AddColumnVolatileDefault,
	AddColumnRewriteGenerated,
	ColumnTypeRewrite,
	TypeChangeRevalidatesCheck,
	SetNotNullScan,
	NotNullWithDefaultUpdate,
	CheckConstraintValidating,
	FKValidating,
	ValidateInSameTx,
	DomainConstraint,
	AddRequiredColumn,
	DropNotNull,
	JSONColumn,
	DefaultChangePartialWrites,
	IdentifierTooLong,
	TruncateCascade,
	DropSchemaOrDatabase,
}

// Optional answers a live catalog may give beyond analysis.Catalog; the rules use them when the
// catalog implements them and otherwise do not guess.
type (
	// columnsCheckCatalog reports whether a column has (validated) CHECK constraints.
	columnsCheckCatalog interface {
		HasCheckConstraint(table, column string) bool
	}
	// columnsDefaultCatalog returns a column's current database default (pg_get_expr of
	// pg_attrdef), ok=false when it has none.
	columnsDefaultCatalog interface {
		ColumnDefault(table, column string) (expr string, ok bool)
	}
)

// columnsUntil says how long a lock taken by st is held.
func columnsUntil(st *analysis.Stmt) string {
	if st.InTransaction {
		return ", and the transaction keeps the lock until the migration commits"
	}
	return ""
}

// columnsIndex returns st's position in p.Stmts (-1 when absent).
func columnsIndex(p *analysis.Pass, st *analysis.Stmt) int {
	for i := len(p.Stmts) - 1; i >= 0; i-- {
		if p.Stmts[i] == st {
			return i
		}
	}
	return -1
}

// columnsTxStart returns the index in p.Stmts of the first statement of the transaction that runs
// p.Stmts[i]: i itself when that statement runs on its own.
func columnsTxStart(p *analysis.Pass, i int) int {
	st := p.Stmts[i]
	if !st.InTransaction {
		return i
	}
	start := i
	for j := i - 1; j >= 0; j-- {
		prev := p.Stmts[j]
		if tx, ok := prev.Statement.(*sqlparse.Transaction); ok && (tx.Action == "COMMIT" || tx.Action == "ROLLBACK") {
			break
		}
		if !prev.InTransaction {
			break
		}
		if !p.Migration.Atomic && (prev.Sent != st.Sent || prev.Op != st.Op || prev.Index != st.Index-(i-j)) {
			break // outside atomic, only the statements of one string share a transaction
		}
		start = j
	}
	return start
}

// columnsField returns the Django field of st's operation whose column is column: the new field,
// else the old one (nil when the statement does not come from a field operation on that column).
func columnsField(st *analysis.Stmt, column string) (oldField, newField *plan.Field) {
	if st.Op == nil {
		return nil, nil
	}
	if f := st.Op.NewField; f != nil && f.Column == column {
		return st.Op.OldField, f
	}
	if f := st.Op.OldField; f != nil && f.Column == column {
		return f, nil
	}
	return nil, nil
}

// columnsKwarg returns a field's keyword argument as a string ("" when absent or not a string).
func columnsKwarg(f *plan.Field, name string) string {
	if f == nil || f.Kwargs == nil {
		return ""
	}
	var s string
	if raw, ok := f.Kwargs[name]; ok && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

// columnsDropsDefault reports whether the statements after position i of p.Stmts (and the
// commands of the same ALTER TABLE after command k) leave table.column without the default it has
// at that point: the last of their SET DEFAULT / DROP DEFAULT on the column is a DROP DEFAULT.
func columnsDropsDefault(p *analysis.Pass, i, k int, table, column string) bool {
	dropped := false
	visit := func(cmds []sqlparse.AlterCmd) {
		for _, c := range cmds {
			if c.Column != column {
				continue
			}
			switch c.Action {
			case sqlparse.DropDefault:
				dropped = true
			case sqlparse.SetDefault:
				dropped = false
			}
		}
	}
	if at, ok := p.Stmts[i].Statement.(*sqlparse.AlterTable); ok {
		visit(at.Cmds[k+1:])
	}
	for _, st := range p.Stmts[i+1:] {
		if at, ok := st.Statement.(*sqlparse.AlterTable); ok && analysis.TableName(at.Table) == table {
			visit(at.Cmds)
		}
	}
	return dropped
}

// columnsTypeChange is zdcd's judgement of one ALTER COLUMN TYPE.
type columnsTypeChange struct {
	// From is the column's type before the change ("" when unknown), To the new one.
	From, To string
	// Rewrite says PostgreSQL rewrites the table (or may: Unknown), Why in words.
	Rewrite bool
	Unknown bool
	Why     string
	// Collation is set when the change alters the column's collation (indexes are rebuilt).
	Collation bool
}

// columnsJudgeType judges an ALTER COLUMN TYPE command of st on table.
func columnsJudgeType(p *analysis.Pass, st *analysis.Stmt, table string, c sqlparse.AlterCmd) columnsTypeChange {
	v := columnsTypeChange{To: columnsTypeName(*c.Type)}
	oldField, newField := columnsField(st, c.Column)
	from := ""
	if oldField != nil && oldField.DBType != "" {
		from = oldField.DBType
	} else if p.Catalog != nil {
		from, _ = p.Catalog.ColumnType(table, c.Column)
	}
	if c.Collation != "" {
		old := columnsKwarg(oldField, "db_collation")
		if oldField == nil || newField == nil || old != c.Collation {
			v.Collation = true
		}
	}
	if c.Using != nil && c.UsingColumn == "" {
		v.From, v.Rewrite = from, true
		v.Why = "its USING expression computes a new value for every row"
		return v
	}
	if from == "" {
		v.Rewrite, v.Unknown = true, true
		v.Why = "zdcd could not tell the column's current type (no Django field type and no database catalog), so it cannot rule out a rewrite"
		return v
	}
	v.From = from
	ft, err := sqlparse.ParseType(from)
	if err != nil {
		v.Rewrite, v.Unknown = true, true
		v.Why = "zdcd could not read the column's current type " + from + ", so it cannot rule out a rewrite"
		return v
	}
	if !analysis.Coercible(columnsSerialBase(ft), *c.Type) {
		v.Rewrite = true
		v.Why = from + " → " + v.To + " is not binary coercible, so every value is converted"
	}
	return v
}

// columnsSerialBase maps the serial pseudo-types (old Django AutoFields) to their integer types.
func columnsSerialBase(t sqlparse.Type) sqlparse.Type {
	if t.Schema == "" {
		switch t.Name {
		case "serial", "serial4":
			t.Name = "int4"
		case "bigserial", "serial8":
			t.Name = "int8"
		case "smallserial", "serial2":
			t.Name = "int2"
		}
	}
	return t
}

// columnsTypeName spells a type as people write it: "bigint" for the parser's int8.
func columnsTypeName(t sqlparse.Type) string {
	names := map[string]string{
		"int2": "smallint", "int4": "integer", "int8": "bigint", "float4": "real", "float8": "double precision",
		"bool": "boolean", "bpchar": "char", "timestamptz": "timestamp with time zone", "timetz": "time with time zone",
		"varbit": "bit varying",
	}
	if n, ok := names[t.Name]; ok && t.Schema == "" {
		t.Name = n
	}
	return t.String()
}
