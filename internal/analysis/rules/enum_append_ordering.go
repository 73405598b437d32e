package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// EnumAppendOrdering: enum labels sort in the order they were declared, not alphabetically, so a
// label appended without BEFORE/AFTER sorts last; and an enum is hard to evolve (labels cannot be
// removed). Advisory.
var EnumAppendOrdering = analysis.Rule{
	Name:      "enum-append-ordering",
	Severity:  analysis.Warning,
	Summary:   "ALTER TYPE ... ADD VALUE without BEFORE/AFTER sorts the label last; enums are hard to evolve",
	Statement: enumAppendOrdering,
}

func enumAppendOrdering(p *analysis.Pass, st *analysis.Stmt) {
	switch s := st.Statement.(type) {
	case *sqlparse.AlterEnum:
		if s.AddValue == "" || s.Before != "" || s.After != "" {
			return
		}
		typ := analysis.TableName(s.Type)
		msg := fmt.Sprintf("ALTER TYPE %s ADD VALUE '%s' has no BEFORE or AFTER, so the label goes last: enum values compare in declaration order, so ORDER BY, <, >, min() and max() on columns of %s place '%s' after every other label, whatever it means.",
			typ, s.AddValue, typ, s.AddValue)
		p.ReportStmt(st, msg, strings.Join([]string{
			fmt.Sprintf("Say where the label belongs: ALTER TYPE %s ADD VALUE IF NOT EXISTS '%s' BEFORE '<label>' (or AFTER '<label>').", quoteIdent(typ), s.AddValue),
			"Prefer a lookup table (a ForeignKey) or a CharField with choices and a CHECK constraint: they evolve with ordinary migrations, where enum labels can be added but never removed.",
		}, "\n"))
	case *sqlparse.CreateEnum:
		typ := analysis.TableName(s.Name)
		p.ReportStmt(st,
			fmt.Sprintf("CREATE TYPE %s AS ENUM creates an enum: its labels compare in declaration order, a new label lands last unless placed with BEFORE/AFTER, and a label can never be removed or reordered without moving every column that uses the type to a new one.", typ),
			"Prefer a lookup table (a ForeignKey) or a CharField with choices plus a CHECK constraint (Django's CheckConstraint), which evolve with ordinary migrations. If you keep the enum, add later labels with BEFORE or AFTER.")
	}
}
