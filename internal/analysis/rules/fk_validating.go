package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// FKValidating: a foreign key added without NOT VALID to an existing table (ADD CONSTRAINT, or an
// inline REFERENCES on ADD COLUMN) locks both tables against writes and scans the referencing one.
var FKValidating = analysis.Rule{
	Name:      "fk-validating",
	Severity:  analysis.Unsafe,
	Summary:   "A FOREIGN KEY added without NOT VALID to an existing table blocks writes to both tables while it scans the referencing one",
	Statement: fkValidating,
}

func fkValidating(p *analysis.Pass, st *analysis.Stmt) {
	at, table, ok := alterOfExisting(p, st)
	if !ok {
		return
	}
	for _, c := range at.Cmds {
		switch c.Action {
		case sqlparse.AddConstraint:
			k := c.Constraint
			if k == nil || k.Kind != sqlparse.ForeignKey || k.NotValid || k.References == nil {
				continue
			}
			parent := analysis.TableName(k.References.Table)
			p.ReportStmt(st,
				fmt.Sprintf("ADD CONSTRAINT %s FOREIGN KEY on %s checks every existing row of %s against %s while holding SHARE ROW EXCLUSIVE locks on both tables: every INSERT, UPDATE and DELETE on %s and on %s waits for the whole scan%s.",
					columnsName(k.Name), table, table, parent, table, parent, columnsUntilBoth(st)),
				columnsFKFix(table, parent, k.Name, k.Columns, k.References.Columns, false))
		case sqlparse.AddColumn:
			d := c.Def
			if d == nil || d.References == nil {
				continue
			}
			name, notValid := "", false
			for _, k := range d.Constraints {
				if k.Kind == sqlparse.ForeignKey {
					name, notValid = k.Name, k.NotValid
				}
			}
			if notValid {
				continue
			}
			parent := analysis.TableName(d.References.Table)
			when := ""
			if st.InTransaction {
				when = " The transaction keeps both locks until the migration commits"
				if st.Op != nil {
					for _, s := range st.Op.SQL {
						if s.Deferred {
							when += ", through Django's deferred index build"
							break
						}
					}
				}
				when += "."
			}
			p.ReportStmt(st,
				fmt.Sprintf("ADD COLUMN %s ... REFERENCES %s takes an ACCESS EXCLUSIVE lock on %s (no reads or writes) and a SHARE ROW EXCLUSIVE lock on %s (no writes), and validates the new foreign key by reading every row of %s — although the new column is all NULL, PostgreSQL still scans the table.%s",
					d.Name, parent, table, parent, table, when),
				columnsFKFix(table, parent, name, []string{d.Name}, d.References.Columns, true))
		}
	}
}

// columnsFKFix is the two-step recipe for a foreign key.
func columnsFKFix(table, parent, name string, columns, parentColumns []string, field bool) string {
	if name == "" {
		name = table + "_fk"
	}
	quote := func(cs []string) string {
		q := make([]string, len(cs))
		for i, c := range cs {
			q[i] = quoteIdent(c)
		}
		return strings.Join(q, ", ")
	}
	target := quoteIdent(parent)
	if len(parentColumns) > 0 {
		target += " (" + quote(parentColumns) + ")"
	}
	var steps []string
	if field {
		steps = append(steps, "Django: add the field with db_constraint=False (no constraint, no lock on "+parent+", no scan), build its index with AddIndexConcurrently (atomic = False), then add the constraint in two steps:")
	} else {
		steps = append(steps, "Add the constraint in two steps:")
	}
	steps = append(steps,
		fmt.Sprintf("1. RunSQL: ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s DEFERRABLE INITIALLY DEFERRED NOT VALID; (brief lock, no scan; new rows are checked)",
			quoteIdent(table), quoteIdent(name), quote(columns), target),
		fmt.Sprintf("2. In the next migration (its own transaction): ValidateConstraint(model_name, %q) from django.contrib.postgres.operations (Django ≥ 4.0), or RunSQL ALTER TABLE %s VALIDATE CONSTRAINT %s; — SHARE UPDATE EXCLUSIVE on %s and ROW SHARE on %s: reads and writes continue.",
			name, quoteIdent(table), quoteIdent(name), table, parent),
	)
	if field {
		steps = append(steps, "3. Record db_constraint=True in the model state only: SeparateDatabaseAndState(state_operations=[AlterField(...)]). Or keep db_constraint=False for good.")
	}
	return strings.Join(steps, "\n")
}

// columnsName shows a constraint name, or says it has none.
func columnsName(name string) string {
	if name == "" {
		return "(unnamed)"
	}
	return name
}

// columnsUntilBoth says how long the locks of a foreign key are held.
func columnsUntilBoth(st *analysis.Stmt) string {
	if st.InTransaction {
		return ", and the transaction keeps both locks until the migration commits"
	}
	return ""
}
