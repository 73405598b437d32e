package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// lockingRules: Locks, index builds, rewrites of whole tables and transaction hazards (HAZARDS B1 and B4).
var lockingRules = []analysis.Rule{
	IndexCreateBlocking,
	IndexDropBlocking,
	ReindexBlocking,
	IndexBuildInLockedTx,
	TableRewriteMaintenance,
	PartitionDetachBlocking,
	UniqueConstraintBlocking,
	PrimaryKeyBlocking,
	ExclusionConstraint,
	TriggerOnExistingTable,
	DDLOnHotTable,
	StatementsAfterAEL,
	MissingLockTimeout,
	FKMissingIndex,
	ConcurrentlyInTransaction,
	NonAtomicNonIdempotent,
	CICCorruptionPG14,
	ExplicitTxControl,
}

// Helpers shared by the rules of this group (prefixed lock… to stay clear of the other groups).

// lockHeldUntil says how long a lock taken by st outlives the statement, as a clause to append to
// a sentence ("" when the statement runs on its own).
func lockHeldUntil(p *analysis.Pass, st *analysis.Stmt) string {
	switch {
	case !st.InTransaction:
		return ""
	case p.Migration.Atomic:
		return ", and the migration's transaction keeps the lock until the migration commits"
	default:
		return ", and the implicit transaction of this multi-statement string keeps the lock until its last statement ends"
	}
}

// lockShort abbreviates a statement's text for quoting inside a message.
func lockShort(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 90 {
		s = s[:87] + "..."
	}
	return "`" + s + "`"
}

// lockWhere names the operation that runs st: "AddField, line 14".
func lockWhere(st *analysis.Stmt) string {
	if st.Op == nil {
		return "?"
	}
	if st.Op.Line > 0 {
		return fmt.Sprintf("%s, line %d", st.Op.Class, st.Op.Line)
	}
	return st.Op.Class
}

// lockTakesAEL reports whether st takes an ACCESS EXCLUSIVE lock on table.
func lockTakesAEL(st *analysis.Stmt, table string) bool {
	for _, e := range st.Effects {
		if e.Table == table && e.Mode == analysis.AccessExclusive {
			return true
		}
	}
	return false
}

// lockSource returns the statement before p.Stmts[i] that took the ACCESS EXCLUSIVE lock on table
// which p.Stmts[i] finds held (the latest one: the transaction that holds the lock took it there or
// later), nil when none is found.
func lockSource(p *analysis.Pass, i int, table string) *analysis.Stmt {
	for k := i - 1; k >= 0; k-- {
		if lockTakesAEL(p.Stmts[k], table) {
			return p.Stmts[k]
		}
	}
	return nil
}

// lockFirstSource returns the first statement of p.Stmts[i]'s transaction (ids from lockTxIDs)
// that took an ACCESS EXCLUSIVE lock on table before it: since then the table has been blocked.
// It falls back to lockSource.
func lockFirstSource(p *analysis.Pass, ids []int, i int, table string) *analysis.Stmt {
	var first *analysis.Stmt
	for k := i - 1; k >= 0 && ids[k] == ids[i]; k-- {
		if lockTakesAEL(p.Stmts[k], table) {
			first = p.Stmts[k]
		}
	}
	if first == nil {
		return lockSource(p, i, table)
	}
	return first
}

// lockTableLabel names the table a lock is on for a message: Effects name an index's table by the
// index when the statement names only the index (DROP INDEX, REINDEX INDEX, ALTER INDEX).
func lockTableLabel(src *analysis.Stmt, table string) string {
	if src != nil {
		switch s := src.Statement.(type) {
		case *sqlparse.Drop:
			if s.Object == "INDEX" {
				return "the table of index " + table
			}
		case *sqlparse.Reindex:
			if s.Target == "INDEX" {
				return "the table of index " + table
			}
		case *sqlparse.AlterTable:
			if s.Object == "INDEX" {
				return "the table of index " + table
			}
		case *sqlparse.Rename:
			if s.Object == "INDEX" {
				return "the table of index " + table
			}
		}
	}
	return table
}

// lockTxIDs numbers the transactions of the migration's statements: statements with the same
// number run in the same transaction (explicit, Django's, or a multi-statement string's implicit
// one). A statement that runs on its own gets a number of its own.
func lockTxIDs(p *analysis.Pass) []int {
	ids := make([]int, len(p.Stmts))
	id, explicit := 0, false
	for i, st := range p.Stmts {
		if i > 0 {
			prev := p.Stmts[i-1]
			ended := false
			if tx, ok := prev.Statement.(*sqlparse.Transaction); ok {
				switch tx.Action {
				case "COMMIT", "ROLLBACK", "PREPARE TRANSACTION":
					ended = true
				}
			}
			switch {
			case ended:
				id++
			case !p.Migration.Atomic && !explicit && (st.Index == 0 || !st.InTransaction || !prev.InTransaction):
				id++ // autocommit: every string Django sends is a transaction of its own
			}
		}
		if tx, ok := st.Statement.(*sqlparse.Transaction); ok {
			switch tx.Action {
			case "BEGIN":
				explicit = true
			case "COMMIT", "ROLLBACK", "PREPARE TRANSACTION":
				explicit = false
			}
		}
		ids[i] = id
	}
	return ids
}

