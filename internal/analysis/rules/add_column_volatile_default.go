package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// AddColumnVolatileDefault: ADD COLUMN with a volatile default (or, before PostgreSQL 11, any
// default) rewrites the table under ACCESS EXCLUSIVE. Also Django's callable default, evaluated
// once in Python: no rewrite, but every existing row gets the same value.
var AddColumnVolatileDefault = analysis.Rule{
	Name:         "add-column-volatile-default",
	Severity:     analysis.Unsafe,
	WhileRunning: true,
	Summary:      "ADD COLUMN with a volatile default (any default before PostgreSQL 11) rewrites the table under ACCESS EXCLUSIVE; a Django callable default gives every existing row the same value",
	Statement:    addColumnVolatileDefault,
}

func addColumnVolatileDefault(p *analysis.Pass, st *analysis.Stmt) {
	at, table, ok := alterOfExisting(p, st)
	if !ok {
		return
	}
	for _, c := range at.Cmds {
		d := c.Def
		if c.Action != sqlparse.AddColumn || d == nil || d.Default == nil || d.Serial() || d.Identity != "" || d.Generated {
			continue // no default, or a generated value: add-column-rewrite-generated's
		}
		col := table + "." + d.Name
		rewrite := fmt.Sprintf("PostgreSQL rewrites %s and rebuilds all its indexes under an ACCESS EXCLUSIVE lock: every read and write of %s waits for the whole rewrite, which takes time proportional to the table's size%s.",
			table, table, columnsUntil(st))
		switch {
		case !analysis.NonVolatile(d.Default):
			what := "a volatile expression"
			if len(d.Default.Funcs) > 0 {
				what = "a call to " + strings.Join(d.Default.Funcs, "(), ") + "()"
			}
			p.ReportStmt(st,
				fmt.Sprintf("Adding %s with a DEFAULT of %s (evaluated for every row, so PostgreSQL cannot store it once as metadata): %s", col, what, rewrite),
				strings.Join([]string{
					"Add the column without the default, give new rows the default separately, and fill existing rows in batches:",
					fmt.Sprintf("1. ALTER TABLE %s ADD COLUMN %s %s NULL; (metadata only)", quoteIdent(table), quoteIdent(d.Name), columnsTypeName(d.Type)),
					fmt.Sprintf("2. ALTER TABLE %s ALTER COLUMN %s SET DEFAULT <expression>; (new rows only, no rewrite)", quoteIdent(table), quoteIdent(d.Name)),
					"3. Backfill existing rows in batches of 1,000–10,000 by primary key range, in a separate migration with `atomic = False` (RunPython or RunSQL per batch) or a management command.",
					"4. If the column must be NOT NULL: ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID, ValidateConstraint in a later migration, then SET NOT NULL (see set-not-null-scan).",
					"Django: AddField(null=True) without db_default, then RunSQL for the SET DEFAULT inside SeparateDatabaseAndState if the model declares db_default.",
				}, "\n"))
		case !p.AtLeast(analysis.PG11):
			version := fmt.Sprintf("On PostgreSQL %d (older than 11),", p.ServerVersion/10000)
			if p.ServerVersion == 0 {
				version = "zdcd does not know the server version, so it assumes PostgreSQL 10 or older, where"
			}
			p.ReportStmt(st,
				fmt.Sprintf("%s ADD COLUMN with any non-null DEFAULT writes the default into every row, so adding %s this way rewrites the table: %s", version, col, rewrite),
				strings.Join([]string{
					"Upgrade to PostgreSQL 11 or later, where a constant default is stored once as metadata (no rewrite); or",
					fmt.Sprintf("add the column without a default (ALTER TABLE %s ADD COLUMN %s %s NULL), then SET DEFAULT for new rows, then backfill existing rows in batches from a migration with `atomic = False`.",
						quoteIdent(table), quoteIdent(d.Name), columnsTypeName(d.Type)),
					"Django: AddField(null=True) with no default, a batched RunPython backfill, and the default added afterwards.",
				}, "\n"))
		default:
			if f := columnsCallableDefault(st, d.Name); f != nil {
				unique := ""
				if f.Unique || f.PrimaryKey {
					unique = fmt.Sprintf(" The field is unique, so the migration fails as soon as %s has two rows.", table)
				}
				p.ReportStmt(st,
					fmt.Sprintf("Django evaluates the callable default %s once, in Python, and sends the result as a constant: there is no rewrite, but every existing row of %s gets the same %s value, not one of its own.%s",
						f.Default.Repr, table, d.Name, unique),
					strings.Join([]string{
						"Give every existing row its own value:",
						fmt.Sprintf("1. AddField %s with null=True and no default (metadata only).", f.Name),
						fmt.Sprintf("2. Backfill in a separate migration with `atomic = False`: RunPython that calls %s() for each row, in batches of 1,000–10,000 by primary key.", f.Default.Repr),
						"3. Then, in a later migration, set default= on the field (new rows) and make it NOT NULL (CHECK ... NOT VALID + ValidateConstraint, then AlterField) and unique (AddIndexConcurrently of a unique index) as needed.",
					}, "\n"))
			}
		}
	}
}

// columnsCallableDefault returns the Django field added by st's AddField when its default is a
// callable whose single value shared by every existing row is likely wrong (uuid4, a token
// generator, a counter...), or when the field is unique (duplicates fail). Callables whose shared
// value is what the developer means (timezone.now, dict, list...) are not reported.
func columnsCallableDefault(st *analysis.Stmt, column string) *plan.Field {
	if st.Op == nil || st.Op.Class != "AddField" {
		return nil
	}
	_, f := columnsField(st, column)
	if f == nil || f.Default == nil || !f.Default.Callable || f.DBDefault != nil {
		return nil
	}
	if f.Unique || f.PrimaryKey {
		return f
	}
	repr := f.Default.Repr
	switch repr {
	case "builtins.dict", "builtins.list", "builtins.set", "builtins.tuple", "builtins.frozenset",
		"builtins.str", "builtins.int", "builtins.float", "builtins.bool", "builtins.bytes",
		"dict", "list", "set", "tuple", "str", "int", "float", "bool":
		return nil // an empty value: the same for every row is right
	}
	for _, suffix := range []string{".now", ".utcnow", ".today", ".localtime", ".localdate"} {
		if strings.HasSuffix(repr, suffix) {
			return nil // the migration's time for old rows is the usual intent
		}
	}
	return f
}
