// Package plan is the model of what a release will do to the database: the pending migrations, in
// the order they will be applied, their operations, and the SQL each operation runs.
//
// A Plan comes from a source (the Django helper today; a directory of .sql files for `lint` later)
// and is read by the analysis rules. It carries everything a rule may need so that rules stay pure:
// Django's view of each operation (class, arguments, the model and field before and after) and
// PostgreSQL's view (the exact statements, and whether they are deferred to the end of the
// migration's transaction).
//
// The JSON tags are the wire format of the embedded Django helper (internal/django/helper.py).
package plan

import "encoding/json"

// Plan is every pending migration, in apply order.
type Plan struct {
	// DjangoVersion is django.get_version() of the interpreter that produced the plan.
	DjangoVersion string `json:"django_version"`
	// Python is the interpreter's path and PythonVersion its version.
	Python        string `json:"python"`
	PythonVersion string `json:"python_version"`
	// Settings is the DJANGO_SETTINGS_MODULE that was used.
	Settings string `json:"settings_module"`
	// Alias is the Django database alias the plan was made for.
	Alias string `json:"database_alias"`
	// Vendor is the database backend's vendor ("postgresql").
	Vendor string `json:"vendor"`
	// Applied is the set of migrations Django considers applied, as recorded in django_migrations
	// of the alias's database.
	Applied []MigrationKey `json:"applied"`
	// Ahead are the applied migrations this code does not contain, in the order they were
	// applied (see Ahead).
	Ahead []Ahead `json:"ahead,omitempty"`
	// Migrations are the pending migrations, in the order `migrate` applies them.
	Migrations []Migration `json:"migrations"`
}

// Ahead is an applied migration (a django_migrations row) that is not a migration of this code:
// neither a node of Django's migration graph nor replaced by a squashed migration on disk.
type Ahead struct {
	App  string `json:"app"`
	Name string `json:"name"`
	// AppInstalled is false when the project does not install the app at all (an app a later
	// release added, or one removed from INSTALLED_APPS).
	AppInstalled bool `json:"app_installed"`
	// AfterCode is true when the row was recorded after every applied migration this code
	// knows: the schema is ahead of the code (a rollback to older code). False when the code
	// moved past it (migrations deleted after a squash, an app removed).
	AfterCode bool `json:"after_code"`
}

// Key returns the migration's key.
func (a Ahead) Key() MigrationKey { return MigrationKey{a.App, a.Name} }

// MigrationKey names a migration: app label and migration name. It encodes as ["app", "name"].
type MigrationKey struct {
	App  string
	Name string
}

// String renders "app.name".
func (k MigrationKey) String() string { return k.App + "." + k.Name }

// MarshalJSON encodes the key as a two-element array, the way Django spells graph nodes.
func (k MigrationKey) MarshalJSON() ([]byte, error) {
	return json.Marshal([2]string{k.App, k.Name})
}

// UnmarshalJSON decodes a two-element array.
func (k *MigrationKey) UnmarshalJSON(b []byte) error {
	var a [2]string
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	k.App, k.Name = a[0], a[1]
	return nil
}

// Migration is one pending migration.
type Migration struct {
	App  string `json:"app"`
	Name string `json:"name"`
	// File is the migration's source file, relative to the project directory when it lies inside
	// it (absolute otherwise, e.g. for a third-party app's migrations).
	File string `json:"file"`
	// ClassLine is the line of `class Migration` in File (0 when unknown).
	ClassLine int `json:"class_line"`
	// Atomic is Migration.atomic: whether Django runs the whole migration in one transaction.
	Atomic  bool `json:"atomic"`
	Initial bool `json:"initial"`
	// Replaces lists the migrations a squashed migration stands for.
	Replaces     []MigrationKey `json:"replaces"`
	Dependencies []MigrationKey `json:"dependencies"`
	RunBefore    []MigrationKey `json:"run_before"`
	// Attributes holds the class attributes of the Migration whose names start with "zdcd_"
	// (reviewed exemptions live there), JSON-encoded as the helper could express them.
	Attributes map[string]json.RawMessage `json:"attributes,omitempty"`
	Operations []Operation                `json:"operations"`
}

// Key returns the migration's key.
func (m Migration) Key() MigrationKey { return MigrationKey{m.App, m.Name} }

