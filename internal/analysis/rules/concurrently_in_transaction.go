package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// ConcurrentlyInTransaction: CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY and DETACH
// PARTITION ... CONCURRENTLY refuse to run inside a transaction block, and so do VACUUM, REINDEX
// SCHEMA/DATABASE/SYSTEM, CREATE/DROP DATABASE, ALTER SYSTEM, CREATE/DROP TABLESPACE and, before
// PostgreSQL 12, ALTER TYPE ... ADD VALUE. Inside an atomic migration, or in a multi-statement
// RunSQL string (one implicit transaction, even with atomic = False), the migration fails at that
// statement. A run-time error: it applies to tables created in the same release too.
var ConcurrentlyInTransaction = analysis.Rule{
	Name:         "concurrently-in-transaction",
	Severity:     analysis.Unsafe,
	WhileRunning: true,
	Summary:      "CONCURRENTLY (or another statement that cannot run in a transaction block) inside a transaction: the migration fails",
	Statement:    concurrentlyInTransaction,
}

func concurrentlyInTransaction(p *analysis.Pass, st *analysis.Stmt) {
	if !st.InTransaction {
		return
	}
	what := noTransactionStatement(p, st)
	if what == "" {
		return
	}
	why := "Django runs this migration in a transaction (it is atomic)"
	if !p.Migration.Atomic {
		why = fmt.Sprintf("this string holds %d statements, which PostgreSQL runs as one implicit transaction even though the migration has `atomic = False`", st.Count)
	}
	p.ReportStmt(st,
		fmt.Sprintf("%s cannot run inside a transaction block, and %s: PostgreSQL rejects it with \"%s cannot run inside a transaction block\" and the migration fails there.",
			what, why, what),
		strings.Join([]string{
			"Run it on its own, outside any transaction: put it in a migration with `atomic = False` that holds only this operation, " +
				"and send it as a single statement (one RunSQL string, or a list element of its own: RunSQL([\"SET ...\", \"" + what + " ...\"]) sends each element separately).",
			"For an index, django.contrib.postgres.operations.AddIndexConcurrently / RemoveIndexConcurrently in that migration do it.",
		}, "\n"))
}

// noTransactionStatement names st when it cannot run in a transaction block ("" otherwise).
func noTransactionStatement(p *analysis.Pass, st *analysis.Stmt) string {
	switch s := st.Statement.(type) {
	case *sqlparse.CreateIndex:
		if s.Concurrently {
			return "CREATE INDEX CONCURRENTLY"
		}
	case *sqlparse.Drop:
		if s.Concurrently {
			return "DROP INDEX CONCURRENTLY"
		}
		if s.Object == "TABLESPACE" {
			return "DROP TABLESPACE"
		}
	case *sqlparse.DropDatabase:
		return "DROP DATABASE"
	case *sqlparse.Reindex:
		switch {
		case s.Concurrently:
			return "REINDEX CONCURRENTLY"
		case s.Target == "SCHEMA" || s.Target == "DATABASE" || s.Target == "SYSTEM":
			return "REINDEX " + s.Target
		}
	case *sqlparse.AlterTable:
		for _, c := range s.Cmds {
			if c.Action == sqlparse.DetachPartition && c.Concurrently {
				return "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY"
			}
		}
	case *sqlparse.Vacuum:
		if s.Tag == "VACUUM" { // ANALYZE alone may run in a transaction
			return "VACUUM"
		}
	case *sqlparse.AlterEnum:
		if p.ServerVersion < analysis.PG12 {
			return "ALTER TYPE ... ADD VALUE"
		}
	case *sqlparse.Other:
		switch s.Tag {
		case "CREATE DATABASE":
			return "CREATE DATABASE"
		case "ALTERSYSTEM":
			return "ALTER SYSTEM"
		case "CREATETABLESPACE":
			return "CREATE TABLESPACE"
		}
	}
	return ""
}
