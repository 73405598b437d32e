package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// PartitionDetachBlocking: DETACH PARTITION without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on
// the partitioned table, so every query on any partition waits. And an index on a partitioned
// table is built on every partition in one statement that cannot be CONCURRENTLY.
var PartitionDetachBlocking = analysis.Rule{
	Name:      "partition-detach-blocking",
	Severity:  analysis.Unsafe,
	Summary:   "DETACH PARTITION without CONCURRENTLY, or an index built on a partitioned table, blocks the whole partitioned table",
	Statement: partitionDetachBlocking,
}

func partitionDetachBlocking(p *analysis.Pass, st *analysis.Stmt) {
	switch s := st.Statement.(type) {
	case *sqlparse.AlterTable:
		parent := analysis.TableName(s.Table)
		for _, c := range s.Cmds {
			if c.Action != sqlparse.DetachPartition {
				continue
			}
			if c.Concurrently {
				if p.ServerVersion > 0 && !p.AtLeast(analysis.PG14) {
					p.ReportStmt(st,
						fmt.Sprintf("PostgreSQL %s has no DETACH PARTITION ... CONCURRENTLY (it came in 14): this statement is a syntax error there, and the migration fails.", lockVersion(p.ServerVersion)),
						"Upgrade to PostgreSQL 14+ first, or detach without CONCURRENTLY in the nightly maintenance window (NIGHTLY_BUILD=true): before 14 a detach always locks the whole partitioned table.")
				}
				continue
			}
			if !p.Created(parent) {
				detachBlocking(p, st, parent, c.Name)
			}
		}
	case *sqlparse.CreateIndex:
		table := analysis.TableName(s.Table)
		if s.Only || !lockPartitioned(p, st, table) {
			return
		}
		if s.Concurrently {
			p.ReportStmt(st,
				fmt.Sprintf("%s is a partitioned table, and PostgreSQL cannot build an index on a partitioned table CONCURRENTLY: this statement fails with \"cannot create index on partitioned table concurrently\".", table),
				partitionIndexRecipe(s))
			return
		}
		if p.Created(table) {
			return
		}
		p.ReportStmt(st,
			fmt.Sprintf("Building index %s on partitioned table %s builds it on every partition in this one statement, each under a SHARE lock that blocks every INSERT, UPDATE and DELETE, "+
				"and the locks add up until the statement ends%s; a partitioned table's index cannot be built CONCURRENTLY.", s.Name, table, lockHeldUntil(p, st)),
			partitionIndexRecipe(s))
	}
}

func detachBlocking(p *analysis.Pass, st *analysis.Stmt, parent, partition string) {
	msg := fmt.Sprintf("DETACH PARTITION %s takes an ACCESS EXCLUSIVE lock on %s and on the partition: every query on %s, reads included and on any partition, "+
		"waits for it and for the queries already running there%s.", partition, parent, parent, lockHeldUntil(p, st))
	concurrent := fmt.Sprintf("ALTER TABLE %s DETACH PARTITION %s CONCURRENTLY;", parent, partition)
	howto := "Detach without blocking: " + concurrent + " It takes only SHARE UPDATE EXCLUSIVE on " + parent + " and waits for running queries instead of locking them out. " +
		"It must run alone, outside a transaction: in Django, RunSQL(\"" + concurrent + "\") as the only operation of a migration with `atomic = False`. " +
		"It is refused when " + parent + " has a DEFAULT partition; if it is interrupted, finish it with ALTER TABLE " + parent + " DETACH PARTITION " + partition + " FINALIZE."
	var fix []string
	switch {
	case p.AtLeast(analysis.PG14):
		fix = append(fix, howto)
	case p.ServerVersion > 0:
		msg += fmt.Sprintf(" PostgreSQL %s has no DETACH PARTITION ... CONCURRENTLY (it came in 14), so there is no online way to detach here.", lockVersion(p.ServerVersion))
		fix = append(fix, "Upgrade to PostgreSQL 14+ and detach CONCURRENTLY, or detach in the nightly maintenance window (NIGHTLY_BUILD=true).",
			"Until then the old partition can stay attached: stop writing to it and drop it later in a maintenance window.")
	default:
		fix = append(fix, "On PostgreSQL 14+: "+howto, "Before 14 there is no online way: detach in the nightly maintenance window (NIGHTLY_BUILD=true).")
	}
	p.ReportStmt(st, msg, strings.Join(fix, "\n"))
}

func partitionIndexRecipe(ci *sqlparse.CreateIndex) string {
	table := quoteName(ci.Table)
	name := ci.Name
	if name == "" {
		name = "<name>"
	}
	return strings.Join([]string{
		"Build the index partition by partition:",
		fmt.Sprintf("1. CREATE INDEX %s ON ONLY %s (...); — an empty, invalid index on the parent only, instant.", quoteIdent(name), table),
		"2. For each partition, in a migration with `atomic = False`, one statement per operation: CREATE INDEX CONCURRENTLY IF NOT EXISTS <partition_idx> ON <partition> (...); then ALTER INDEX " +
			quoteIdent(name) + " ATTACH PARTITION <partition_idx>; (an instant lock).",
		"Once every partition's index is attached, the parent's index becomes valid. In Django, RunSQL for each step, with SeparateDatabaseAndState(state_operations=[AddIndex(...)]) to record the index in the model state.",
	}, "\n")
}
