package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// IndexBuildInLockedTx: an index build in a transaction that already holds an ACCESS EXCLUSIVE
// lock on the same table. The build then blocks reads as well as writes, for all of its duration.
// The Django shape: AddField(db_index=True) or a ForeignKey — ADD COLUMN, then Django's deferred
// CREATE INDEX at the end of the same atomic migration.
//
// CREATE INDEX CONCURRENTLY is not considered: inside a transaction it fails before building
// anything (concurrently-in-transaction reports it), and outside one no lock is held.
var IndexBuildInLockedTx = analysis.Rule{
	Name:         "index-build-in-locked-tx",
	Severity:     analysis.Unsafe,
	WhileRunning: true,
	Summary:      "index build in a transaction already holding ACCESS EXCLUSIVE on the table: reads blocked for the whole build",
	Migration:    indexBuildInLockedTx,
}

func indexBuildInLockedTx(p *analysis.Pass) {
	type group struct {
		first  *analysis.Stmt
		source *analysis.Stmt
		table  string
		builds []*sqlparse.CreateIndex
	}
	var groups []*group
	byKey := map[string]*group{}
	ids := lockTxIDs(p)
	for i, st := range p.Stmts {
		ci, ok := st.Statement.(*sqlparse.CreateIndex)
		if !ok || ci.Concurrently {
			continue
		}
		table := analysis.TableName(ci.Table)
		if st.Held[table] != analysis.AccessExclusive || p.Created(table) {
			continue
		}
		key := fmt.Sprintf("%d/%s", ids[i], table)
		g := byKey[key]
		if g == nil {
			g = &group{first: st, source: lockFirstSource(p, ids, i, table), table: table}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.builds = append(g.builds, ci)
	}
	for _, g := range groups {
		var names, sqls []string
		for _, ci := range g.builds {
			names = append(names, ci.Name)
			sqls = append(sqls, lockConcurrentIndexSQL(ci)+";")
		}
		what := "index " + names[0]
		if len(names) > 1 {
			what = "indexes " + strings.Join(names, " and ")
		}
		taken := "earlier in this transaction"
		if g.source != nil {
			taken = fmt.Sprintf("by %s (%s)", lockShort(g.source.Info().Text), lockWhere(g.source))
		}
		until := "until the implicit transaction of its multi-statement string ends (the statements were sent in one call)"
		if p.Migration.Atomic {
			until = "until the migration commits"
		}
		p.ReportStmt(g.first,
			fmt.Sprintf("Building %s on %s runs while this transaction already holds an ACCESS EXCLUSIVE lock on %s, taken %s: "+
				"every query on %s, reads included, waits for the whole build (it reads every row) and %s. Without that lock, the build would block writes only.",
				what, g.table, g.table, taken, g.table, until),
			strings.Join([]string{
				"Split the change so the index is built outside the transaction that holds the lock:",
				"1. Migration A (atomic): the schema change alone; for AddField(db_index=True) or a ForeignKey, add the field with db_index=False.",
				"2. Migration B, with `atomic = False`: build the index concurrently, one statement per operation: " + strings.Join(sqls, " ") +
					" In Django, AddIndexConcurrently(model, models.Index(...)) from django.contrib.postgres.operations, or, to keep db_index=True on the field, " +
					"SeparateDatabaseAndState(database_operations=[RunSQL(<the statement above>, reverse_sql=\"DROP INDEX CONCURRENTLY IF EXISTS ...\")], state_operations=[AlterField(..., db_index=True)]).",
				"If a concurrent build fails it leaves an INVALID index: DROP INDEX CONCURRENTLY IF EXISTS it before retrying.",
			}, "\n"))
	}
}
