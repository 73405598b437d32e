package sqlparse

import (
	"strconv"
	"strings"
)

// Statement is one parsed SQL statement: one of the types below. Rules switch on the type.
type Statement interface {
	base() *Base
	// Info returns the fields every statement has.
	Info() *Base
}

// Base is what every statement carries.
type Base struct {
	// Text is the statement as written, without the comments before it and the trailing ';'.
	Text string
	// Offset is the byte offset of Text in the script, Line its 1-based line.
	Offset int
	Line   int
	// Tag is PostgreSQL's command tag: "ALTER TABLE", "CREATE INDEX", "DROP TABLE", "UPDATE" ...
	Tag string
	// Calls are the functions the statement calls anywhere (CALL's procedure included), lower
	// case, sorted; a function named with a schema other than pg_catalog keeps it ("app.backfill").
	// Set for Other, Update, Insert and Delete statements only (the ones that can run arbitrary
	// code worth naming); nil for the rest.
	Calls []string
}

func (b *Base) base() *Base { return b }

// LongIdentifier is an identifier written longer than PostgreSQL keeps (63 bytes): the parser cuts
// it silently, so the model only ever sees Name.
type LongIdentifier struct {
	// Written is the identifier as written (quotes removed, an unquoted one folded to lower case);
	// Name is what PostgreSQL keeps of it.
	Written string
	Name    string
}

// Info returns the fields every statement has.
func (b *Base) Info() *Base { return b }

// Name is a possibly schema-qualified object name, as the parser folded it (unquoted names lower
// case).
type Name struct {
	Schema string
	Name   string
}

func (n Name) String() string {
	if n.Schema != "" {
		return n.Schema + "." + n.Name
	}
	return n.Name
}

// Type is a column type. Name is PostgreSQL's internal name without the pg_catalog schema:
// "int4", "int8", "varchar", "bpchar", "text", "numeric", "timestamptz", "jsonb", "serial" ...
type Type struct {
	Name string
	// Schema is set for types named with a schema other than pg_catalog.
	Schema string
	// Mods are the type modifiers: varchar(20) → [20], numeric(10,2) → [10 2]; nil when none.
	Mods []int
	// Array is true for array types.
	Array bool
}

func (t Type) String() string {
	s := t.Name
	if t.Schema != "" {
		s = t.Schema + "." + s
	}
	if len(t.Mods) > 0 {
		parts := make([]string, len(t.Mods))
		for i, m := range t.Mods {
			parts[i] = itoa(m)
		}
		s += "(" + strings.Join(parts, ",") + ")"
	}
	if t.Array {
		s += "[]"
	}
	return s
}

// Expr summarises an expression (a default, a USING clause, a CHECK): enough to judge it without
// evaluating it.
type Expr struct {
	// Funcs are the functions called anywhere in the expression, lower case, without schema
	// ("now", "random", "gen_random_uuid", "nextval").
	Funcs []string
	// Constant is true when the expression holds no function call, column reference, subquery or
	// special value function: literals, casts and operators on them.
	Constant bool
	// ValueFunctions lists SQL value functions used (CURRENT_TIMESTAMP, CURRENT_DATE, ...), lower case.
	ValueFunctions []string
	// NotNullOf is the column of an expression that is exactly `<column> IS NOT NULL` (the CHECK
	// that lets SET NOT NULL skip its scan), "" for any other expression.
	NotNullOf string
}

// Reference is the target of a REFERENCES clause or FOREIGN KEY constraint.
type Reference struct {
	Table   Name
	Columns []string
}

// ConstraintKind is a constraint's kind.
type ConstraintKind string

// Constraint kinds.
const (
	Check      ConstraintKind = "CHECK"
	ForeignKey ConstraintKind = "FOREIGN KEY"
	Unique     ConstraintKind = "UNIQUE"
	PrimaryKey ConstraintKind = "PRIMARY KEY"
	Exclusion  ConstraintKind = "EXCLUDE"
	NotNull    ConstraintKind = "NOT NULL"
	Null       ConstraintKind = "NULL"
	DefaultC   ConstraintKind = "DEFAULT"
	Generated  ConstraintKind = "GENERATED"
	Identity   ConstraintKind = "IDENTITY"
	OtherC     ConstraintKind = "OTHER"
)

