package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
)

// DDLOnHotTable: an ACCESS EXCLUSIVE lock, even an instant one (a nullable ADD COLUMN), on a table
// that (nearly) every request reads. While the lock waits behind a running query, every request
// queues behind it, until lock_timeout cancels it — and each retry repeats the stall.
//
// zdcd cannot tell a hot table from the SQL. The rule asks the live catalog, when it implements
// HotTableCatalog (the live catalog: traffic statistics); without that answer (lint) it is quiet. It
// reports only locks that are otherwise brief: an ACCESS EXCLUSIVE that rewrites or scans the
// table is already unsafe under the rule for that statement.
var DDLOnHotTable = analysis.Rule{
	Name:         "ddl-on-hot-table",
	Severity:     analysis.Warning,
	WhileRunning: true,
	Summary:      "ACCESS EXCLUSIVE lock, even a brief one, on a table that every request reads",
	Statement:    ddlOnHotTable,
}

func ddlOnHotTable(p *analysis.Pass, st *analysis.Stmt) {
	hot, ok := p.Catalog.(HotTableCatalog)
	if !ok {
		return
	}
	for _, e := range st.Effects {
		if e.Mode != analysis.AccessExclusive || e.Rewrite || e.Scan || p.Created(e.Table) || st.Held[e.Table] == analysis.AccessExclusive {
			continue
		}
		isHot, why := hot.HotTable(e.Table)
		if !isHot {
			continue
		}
		if why != "" {
			why = " (" + why + ")"
		}
		p.ReportStmt(st,
			fmt.Sprintf("%s takes an ACCESS EXCLUSIVE lock on %s, a table read by nearly every request%s. The change itself is instant, but while the lock waits for queries already running on %s, "+
				"every request that touches it queues behind, until zdcd's lock_timeout cancels the attempt; each retry repeats that stall%s.",
				lockShort(st.Info().Text), e.Table, why, e.Table, lockHeldUntil(p, st)),
			strings.Join([]string{
				"Prefer not to alter " + e.Table + " at all: put new columns in a new table with a one-to-one key (an extension table) that only the new code reads.",
				"Otherwise keep the migration to this one statement (nothing after it in the same transaction), and deploy at low traffic, with a short lock_timeout (ZDCD_LOCK_TIMEOUT) and many retries.",
			}, "\n"))
	}
}
