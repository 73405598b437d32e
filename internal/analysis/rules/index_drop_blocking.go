package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// IndexDropBlocking: DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the index's
// table. The drop itself is quick, but the lock waits for every running query on the table, and
// every query that arrives meanwhile, reads included, queues behind it.
var IndexDropBlocking = analysis.Rule{
	Name:         "index-drop-blocking",
	Severity:     analysis.Unsafe,
	WhileRunning: true,
	Summary:      "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the index's table",
	Statement:    indexDropBlocking,
}

func indexDropBlocking(p *analysis.Pass, st *analysis.Stmt) {
	d, ok := st.Statement.(*sqlparse.Drop)
	if !ok || d.Object != "INDEX" || d.Concurrently {
		return
	}
	var names, tables []string
	for _, n := range d.Names {
		table := lockIndexTable(p, st, n)
		if table != "" && (p.Created(table) || st.Held[table] == analysis.AccessExclusive) {
			// An index of a table this release created (nobody else uses it), or of a table this
			// transaction already holds ACCESS EXCLUSIVE (no new wait; the drop itself is quick).
			continue
		}
		names = append(names, n.String())
		if table != "" {
			tables = append(tables, table)
		}
	}
	if len(names) == 0 {
		return
	}
	on := "its table"
	if len(tables) == len(names) {
		on = strings.Join(lockDedup(tables), " and ")
	}
	kind := "index " + names[0]
	if len(names) > 1 {
		kind = "indexes " + strings.Join(names, ", ")
	}
	var sqls []string
	for _, n := range names {
		sqls = append(sqls, "DROP INDEX CONCURRENTLY IF EXISTS "+quoteIdent(n)+";")
	}
	p.ReportStmt(st,
		fmt.Sprintf("Dropping %s takes an ACCESS EXCLUSIVE lock on %s: it waits for every query already running there, and every query that arrives meanwhile, reads included, queues behind it%s.",
			kind, on, lockHeldUntil(p, st)),
		strings.Join([]string{
			"Drop without blocking: " + strings.Join(sqls, " ") + " — each statement alone, outside a transaction (it waits for running queries instead of locking them out).",
			"Django: in a migration with `atomic = False` holding only this change, use django.contrib.postgres.operations.RemoveIndexConcurrently for an index of Meta.indexes; " +
				"for db_index=True removed from a field, SeparateDatabaseAndState(database_operations=[RunSQL(\"DROP INDEX CONCURRENTLY IF EXISTS ...\", reverse_sql=\"CREATE INDEX CONCURRENTLY IF NOT EXISTS ...\")], state_operations=[AlterField(...)]).",
			"An index that backs a UNIQUE or PRIMARY KEY constraint cannot be dropped by name: drop the constraint, alone in its migration, so the lock is held only for an instant.",
		}, "\n"))
}

// lockDedup returns the strings of s in order, without repeats.
func lockDedup(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