// Constraint is a table or column constraint.
type Constraint struct {
	Kind ConstraintKind
	Name string
	// NotValid is `NOT VALID`: existing rows are not checked now.
	NotValid bool
	// UsingIndex names the index of `... UNIQUE/PRIMARY KEY USING INDEX idx`.
	UsingIndex string
	Columns    []string
	// References is set for FOREIGN KEY.
	References *Reference
	// Expr is the CHECK expression or the generation expression.
	Expr *Expr
	// Stored is true for GENERATED ... STORED.
	Stored     bool
	Deferrable bool
}

// Column is a column definition (CREATE TABLE, ADD COLUMN).
type Column struct {
	Name string
	Type Type
	// NotNull, PrimaryKey and Unique come from the column's constraints.
	NotNull    bool
	PrimaryKey bool
	Unique     bool
	// Default is the DEFAULT expression, nil when none.
	Default *Expr
	// Identity is "always" or "by default" for GENERATED ... AS IDENTITY, else "".
	Identity string
	// Generated is true for GENERATED ALWAYS AS (expr) STORED.
	Generated bool
	// References is an inline REFERENCES clause.
	References *Reference
	// Constraints are all the column's constraints, including the ones summarised above.
	Constraints []Constraint
	Collation   string
}

// Serial reports whether the column's type is one of the serial pseudo-types.
func (c *Column) Serial() bool {
	switch c.Type.Name {
	case "serial", "serial4", "bigserial", "serial8", "smallserial", "serial2":
		return c.Type.Schema == ""
	}
	return false
}

// CreateTable is CREATE TABLE.
type CreateTable struct {
	Base
	Table       Name
	Columns     []Column
	Constraints []Constraint
	IfNotExists bool
	// PartitionOf is the parent of CREATE TABLE ... PARTITION OF.
	PartitionOf *Name
	// Inherits are the parents of CREATE TABLE ... INHERITS (...), whose columns come before the
	// table's own (empty for PARTITION OF).
	Inherits []Name
	// Like are the sources of the LIKE clauses among the table's elements, whose columns it copies.
	Like        []Name
	Partitioned bool
	Temporary   bool
	Unlogged    bool
	// Options are the storage parameters of WITH (...).
	Options []Option
}

// Option is a storage parameter of CREATE TABLE ... WITH (...) or ALTER TABLE ... SET/RESET (...).
type Option struct {
	// Name is the parameter's name, with its namespace when it has one ("fillfactor",
	// "toast.autovacuum_enabled").
	Name string
	// Value is the value as written, lower case for a keyword ("false", "off", "70"); "true" for
	// a name given without a value; "" in RESET.
	Value string
}

// CreateIndex is CREATE INDEX.
type CreateIndex struct {
	Base
	Name         string
	Table        Name
	Unique       bool
	Concurrently bool
	IfNotExists  bool
	// Only is CREATE INDEX ON ONLY (a partitioned table's parent, without its partitions).
	Only    bool
	Columns []string
	Partial bool
	Method  string
}

// AlterAction is what one ALTER TABLE command does.
type AlterAction string

// ALTER TABLE actions zdcd distinguishes; anything else is reported with the parser's name.
const (
	AddColumn          AlterAction = "ADD COLUMN"
	DropColumn         AlterAction = "DROP COLUMN"
	AlterColumnType    AlterAction = "ALTER COLUMN TYPE"
	SetNotNull         AlterAction = "SET NOT NULL"
	DropNotNull        AlterAction = "DROP NOT NULL"
	SetDefault         AlterAction = "SET DEFAULT"
	DropDefault        AlterAction = "DROP DEFAULT"
	AddConstraint      AlterAction = "ADD CONSTRAINT"
	ValidateConstraint AlterAction = "VALIDATE CONSTRAINT"
	DropConstraint     AlterAction = "DROP CONSTRAINT"
	SetTablespace      AlterAction = "SET TABLESPACE"
	SetLogged          AlterAction = "SET LOGGED"
	SetUnlogged        AlterAction = "SET UNLOGGED"
	SetAccessMethod    AlterAction = "SET ACCESS METHOD"
	AttachPartition    AlterAction = "ATTACH PARTITION"
	DetachPartition    AlterAction = "DETACH PARTITION"
	ClusterOn          AlterAction = "CLUSTER ON"
	AddIdentity        AlterAction = "ADD IDENTITY"
	SetStatistics      AlterAction = "SET STATISTICS"
	SetStorage         AlterAction = "SET STORAGE"
	SetOptions         AlterAction = "SET (...)"
	EnableTrigger      AlterAction = "ENABLE TRIGGER"
	DisableTrigger     AlterAction = "DISABLE TRIGGER"
	ReplicaIdentity    AlterAction = "REPLICA IDENTITY"
	ChangeOwner        AlterAction = "OWNER TO"
)

