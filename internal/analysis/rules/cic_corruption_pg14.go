package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// CICCorruptionPG14: PostgreSQL 14.0 to 14.3 can build a corrupt index with CREATE INDEX
// CONCURRENTLY or REINDEX CONCURRENTLY when rows are updated during the build: the index silently
// misses entries (fixed in 14.4). Only reported when the server version is known to be affected.
var CICCorruptionPG14 = analysis.Rule{
	Name:      "cic-corruption-pg14",
	Severity:  analysis.Unsafe,
	Summary:   "CREATE INDEX / REINDEX CONCURRENTLY on PostgreSQL 14.0–14.3 can silently corrupt the index",
	Statement: cicCorruptionPG14,
}

// PG14.0 to PG14.3 (server_version_num).
const (
	pg14Affected     = 140000
	pg14LastAffected = 140003
)

func cicCorruptionPG14(p *analysis.Pass, st *analysis.Stmt) {
	if p.ServerVersion < pg14Affected || p.ServerVersion > pg14LastAffected {
		return
	}
	what, table := "", ""
	switch s := st.Statement.(type) {
	case *sqlparse.CreateIndex:
		if !s.Concurrently {
			return
		}
		what, table = "CREATE INDEX CONCURRENTLY "+s.Name, analysis.TableName(s.Table)
	case *sqlparse.Reindex:
		if !s.Concurrently {
			return
		}
		what = "REINDEX " + s.Target + " CONCURRENTLY " + s.Name
		if s.Target == "TABLE" {
			table = lockPlainTable(s.Name)
		}
	default:
		return
	}
	if table != "" && p.Created(table) {
		return // nobody updates a new table during the build
	}
	p.ReportStmt(st,
		fmt.Sprintf("The server runs PostgreSQL %s: from 14.0 to 14.3, %s can build an index that silently misses rows updated while it was built. "+
			"Queries using it then return wrong results, and a unique index may let duplicates in. PostgreSQL 14.4 fixed it.", lockVersion(p.ServerVersion), what),
		strings.Join([]string{
			"Upgrade the server to the latest 14.x minor release (14.4 or later) before running this migration; on Heroku Postgres, minor upgrades are applied by a maintenance (heroku pg:maintenance).",
			"Then look for indexes already built concurrently on this server: the amcheck extension's bt_index_check(index, heapallindexed => true) finds them; REINDEX CONCURRENTLY each one after the upgrade.",
		}, "\n"))
}
