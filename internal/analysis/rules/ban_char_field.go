package rules

import (
	"fmt"

	"github.com/zdcd/zdcd/internal/analysis"
)

// BanCharField: char(n) pads values with spaces and ignores trailing spaces, and is never smaller
// or faster than text or varchar. Django has no field for it, so it comes from raw SQL or a
// custom field.
var BanCharField = analysis.Rule{
	Name:      "ban-char-field",
	Severity:  analysis.Warning,
	Summary:   "char(n) pads values with spaces, which comparisons ignore only sometimes; use text or varchar",
	Statement: banCharField,
}

func banCharField(p *analysis.Pass, st *analysis.Stmt) {
	for _, c := range advisoryTypedColumns(st.Statement) {
		if !advisoryBuiltin(c.Type, "bpchar") {
			continue
		}
		typ := "character"
		if len(c.Type.Mods) > 0 {
			typ = fmt.Sprintf("char(%d)", c.Type.Mods[0])
		}
		p.ReportStmt(st,
			fmt.Sprintf("%s gives %s.%s the type %s (blank-padded): shorter values are stored and returned padded with spaces (Python reads 'ab   '), while comparisons ignore the padding only sometimes (= 'ab' matches, LIKE 'ab' does not), and longer values fail. It is never smaller or faster than text.",
				c.How, c.Table, c.Column, typ),
			advisoryJoin(
				fmt.Sprintf("Use %s text (or varchar). If every value must have exactly n characters, add CHECK (char_length(%s) = n): inline in CREATE TABLE, or on an existing table as ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in the next migration.", quoteIdent(c.Column), quoteIdent(c.Column)),
				"Django: models.CharField or models.TextField rather than raw SQL or a custom field with db_type \"char(n)\"."))
	}
}