// AlterCmd is one command of an ALTER TABLE.
type AlterCmd struct {
	Action AlterAction
	// Column is the column the command is about (ADD/DROP/ALTER COLUMN).
	Column string
	// Def is the new column of ADD COLUMN.
	Def *Column
	// Type is the new type of ALTER COLUMN TYPE; Using its USING expression.
	Type  *Type
	Using *Expr
	// UsingColumn is set (to Column) when the USING expression is only the column itself,
	// optionally cast to the new type (`USING "c"::integer`, as Django writes it): the USING then
	// adds nothing to the type change.
	UsingColumn string
	// Collation is the COLLATE clause of ALTER COLUMN TYPE, "" when none.
	Collation string
	// Default is the expression of SET DEFAULT.
	Default *Expr
	// Constraint is the constraint of ADD CONSTRAINT.
	Constraint *Constraint
	// Name is the constraint of VALIDATE/DROP CONSTRAINT, the partition of ATTACH/DETACH, the
	// tablespace of SET TABLESPACE, the index of CLUSTER ON.
	Name         string
	Concurrently bool
	IfExists     bool
	IfNotExists  bool
	Cascade      bool
	// Options are the parameters of SET (...) / RESET (...) (of the table, or of Column).
	Options []Option
	// ReplicaIdentity is the new identity of REPLICA IDENTITY: "DEFAULT", "FULL", "NOTHING" or
	// "USING INDEX" (the index is in Name).
	ReplicaIdentity string
	// Raw is the parser's name of an action zdcd does not distinguish ("AT_SetRelOptions").
	Raw string
}

// AlterTable is ALTER TABLE (and ALTER INDEX / MATERIALIZED VIEW / ... with table commands).
type AlterTable struct {
	Base
	Table Name
	// Object is what is altered: "TABLE", "INDEX", "MATERIALIZED VIEW", "VIEW", "SEQUENCE", "FOREIGN TABLE".
	Object   string
	IfExists bool
	// Only is ALTER TABLE ONLY: without the inheritance children.
	Only bool
	Cmds []AlterCmd
}

// Drop is DROP TABLE / INDEX / VIEW / SCHEMA / TYPE / ...
type Drop struct {
	Base
	// Object is what is dropped, as in the SQL: "TABLE", "INDEX", "SCHEMA", "VIEW", "TYPE" ...
	Object       string
	Names        []Name
	IfExists     bool
	Cascade      bool
	Concurrently bool
}

// DropDatabase is DROP DATABASE.
type DropDatabase struct {
	Base
	Name     string
	IfExists bool
}

// Rename is ALTER ... RENAME (TO / COLUMN / CONSTRAINT) and ALTER TYPE ... RENAME VALUE.
type Rename struct {
	Base
	// Object is what is renamed: "TABLE", "COLUMN", "INDEX", "SCHEMA", "CONSTRAINT", "VIEW",
	// "SEQUENCE", "TYPE", "ENUM VALUE", "TRIGGER", "MATERIALIZED VIEW", ...
	Object string
	// Table is the relation the renamed object belongs to (or the renamed relation).
	Table Name
	From  string
	To    string
}

// Truncate is TRUNCATE.
type Truncate struct {
	Base
	Tables  []Name
	Cascade bool
}

