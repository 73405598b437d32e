package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
)

// PreferText: varchar(n) written in raw SQL. The limit buys nothing over text, and changing it
// later is an ALTER TABLE under an ACCESS EXCLUSIVE lock (a rewrite when it shrinks). Django's
// CharField always emits varchar(n), so Django's own operations are left alone: the warning would
// hit every CharField, and the model, not the SQL, is where that choice is made.
var PreferText = analysis.Rule{
	Name:      "prefer-text",
	Severity:  analysis.Warning,
	Summary:   "varchar(n) in raw SQL: changing the limit later needs an ACCESS EXCLUSIVE lock; use text (with a CHECK if the limit matters)",
	Statement: preferText,
}

func preferText(p *analysis.Pass, st *analysis.Stmt) {
	if !advisoryRawSQL(st.Op) {
		return
	}
	for _, c := range advisoryTypedColumns(st.Statement) {
		if !advisoryBuiltin(c.Type, "varchar") || len(c.Type.Mods) == 0 {
			continue
		}
		if f := advisoryMirroredField(p, st.Op, c.Table, c.Column); f != nil && strings.HasPrefix(f.DBType, "varchar") {
			continue // the SQL mirrors a CharField recorded in Django's state: the model decides the type
		}
		n := c.Type.Mods[0]
		check := fmt.Sprintf("CHECK (char_length(%s) <= %d)", quoteIdent(c.Column), n)
		name := quoteIdent(advisoryBareName(c.Table) + "_" + c.Column + "_length")
		limit := fmt.Sprintf("in CREATE TABLE: %s text CONSTRAINT %s %s.", quoteIdent(c.Column), name, check)
		if c.How != "CREATE TABLE" {
			limit = fmt.Sprintf("on an existing table, without a scan under lock: ALTER TABLE %s ADD CONSTRAINT %s %s NOT VALID; then, in the next migration, ALTER TABLE %s VALIDATE CONSTRAINT %s; (SHARE UPDATE EXCLUSIVE: reads and writes continue).",
				quoteIdent(c.Table), name, check, quoteIdent(c.Table), name)
		}
		p.ReportStmt(st,
			fmt.Sprintf("%s gives %s.%s the type %s. The limit saves nothing over text (both store the same bytes), but changing it later is an ALTER TABLE: raising it takes an ACCESS EXCLUSIVE lock on %s (brief, yet it queues behind any long transaction and every query on %s queues behind it), and lowering it rewrites the table.",
				c.How, c.Table, c.Column, c.Type.String(), c.Table, c.Table),
			advisoryJoin(
				fmt.Sprintf("Use text (%s text), and enforce a limit only where it is a real rule, with a CHECK constraint — "+limit, quoteIdent(c.Column)),
				"A CHECK can later be replaced the same way (new one NOT VALID, VALIDATE, drop the old one) without blocking anyone.",
				"Django: a TextField (its max_length only limits forms), with models.CheckConstraint on Length(...) in Meta.constraints where the database must enforce it; or a CharField, if you accept that changing max_length is an AlterField under that lock."))
	}
}