// Operation is one operation of a migration, with what Django will run for it.
type Operation struct {
	// Index is the position in its list (Migration.Operations, or a SeparateDatabaseAndState's
	// database or state operations).
	Index int `json:"index"`
	// Class is the operation's class name ("AddField") and Module its module
	// ("django.db.migrations.operations.fields"); a custom operation has its own module.
	Class    string `json:"class"`
	Module   string `json:"module"`
	Describe string `json:"describe"`
	// Line is the line of the operation in the migration file (0 when it cannot be located, e.g.
	// operations built at import time by code).
	Line int `json:"line"`
	// Args is the operation's deconstructed keyword arguments, as JSON. Fields, indexes and
	// constraints inside are encoded as objects (see Field).
	Args map[string]json.RawMessage `json:"args"`
	// ReducesToSQL is Django's Operation.reduces_to_sql: false for RunPython.
	ReducesToSQL bool `json:"reduces_to_sql"`
	Reversible   bool `json:"reversible"`
	// Elidable is set for RunSQL and RunPython.
	Elidable bool `json:"elidable,omitempty"`
	// Model is the model the operation works on, before and after it runs.
	Model *Model `json:"model,omitempty"`
	// OldField and NewField are the field the operation touches, bound to its model, before and
	// after the operation (nil where it does not exist on that side).
	OldField *Field `json:"old_field,omitempty"`
	NewField *Field `json:"new_field,omitempty"`
	// SQL is every statement Django runs for this operation, in order. Deferred statements
	// (indexes, foreign keys) run at the end of the migration, after all its operations.
	SQL []Statement `json:"sql"`
	// SQLError is set when the SQL could not be rendered (for example when rendering needs
	// introspection of a schema an earlier pending migration creates). Rules fail closed on it.
	SQLError string `json:"sql_error,omitempty"`
	// Python is set for RunPython.
	Python *PythonCode `json:"python,omitempty"`
	// RunSQL is set for RunSQL.
	RunSQL *RunSQL `json:"run_sql,omitempty"`
	// DatabaseOperations and StateOperations are set for SeparateDatabaseAndState. Only the
	// database operations run SQL; SQL of the parent is the concatenation of theirs.
	DatabaseOperations []Operation `json:"database_operations,omitempty"`
	StateOperations    []Operation `json:"state_operations,omitempty"`
}

// Statement is one SQL string Django sends to the database. Django may send several SQL
// statements in one string (RunSQL, and a few of its own), so this is not yet split: the SQL
// parser does that.
type Statement struct {
	SQL string `json:"sql"`
	// Deferred is true for statements Django runs at the end of the migration (schema editor's
	// deferred_sql): indexes and foreign key constraints.
	Deferred bool `json:"deferred,omitempty"`
}

// Model is a model's identity and table, before and after an operation.
type Model struct {
	App  string `json:"app"`
	Name string `json:"name"`
	// TableBefore and TableAfter are the model's db_table in the state before and after the
	// operation; empty when the model does not exist on that side (CreateModel, DeleteModel).
	TableBefore string `json:"table_before,omitempty"`
	TableAfter  string `json:"table_after,omitempty"`
	// Managed is Meta.managed (unmanaged models get no SQL).
	Managed bool `json:"managed"`
	// Proxy is Meta.proxy: a proxy model has no table of its own (TableBefore/TableAfter are its
	// concrete model's), so CreateModel of a proxy creates nothing.
	Proxy bool `json:"proxy,omitempty"`
}

// Field describes a model field as the database sees it.
type Field struct {
	Name   string `json:"name"`
	Column string `json:"column"`
	// Class is the field class name ("CharField"); Path its import path.
	Class string `json:"class"`
	Path  string `json:"path"`
	// DBType is the column type Django emits ("varchar(100)", "integer"); empty for fields
	// without a column (ManyToManyField).
	DBType string `json:"db_type,omitempty"`
	Null   bool   `json:"null"`
	// Default is the Python-side default, nil when the field has none.
	Default *Default `json:"default,omitempty"`
	// DBDefault is the database default (Django 5.0+ db_default), nil when none.
	DBDefault  *Default `json:"db_default,omitempty"`
	Unique     bool     `json:"unique"`
	DBIndex    bool     `json:"db_index"`
	PrimaryKey bool     `json:"primary_key"`
	// Related is "app_label.ModelName" of a relation's target; RelatedTable its table.
	Related      string `json:"related,omitempty"`
	RelatedTable string `json:"related_table,omitempty"`
	DBConstraint bool   `json:"db_constraint,omitempty"`
	OnDelete     string `json:"on_delete,omitempty"`
	ManyToMany   bool   `json:"many_to_many,omitempty"`
	// Kwargs is the field's full deconstructed keyword arguments.
	Kwargs map[string]json.RawMessage `json:"kwargs,omitempty"`
}

// Default is a field default. Django evaluates a callable default once per migration, in Python,
// and sends the result as a literal.
type Default struct {
	Repr     string `json:"repr"`
	Callable bool   `json:"callable"`
	// Expression is true for a database expression (db_default=Now()).
	Expression bool `json:"expression,omitempty"`
}

// PythonCode locates RunPython code.
type PythonCode struct {
	Function string `json:"function"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	// SourceSHA256 is the SHA-256 of the function's source text, when Python can read it.
	SourceSHA256 string `json:"source_sha256,omitempty"`
	// Reverse is the reverse function, nil when the operation is irreversible. A reverse of
	// RunPython.noop is reported with Function "django.db.migrations.operations.special.RunPython.noop".
	Reverse *PythonCode `json:"reverse,omitempty"`
}

// RunSQL is the verbatim SQL of a RunSQL operation.
type RunSQL struct {
	// SQL is the forward SQL as written: one string, or the elements of a list (each may itself
	// hold several statements). Parameterised elements are rendered with their parameters.
	SQL []string `json:"sql"`
	// HasReverse is false when reverse_sql is None.
	HasReverse bool `json:"has_reverse"`
	// StateOperations are the RunSQL's state_operations.
	StateOperations []Operation `json:"state_operations,omitempty"`
}

// Pending reports whether any migration is pending.
func (p *Plan) Pending() bool { return len(p.Migrations) > 0 }