// Reindex is REINDEX.
type Reindex struct {
	Base
	// Target is "TABLE", "INDEX", "SCHEMA", "DATABASE" or "SYSTEM".
	Target       string
	Name         string
	Concurrently bool
}

// Vacuum is VACUUM (and ANALYZE).
type Vacuum struct {
	Base
	Full    bool
	Analyze bool
	Tables  []Name
}

// Cluster is CLUSTER.
type Cluster struct {
	Base
	Table Name
	Index string
}

// Lock is LOCK TABLE.
type Lock struct {
	Base
	Tables []Name
	// Mode is the lock mode in SQL spelling ("ACCESS EXCLUSIVE").
	Mode   string
	NoWait bool
}

// CreateTrigger is CREATE TRIGGER.
type CreateTrigger struct {
	Base
	Name  string
	Table Name
	// Replace is CREATE OR REPLACE TRIGGER (PostgreSQL 14+).
	Replace bool
}

// CreateDomain is CREATE DOMAIN.
type CreateDomain struct {
	Base
	Name        Name
	Constraints []Constraint
}

// AlterDomain is ALTER DOMAIN.
type AlterDomain struct {
	Base
	Name Name
	// Action is "ADD CONSTRAINT", "VALIDATE CONSTRAINT", "DROP CONSTRAINT", "SET NOT NULL",
	// "DROP NOT NULL", "SET DEFAULT" or "DROP DEFAULT".
	Action     string
	Constraint *Constraint
}

// AlterEnum is ALTER TYPE ... ADD VALUE (RENAME VALUE is a Rename).
type AlterEnum struct {
	Base
	Type Name
	// AddValue is the added label; Before/After its neighbour when given.
	AddValue    string
	Before      string
	After       string
	IfNotExists bool
}

// CreateEnum is CREATE TYPE ... AS ENUM.
type CreateEnum struct {
	Base
	Name   Name
	Values []string
}

// Update is UPDATE.
type Update struct {
	Base
	Table    Name
	HasWhere bool
	// Pinned are the columns the WHERE pins to values in its top-level AND chain:
	// `col = constant`, `col IN (constants)`, `col BETWEEN constant AND constant`, or a lower and
	// an upper constant bound on col. Whether that bounds the rows depends on col being a key.
	// IS NULL, one-sided ranges, LIKE or subqueries pin nothing.
	Pinned []string
	// Set are the targets of the SET list, in order; `(a, b) = (...)` gives one per column.
	Set []Assignment
}

// Assignment is one target of UPDATE's SET list.
type Assignment struct {
	Column string
	// Partial is set for an assignment to an element or field of the column (`c[1] = ...`,
	// `c.f = ...`): several of those to one column are merged, not a conflict.
	Partial bool
}

// Delete is DELETE.
type Delete struct {
	Base
	Table    Name
	HasWhere bool
	// Pinned: as for Update.
	Pinned []string
}

// Insert is INSERT.
type Insert struct {
	Base
	Table Name
	// FromSelect is INSERT ... SELECT.
	FromSelect bool
}

// Transaction is BEGIN, START TRANSACTION, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, PREPARE ...
type Transaction struct {
	Base
	// Action is "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "ROLLBACK TO",
	// "PREPARE TRANSACTION", "COMMIT PREPARED" or "ROLLBACK PREPARED".
	Action string
}

// Set is SET / SET LOCAL / RESET.
type Set struct {
	Base
	Name  string
	Value string
	Local bool
	Reset bool
}

// RefreshMaterializedView is REFRESH MATERIALIZED VIEW.
type RefreshMaterializedView struct {
	Base
	View         Name
	Concurrently bool
}

// Other is any statement the rules need no detail of (CREATE VIEW, COMMENT, GRANT, SELECT ...).
// Its Tag still says what it is.
type Other struct {
	Base
	// Tables are the relations the statement names at its top level, when the parser tells.
	Tables []Name
	// ViewOf is set for CREATE VIEW whose query is exactly `SELECT * FROM <relation>` (no WHERE,
	// join, grouping, ordering or limit): the view shows that relation as it is, and PostgreSQL
	// can write through it.
	ViewOf *Name
}

func itoa(i int) string { return strconv.Itoa(i) }
