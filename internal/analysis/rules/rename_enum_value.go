package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// RenameEnumValue: the old code keeps writing (and expecting to read) the old label.
var RenameEnumValue = analysis.Rule{
	Name:      "rename-enum-value",
	Severity:  analysis.Unsafe,
	Summary:   "ALTER TYPE ... RENAME VALUE breaks the old code, which still writes the old label",
	Statement: renameEnumValue,
}

func renameEnumValue(p *analysis.Pass, st *analysis.Stmt) {
	r, ok := st.Statement.(*sqlparse.Rename)
	if !ok || r.Object != "ENUM VALUE" {
		return
	}
	typ := analysis.TableName(r.Table)
	for _, s := range p.Stmts {
		if s == st {
			break
		}
		if ce, ok := s.Statement.(*sqlparse.CreateEnum); ok && analysis.TableName(ce.Name) == typ {
			return // created earlier in this migration: no code uses it yet
		}
	}
	p.ReportStmt(st,
		fmt.Sprintf("This statement renames label '%s' of enum %s to '%s'. Every row holding it changes at once, while the old code, still serving until the new release is live, keeps writing '%s' — rejected from now on with `invalid input value for enum %s` — and reads '%s', a value it does not know (a choices mismatch, a failed lookup).",
			r.From, typ, r.To, r.From, typ, r.To),
		strings.Join([]string{
			"Expand and contract instead of renaming in place:",
			fmt.Sprintf("1. Add the new label: ALTER TYPE %s ADD VALUE IF NOT EXISTS '%s' AFTER '%s' (its own migration; before PostgreSQL 12 outside a transaction, atomic = False).", quoteIdent(typ), r.To, r.From),
			fmt.Sprintf("2. Ship code that writes '%s' and reads both labels; then UPDATE the rows from '%s' to '%s' in batches.", r.To, r.From, r.To),
			fmt.Sprintf("3. Once no code writes '%s', leave it unused (PostgreSQL cannot drop an enum label) or move the column to a new type. A lookup table or a CharField with choices avoids this altogether.", r.From),
			approveHint("rename-enum-value", "no running code uses the old label; reviewed by ..."),
		}, "\n"))
}
