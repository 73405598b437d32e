package rules

import (
	"fmt"
	"strconv"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// compatRules: What the old code sees: Django operations, data-dependent failures and data migrations (HAZARDS B2, B3, B5).
var compatRules = []analysis.Rule{
	// B2: what breaks for the old code.
	DropColumn,
	DropTable,
	RenameColumn,
	RenameTable,
	RenameSchema,
	RenameEnumValue,
	AddUniqueOldWriters,
	FKDropped,
	EnumAppendOrdering,
	// B3: data-dependent failures, judged with live data.
	UniqueOnDuplicates,
	NotNullOnNulls,
	DestructiveNonempty,
	// B4: what zdcd cannot see into.
	UnknownOperation,
	RunPythonOpaque,
	OpaqueRawSQL,
	NonLinearHistory,
	// B5: data migrations.
	BackfillInDDLTx,
	UnbatchedDML,
	DataMigrationHygiene,
}

// Live-data questions the B3 rules (and a few others) ask when the catalog can answer them. The
// release phase runs with the production connection, so its catalog can; in lint there is none,
// and each rule says what it does then. Every method answers for the database as it is before the
// migration runs; an error means "unknown" and the rule stays quiet (the lock and compatibility
// rules still judge the statement).
type (
	// rowsChecker: SELECT EXISTS (SELECT 1 FROM table).
	rowsChecker interface {
		HasRows(table string) (bool, error)
	}
	// nullsChecker: SELECT EXISTS (SELECT 1 FROM table WHERE column IS NULL).
	nullsChecker interface {
		HasNulls(table, column string) (bool, error)
	}
	// duplicatesChecker: whether two rows share the same values in columns, ignoring rows where
	// any of them is NULL (as a unique index does): SELECT EXISTS (SELECT 1 FROM table WHERE c1 IS
	// NOT NULL AND ... GROUP BY c1, ... HAVING count(*) > 1).
	duplicatesChecker interface {
		HasDuplicates(table string, columns []string) (bool, error)
	}
	// sizeEstimator: the planner's row estimate (pg_class.reltuples), ok=false when unknown
	// (never analysed: reltuples = -1 on PostgreSQL 14+).
	sizeEstimator interface {
		EstimatedRows(table string) (rows int64, ok bool)
	}
	// constraintKinds: pg_constraint.contype of a table's constraint ("f" for a foreign key, "u",
	// "c", "p", "x"), ok=false when there is no such constraint.
	constraintKinds interface {
		ConstraintKind(table, name string) (kind string, ok bool)
	}
)

// djangoOperations maps each operation class zdcd knows to the module that defines it, across
// Django 3.2 to 5.2: the core operations and django.contrib.postgres's.
var djangoOperations = map[string]string{
	// django.db.migrations.operations.models
	"CreateModel": modelsModule, "DeleteModel": modelsModule, "RenameModel": modelsModule,
	"AlterModelTable": modelsModule, "AlterModelTableComment": modelsModule, // 4.2+
	"AlterUniqueTogether": modelsModule, "AlterIndexTogether": modelsModule,
	"AlterOrderWithRespectTo": modelsModule, "AlterModelOptions": modelsModule, "AlterModelManagers": modelsModule,
	"AddIndex": modelsModule, "RemoveIndex": modelsModule, "RenameIndex": modelsModule, // RenameIndex: 4.1+
	"AddConstraint": modelsModule, "RemoveConstraint": modelsModule, "AlterConstraint": modelsModule, // AlterConstraint: 5.2+
	// django.db.migrations.operations.fields
	"AddField": fieldsModule, "RemoveField": fieldsModule, "AlterField": fieldsModule, "RenameField": fieldsModule,
	// django.db.migrations.operations.special
	"SeparateDatabaseAndState": specialModule, "RunSQL": specialModule, "RunPython": specialModule,
	// django.contrib.postgres.operations
	"CreateExtension": postgresModule, "BloomExtension": postgresModule, "BtreeGinExtension": postgresModule,
	"BtreeGistExtension": postgresModule, "CITextExtension": postgresModule, "CryptoExtension": postgresModule,
	"HStoreExtension": postgresModule, "TrigramExtension": postgresModule, "UnaccentExtension": postgresModule,
	"AddIndexConcurrently": postgresModule, "RemoveIndexConcurrently": postgresModule,
	"CreateCollation": postgresModule, "RemoveCollation": postgresModule,
	"AddConstraintNotValid": postgresModule, "ValidateConstraint": postgresModule, // 4.0+
	// The RunPython Django's contenttypes app inserts after RenameModel when migrate runs: it only
	// renames the model's row in django_content_type.
	"RenameContentType": "django.contrib.contenttypes.management",
}

const (
	modelsModule   = "django.db.migrations.operations.models"
	fieldsModule   = "django.db.migrations.operations.fields"
	specialModule  = "django.db.migrations.operations.special"
	postgresModule = "django.contrib.postgres.operations"
	// sqlFileOperation is the class of a statement of a plain SQL migration file (internal/sqlfiles).
	sqlFileOperation = "SQL"
	// runPythonNoop is how the plan names RunPython.noop.
	runPythonNoop = "django.db.migrations.operations.special.RunPython.noop"
)

// knownOperation reports whether op is one of the operations zdcd knows. A plan source that
// records no module (Module "") is trusted on the class name alone.
func knownOperation(op *plan.Operation) bool {
	if op.Class == sqlFileOperation && op.Module == "" {
		return true // a statement of a plain SQL file: nothing runs but the SQL
	}
	module, ok := djangoOperations[op.Class]
	return ok && (op.Module == "" || op.Module == module)
}

// isDjangoOp reports whether op is Django's own operation of one of the classes (not a subclass
// defined elsewhere).
func isDjangoOp(op *plan.Operation, classes ...string) bool {
	if !knownOperation(op) {
		return false
	}
	for _, c := range classes {
		if op.Class == c {
			return true
		}
	}
	return false
}

// runsPython reports whether op is Django's RunPython with code that does something.
func runsPython(op *plan.Operation) bool {
	return isDjangoOp(op, "RunPython") && (op.Python == nil || op.Python.Function != runPythonNoop)
}

// pythonWhere names a RunPython's function and where it is written.
func pythonWhere(op *plan.Operation) string {
	if op.Python == nil {
		return "its function"
	}
	s := op.Python.Function
	if op.Python.File != "" {
		s += " (" + op.Python.File
		if op.Python.Line > 0 {
			s += ":" + strconv.Itoa(op.Python.Line)
		}
		s += ")"
	}
	return s
}

// opModelLabel names the model an operation works on ("shop.Product"), "" when unknown.
func opModelLabel(op *plan.Operation) string {
	if op.Model == nil || op.Model.Name == "" {
		return ""
	}
	return op.Model.App + "." + op.Model.Name
}

// approveHint is the sentence every unsafe fix ends with when a reviewed approval is the way out.
func approveHint(rule, reason string) string {
	return fmt.Sprintf("If a reviewer accepts the risk, approve it explicitly: zdcd_exempt = {%q: %q} on the Migration class, or a `-- zdcd:exempt %s: <reason>` comment in the SQL.", rule, reason, rule)
}

// sameTx reports whether the later statement b runs in the same transaction as a: the
// migration is atomic, or both are in the one string an operation sends.
func sameTx(p *analysis.Pass, a, b *analysis.Stmt) bool {
	if p.Migration.Atomic {
		return true
	}
	return a.Op == b.Op && a.Sent == b.Sent && a.Count > 1
}

// tableCreatedBy returns the table a statement creates, "" for none.
func tableCreatedBy(st *analysis.Stmt) string {
	if ct, ok := st.Statement.(*sqlparse.CreateTable); ok {
		return analysis.TableName(ct.Table)
	}
	return ""
}

// createdBefore reports, in a Migration hook, whether table existed only since this release when
// statement i ran: created by an earlier statement of this migration, or by an earlier migration
// (p.Created, and not created again later in this one).
func createdBefore(p *analysis.Pass, table string, i int) bool {
	later := false
	for j, st := range p.Stmts {
		if tableCreatedBy(st) != table {
			continue
		}
		if j < i {
			return true
		}
		later = true
	}
	return p.Created(table) && !later
}

// addedColumns lists the columns of table added by statements before st in this migration.
func addedColumns(p *analysis.Pass, table string, st *analysis.Stmt) map[string]bool {
	added := map[string]bool{}
	for _, s := range p.Stmts {
		if s == st {
			break
		}
		if at, ok := s.Statement.(*sqlparse.AlterTable); ok && analysis.TableName(at.Table) == table {
			for _, c := range at.Cmds {
				if c.Action == sqlparse.AddColumn {
					added[c.Column] = true
				}
			}
		}
	}
	return added
}

// anyColumnAdded reports whether one of cols is in added.
func anyColumnAdded(added map[string]bool, cols []string) bool {
	for _, c := range cols {
		if added[c] {
			return true
		}
	}
	return false
}

// onlyPlainColumns reports whether every index element is a column (no expression).
func onlyPlainColumns(cols []string) bool {
	for _, c := range cols {
		if c == "(expression)" || c == "" {
			return false
		}
	}
	return len(cols) > 0
}

// opModelClass is the model's class name ("Product"), or "<model>" when unknown.
func opModelClass(op *plan.Operation) string {
	if op.Model != nil && op.Model.Name != "" {
		return op.Model.Name
	}
	return "<model>"
}
