package rules

import (
	"fmt"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// ReplicaIdentityChange: ALTER TABLE ... REPLICA IDENTITY changes what logical replication and
// change-data-capture consumers receive for UPDATE and DELETE, and NOTHING makes those statements
// fail on a published table.
var ReplicaIdentityChange = analysis.Rule{
	Name:      "replica-identity-change",
	Severity:  analysis.Warning,
	Summary:   "REPLICA IDENTITY changes what logical replication / CDC consumers receive; NOTHING makes UPDATE and DELETE fail on a published table",
	Statement: replicaIdentityChange,
}

func replicaIdentityChange(p *analysis.Pass, st *analysis.Stmt) {
	at, ok := st.Statement.(*sqlparse.AlterTable)
	if !ok {
		return
	}
	table := analysis.TableName(at.Table)
	for _, c := range at.Cmds {
		if c.Action != sqlparse.ReplicaIdentity {
			continue
		}
		var effect string
		switch c.ReplicaIdentity {
		case "FULL":
			effect = "every UPDATE and DELETE on " + table + " now writes the whole old row to the WAL: WAL volume and replication lag grow with the row width, consumers receive full before-images instead of the key, and a subscriber without a usable index finds each changed row by scanning its copy of the table"
		case "NOTHING":
			effect = "no old-row key is logged any more: as soon as " + table + " is in a publication that publishes updates or deletes (FOR ALL TABLES included), every UPDATE and DELETE on it fails (\"cannot update table ... because it does not have a replica identity and publishes updates\"), and CDC consumers lose the key of changed rows"
		case "USING INDEX":
			effect = "consumers now receive the columns of index " + c.Name + " as the row's key instead of the primary key; the index must stay unique, non-partial and on NOT NULL columns, and if it is ever dropped " + table + " behaves as REPLICA IDENTITY NOTHING (UPDATE and DELETE fail on a published table)"
		case "DEFAULT":
			effect = "the primary key becomes the identity again: consumers that relied on full before-images stop receiving them, and if " + table + " has no primary key, UPDATE and DELETE fail on a published table"
		default:
			effect = "check what each consumer expects before changing it"
		}
		p.ReportStmt(st,
			fmt.Sprintf("ALTER TABLE %s REPLICA IDENTITY %s changes what logical replication and CDC consumers receive for UPDATE and DELETE — %s. The change takes an ACCESS EXCLUSIVE lock on %s (brief) and applies to changes made from the moment it commits.",
				table, replicaIdentitySpelling(c), effect, table),
			advisoryJoin(
				"Agree the change with whoever consumes "+table+"'s changes (logical replication subscribers, Debezium or other CDC connectors, Heroku Streaming Data Connectors) and ship it in a migration of its own, so it can be rolled out and reverted on its own:",
				fmt.Sprintf("migrations.RunSQL(%q, reverse_sql=%q)", "ALTER TABLE "+quoteIdent(table)+" REPLICA IDENTITY "+replicaIdentitySpelling(c), "ALTER TABLE "+quoteIdent(table)+" REPLICA IDENTITY <the previous identity>"),
				"Prefer DEFAULT with a primary key; rather than FULL for a table without one, add a primary key."))
	}
}

func replicaIdentitySpelling(c sqlparse.AlterCmd) string {
	if c.ReplicaIdentity == "USING INDEX" {
		return "USING INDEX " + quoteIdent(c.Name)
	}
	return c.ReplicaIdentity
}
