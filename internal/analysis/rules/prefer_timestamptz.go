package rules

import (
	"fmt"

	"github.com/zdcd/zdcd/internal/analysis"
)

// PreferTimestamptz: timestamp without time zone stores a wall-clock reading without its offset.
// Django's DateTimeField is timestamptz on PostgreSQL, so this comes from raw SQL or custom fields.
var PreferTimestamptz = analysis.Rule{
	Name:      "prefer-timestamptz",
	Severity:  analysis.Warning,
	Summary:   "timestamp without time zone loses the offset of what it stores; use timestamptz (Django's DateTimeField)",
	Statement: preferTimestamptz,
}

func preferTimestamptz(p *analysis.Pass, st *analysis.Stmt) {
	for _, c := range advisoryTypedColumns(st.Statement) {
		if !advisoryBuiltin(c.Type, "timestamp") {
			continue
		}
		typ := "timestamptz"
		if len(c.Type.Mods) > 0 {
			typ = fmt.Sprintf("timestamptz(%d)", c.Type.Mods[0])
		}
		if c.Type.Array {
			typ += "[]"
		}
		p.ReportStmt(st,
			fmt.Sprintf("%s gives %s.%s the type timestamp without time zone: it stores a date and a clock time but not which time zone they were in, so values written by sessions with different TimeZone settings, or around a daylight-saving change, cannot be told apart or compared as instants. Django's DateTimeField (timestamptz) returns aware datetimes; a column like this returns naive ones.",
				c.How, c.Table, c.Column),
			advisoryJoin(
				fmt.Sprintf("Use %s %s instead: the same 8 bytes, stored as UTC and converted to the session's time zone on output.", quoteIdent(c.Column), typ),
				"Django: models.DateTimeField (timestamptz on PostgreSQL) rather than raw SQL or a custom field with db_type \"timestamp\".",
				"Converting the column later rewrites the table under an ACCESS EXCLUSIVE lock (unless the session time zone is UTC, on PostgreSQL 12+), so choose now."))
	}
}
