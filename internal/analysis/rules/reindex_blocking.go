package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// ReindexBlocking: REINDEX without CONCURRENTLY blocks writes to the table for the whole rebuild,
// and locks each index ACCESS EXCLUSIVE while it is rebuilt, so queries that would use it wait too.
var ReindexBlocking = analysis.Rule{
	Name:         "reindex-blocking",
	Severity:     analysis.Unsafe,
	WhileRunning: true,
	Summary:      "REINDEX without CONCURRENTLY blocks writes (and reads through the index) for the whole rebuild",
	Statement:    reindexBlocking,
}

func reindexBlocking(p *analysis.Pass, st *analysis.Stmt) {
	r, ok := st.Statement.(*sqlparse.Reindex)
	if !ok {
		return
	}
	if r.Concurrently {
		if p.ServerVersion > 0 && !p.AtLeast(analysis.PG12) {
			p.ReportStmt(st,
				fmt.Sprintf("PostgreSQL %s has no REINDEX ... CONCURRENTLY (it came in 12): this statement is a syntax error there, and the migration fails.", lockVersion(p.ServerVersion)),
				"Build a replacement with CREATE INDEX CONCURRENTLY, then DROP INDEX CONCURRENTLY the old one and rename the new one (ALTER INDEX ... RENAME TO, an instant lock), each alone in a migration with `atomic = False`; or upgrade to PostgreSQL 12+ first.")
		}
		return
	}
	var msg string
	switch r.Target {
	case "TABLE":
		table := lockPlainTable(r.Name)
		if p.Created(table) {
			return
		}
		msg = fmt.Sprintf("REINDEX TABLE %s rebuilds every index of %s: its SHARE lock on the table blocks every INSERT, UPDATE and DELETE for the whole rebuild, "+
			"and each rebuilt index stays locked ACCESS EXCLUSIVE; since planning any query on %s locks all its indexes, reads wait too%s.", r.Name, table, table, lockHeldUntil(p, st))
	case "INDEX":
		if table := lockIndexTable(p, st, lockSplitName(r.Name)); table != "" && p.Created(table) {
			return
		}
		msg = fmt.Sprintf("REINDEX INDEX %s holds an ACCESS EXCLUSIVE lock on the index and a SHARE lock on its table for the whole rebuild: "+
			"every INSERT, UPDATE and DELETE on the table waits, and so does every query the planner considers the index for (in practice, most reads of the table)%s.", r.Name, lockHeldUntil(p, st))
	default:
		msg = fmt.Sprintf("REINDEX %s %s rebuilds every index of every table in it, each one blocking writes to its table and queries planned with it while it is rebuilt: "+
			"in a deploy this stalls the whole application for as long as the rebuild takes.", r.Target, r.Name)
	}
	target := r.Target + " " + r.Name
	var fix []string
	switch {
	case p.ServerVersion > 0 && !p.AtLeast(analysis.PG12):
		fix = append(fix, fmt.Sprintf("PostgreSQL %s has no REINDEX CONCURRENTLY (it came in 12): build a replacement with CREATE INDEX CONCURRENTLY, "+
			"then DROP INDEX CONCURRENTLY the old one and rename the new one (ALTER INDEX ... RENAME TO, an instant lock); or upgrade to 12+ first.", lockVersion(p.ServerVersion)))
	case p.ServerVersion <= 0:
		fix = append(fix, "On PostgreSQL 12+: REINDEX "+reindexConcurrently(r)+", alone and outside a transaction. Before 12 there is no REINDEX CONCURRENTLY: "+
			"CREATE INDEX CONCURRENTLY a replacement, DROP INDEX CONCURRENTLY the old one, then ALTER INDEX ... RENAME TO.")
	default:
		fix = append(fix, "Rebuild without blocking: REINDEX "+reindexConcurrently(r)+", alone and outside a transaction.")
	}
	fix = append(fix,
		"Django: RunSQL(\"REINDEX "+reindexConcurrently(r)+"\") as the only operation of a migration with `atomic = False`. If it fails midway it leaves an INVALID index named *_ccnew: DROP INDEX CONCURRENTLY it before retrying.",
		"Rebuilding "+strings.ToLower(target)+" is maintenance, not a schema change: consider running it outside the release altogether.")
	p.ReportStmt(st, msg, strings.Join(fix, "\n"))
}

func reindexConcurrently(r *sqlparse.Reindex) string {
	return r.Target + " CONCURRENTLY " + r.Name
}

// lockPlainTable turns a name as written ("public.t", "t") into zdcd's table name ("t").
func lockPlainTable(name string) string {
	return analysis.TableName(lockSplitName(name))
}

// lockSplitName splits "schema.name" (as sqlparse prints a Name).
func lockSplitName(name string) sqlparse.Name {
	if i := strings.LastIndex(name, "."); i >= 0 {
		return sqlparse.Name{Schema: name[:i], Name: name[i+1:]}
	}
	return sqlparse.Name{Name: name}
}
