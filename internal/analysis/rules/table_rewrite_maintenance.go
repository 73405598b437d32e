package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// TableRewriteMaintenance: maintenance commands that copy a whole table (or index) into new files
// under an ACCESS EXCLUSIVE lock — VACUUM FULL, CLUSTER, ALTER TABLE SET LOGGED / SET UNLOGGED /
// SET TABLESPACE / SET ACCESS METHOD. Nothing can read or write the table until the copy ends.
var TableRewriteMaintenance = analysis.Rule{
	Name:         "table-rewrite-maintenance",
	Severity:     analysis.Unsafe,
	WhileRunning: true,
	Summary:      "VACUUM FULL, CLUSTER, SET LOGGED/UNLOGGED/TABLESPACE/ACCESS METHOD rewrite the table under ACCESS EXCLUSIVE",
	Statement:    tableRewriteMaintenance,
}

func tableRewriteMaintenance(p *analysis.Pass, st *analysis.Stmt) {
	var what, subject string
	switch s := st.Statement.(type) {
	case *sqlparse.Vacuum:
		if !s.Full {
			return
		}
		tables := lockExisting(p, s.Tables)
		if len(s.Tables) > 0 && len(tables) == 0 {
			return
		}
		what = "VACUUM FULL"
		subject = "every table of the database, one after the other"
		if len(tables) > 0 {
			subject = strings.Join(tables, ", ")
		}
	case *sqlparse.Cluster:
		what = "CLUSTER"
		subject = "every table clustered before, one after the other"
		if s.Table.Name != "" {
			table := analysis.TableName(s.Table)
			if p.Created(table) {
				return
			}
			subject = table
		}
	case *sqlparse.AlterTable:
		var actions []string
		for _, c := range s.Cmds {
			switch c.Action {
			case sqlparse.SetLogged, sqlparse.SetUnlogged, sqlparse.SetTablespace, sqlparse.SetAccessMethod:
				actions = append(actions, string(c.Action))
			}
		}
		if len(actions) == 0 {
			return
		}
		name := analysis.TableName(s.Table)
		switch s.Object {
		case "INDEX":
			if table := lockIndexTable(p, st, s.Table); table != "" && p.Created(table) {
				return
			}
			subject = "index " + name + " (queries planned with it wait)"
		default:
			if p.Created(name) {
				return
			}
			subject = name
		}
		what = "ALTER " + s.Object + " ... " + strings.Join(actions, ", ")
	case *sqlparse.Other:
		if s.Tag != "ALTERTABLEMOVEALL" {
			return
		}
		what = "ALTER TABLE ALL IN TABLESPACE ... SET TABLESPACE"
		subject = "every table of the tablespace, one after the other"
	default:
		return
	}
	p.ReportStmt(st,
		fmt.Sprintf("%s copies %s into new files under an ACCESS EXCLUSIVE lock: every read and write waits for the whole copy, "+
			"which takes time proportional to the table's size (and needs disk for a second copy)%s.", what, subject, lockHeldUntil(p, st)),
		strings.Join([]string{
			"Do not rewrite a live table in a deploy.",
			"To reclaim bloat or re-order rows online, use pg_repack where your database offers it (it copies the table with brief locks only), or REPACK CONCURRENTLY on PostgreSQL 19+, outside the release.",
			"If the rewrite itself is the point (SET LOGGED/UNLOGGED, a new tablespace or access method), run it in the nightly maintenance window (NIGHTLY_BUILD=true), or build a new table, copy the rows in batches while writes go to both, and switch.",
		}, "\n"))
}

// lockExisting lists the tables of names that this release did not create.
func lockExisting(p *analysis.Pass, names []sqlparse.Name) []string {
	var out []string
	for _, n := range names {
		if t := analysis.TableName(n); !p.Created(t) {
			out = append(out, t)
		}
	}
	return out
}
