package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// AddColumnRewriteGenerated: ADD COLUMN of a serial, identity or stored generated column computes
// a value for every existing row, rewriting the table under ACCESS EXCLUSIVE.
var AddColumnRewriteGenerated = analysis.Rule{
	Name:         "add-column-rewrite-generated",
	Severity:     analysis.Unsafe,
	WhileRunning: true,
	Summary:      "ADD COLUMN serial / GENERATED AS IDENTITY / GENERATED ... STORED rewrites the table under ACCESS EXCLUSIVE",
	Statement:    addColumnRewriteGenerated,
}

func addColumnRewriteGenerated(p *analysis.Pass, st *analysis.Stmt) {
	at, table, ok := alterOfExisting(p, st)
	if !ok {
		return
	}
	for _, c := range at.Cmds {
		d := c.Def
		if c.Action != sqlparse.AddColumn || d == nil {
			continue
		}
		var kind string
		var fix []string
		seqFix := []string{
			fmt.Sprintf("1. CREATE SEQUENCE %s; then ALTER TABLE %s ADD COLUMN %s bigint NULL; (metadata only)",
				quoteIdent(table+"_"+d.Name+"_seq"), quoteIdent(table), quoteIdent(d.Name)),
			fmt.Sprintf("2. ALTER TABLE %s ALTER COLUMN %s SET DEFAULT nextval('%s'); (new rows only, no rewrite)",
				quoteIdent(table), quoteIdent(d.Name), table+"_"+d.Name+"_seq"),
			"3. Backfill existing rows with nextval() in batches of 1,000–10,000 by primary key, from a migration with `atomic = False`.",
			"4. Make it NOT NULL with the CHECK ... NOT VALID + VALIDATE CONSTRAINT pattern (set-not-null-scan), and build any unique index with AddIndexConcurrently.",
			"Django: do the SQL with RunSQL inside SeparateDatabaseAndState, with the AutoField/BigAutoField AddField as its state operation.",
		}
		switch {
		case d.Serial():
			kind, fix = "of type "+d.Type.Name+" (a sequence default, evaluated for every row)", seqFix
		case d.Identity != "":
			kind, fix = "GENERATED "+strings.ToUpper(d.Identity)+" AS IDENTITY (a sequence value for every row)", seqFix
		case d.Generated:
			kind = "GENERATED ALWAYS AS (...) STORED (the expression is computed and stored for every row)"
			fix = []string{
				fmt.Sprintf("1. Add a plain nullable column: ALTER TABLE %s ADD COLUMN %s %s NULL; (metadata only)", quoteIdent(table), quoteIdent(d.Name), columnsTypeName(d.Type)),
				"2. Keep it computed for new and changed rows with a BEFORE INSERT OR UPDATE trigger (RunSQL), created in a low-traffic moment with a short lock_timeout.",
				"3. Backfill existing rows in batches of 1,000–10,000 by primary key, from a migration with `atomic = False`.",
				"Or compute the value in the query (annotate) instead of storing it. On PostgreSQL 18, a virtual generated column (Django GeneratedField(db_persist=False)) is not stored and needs no rewrite.",
			}
		default:
			continue
		}
		p.ReportStmt(st,
			fmt.Sprintf("Adding %s.%s %s fills every existing row: PostgreSQL rewrites %s and rebuilds all its indexes under an ACCESS EXCLUSIVE lock, so every read and write of %s waits for the whole rewrite, which takes time proportional to the table's size%s.",
				table, d.Name, kind, table, table, columnsUntil(st)),
			strings.Join(fix, "\n"))
	}
}