// lockIndexTable returns the table an index belongs to when this migration tells: the index was
// created earlier in it, or the statement comes from a Django operation on a model. "" when
// unknown.
func lockIndexTable(p *analysis.Pass, st *analysis.Stmt, index sqlparse.Name) string {
	for _, s := range p.Stmts {
		if s == st {
			break
		}
		if ci, ok := s.Statement.(*sqlparse.CreateIndex); ok && ci.Name == index.Name &&
			(index.Schema == "" || index.Schema == ci.Table.Schema || (index.Schema == "public" && ci.Table.Schema == "")) {
			return analysis.TableName(ci.Table)
		}
	}
	return lockModelTable(st.Op)
}

// lockModelTable is the table of a Django operation's model ("" for RunSQL and plain SQL files).
func lockModelTable(op *plan.Operation) string {
	if op == nil || op.Model == nil {
		return ""
	}
	if op.Model.TableBefore != "" {
		return op.Model.TableBefore
	}
	return op.Model.TableAfter
}

// lockConcurrentIndexSQL rewrites a CREATE [UNIQUE] INDEX statement as its concurrent, idempotent
// form for a fix text (the statement was already judged; this only edits its leading keywords).
func lockConcurrentIndexSQL(ci *sqlparse.CreateIndex) string {
	text := strings.Join(strings.Fields(ci.Text), " ")
	upper := strings.ToUpper(text)
	for _, head := range []string{"CREATE UNIQUE INDEX ", "CREATE INDEX "} {
		if strings.HasPrefix(upper, head) && !strings.HasPrefix(upper, head+"CONCURRENTLY") && !strings.HasPrefix(upper, head+"IF NOT EXISTS") {
			return text[:len(head)] + "CONCURRENTLY IF NOT EXISTS " + text[len(head):]
		}
		if strings.HasPrefix(upper, head+"CONCURRENTLY ") && !strings.HasPrefix(upper, head+"CONCURRENTLY IF NOT EXISTS") {
			n := len(head + "CONCURRENTLY ")
			return text[:n] + "IF NOT EXISTS " + text[n:]
		}
	}
	kind := "INDEX"
	if ci.Unique {
		kind = "UNIQUE INDEX"
	}
	return fmt.Sprintf("CREATE %s CONCURRENTLY IF NOT EXISTS %s ON %s (%s)", kind, quoteIdent(ci.Name), quoteName(ci.Table), quoteIdents(ci.Columns))
}

// lockVersion spells server_version_num for messages: 140002 → "14.2", 0 → "unknown".
func lockVersion(v int) string {
	if v <= 0 {
		return "unknown"
	}
	if v >= 100000 {
		return fmt.Sprintf("%d.%d", v/10000, v%10000)
	}
	return fmt.Sprintf("%d.%d.%d", v/10000, v/100%100, v%100)
}

// PartitionCatalog is what a Catalog may also answer (partition-detach-blocking asks it when the
// live catalog implements it): whether table is a partitioned table (pg_class.relkind = 'p').
type PartitionCatalog interface {
	Partitioned(table string) bool
}

// HotTableCatalog is what a Catalog may also answer (ddl-on-hot-table asks it when the live
// catalog implements it): whether table is read by (nearly) every request, from configuration or
// from traffic statistics, and why ("listed in ZDCD_HOT_TABLES", "12k scans/s").
type HotTableCatalog interface {
	HotTable(table string) (hot bool, why string)
}

// IndexCatalog is what a Catalog may also answer (primary-key-blocking asks it when the live
// catalog implements it): the key columns of an existing index of table, in order (ok=false when
// unknown or when a key is an expression).
type IndexCatalog interface {
	IndexColumns(table, index string) (columns []string, ok bool)
}

// NotNullCatalog is what a Catalog may also answer (primary-key-blocking asks it when the live
// catalog implements it): whether a column is declared NOT NULL (pg_attribute.attnotnull).
type NotNullCatalog interface {
	ColumnNotNull(table, column string) (notNull, ok bool)
}

// lockPartitioned reports whether table is known to be partitioned: the live catalog says so, or
// this migration created it partitioned or attached a partition to it before st.
func lockPartitioned(p *analysis.Pass, st *analysis.Stmt, table string) bool {
	if c, ok := p.Catalog.(PartitionCatalog); ok && c.Partitioned(table) {
		return true
	}
	for _, s := range p.Stmts {
		if s == st {
			break
		}
		switch x := s.Statement.(type) {
		case *sqlparse.CreateTable:
			if (x.Partitioned && analysis.TableName(x.Table) == table) || (x.PartitionOf != nil && analysis.TableName(*x.PartitionOf) == table) {
				return true
			}
		case *sqlparse.AlterTable:
			if analysis.TableName(x.Table) == table {
				for _, c := range x.Cmds {
					if c.Action == sqlparse.AttachPartition {
						return true
					}
				}
			}
		}
	}
	return false
}
