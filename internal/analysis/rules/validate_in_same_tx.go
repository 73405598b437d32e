package rules

import (
	"fmt"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// ValidateInSameTx: VALIDATE CONSTRAINT in the same transaction as the ADD CONSTRAINT ... NOT VALID
// it validates scans while the ADD's lock is still held, so the two-step pattern gains nothing.
var ValidateInSameTx = analysis.Rule{
	Name:         "validate-in-same-tx",
	Severity:     analysis.Unsafe,
	WhileRunning: true,
	Summary:      "VALIDATE CONSTRAINT in the transaction that added the constraint NOT VALID scans under the ADD's lock",
	Statement:    validateInSameTx,
}

func validateInSameTx(p *analysis.Pass, st *analysis.Stmt) {
	at, table, ok := alterOfExisting(p, st)
	if !ok {
		return
	}
	for k, c := range at.Cmds {
		if c.Action != sqlparse.ValidateConstraint || c.Name == "" {
			continue
		}
		added := columnsAddedNotValid(p, st, k, table, c.Name)
		if added == nil {
			continue
		}
		lock, blocks := "an ACCESS EXCLUSIVE", "every read and write"
		others := ""
		if added.Kind == sqlparse.ForeignKey {
			lock, blocks = "a SHARE ROW EXCLUSIVE", "every INSERT, UPDATE and DELETE"
			if added.References != nil {
				others = " and on " + analysis.TableName(added.References.Table)
			}
		}
		p.ReportStmt(st,
			fmt.Sprintf("VALIDATE CONSTRAINT %s runs in the same transaction as the ADD CONSTRAINT %s ... NOT VALID before it, which took %s lock on %s%s that the transaction still holds: %s waits for the whole validation scan and until the transaction ends, exactly as if the constraint had been added without NOT VALID.",
				c.Name, c.Name, lock, table, others, blocks),
			fmt.Sprintf("Validate in a transaction of its own: move ValidateConstraint(model_name, %q) (or the RunSQL `ALTER TABLE %s VALIDATE CONSTRAINT %s`) to the next migration, or set `atomic = False` on this migration so that each operation commits on its own. The validation then takes only SHARE UPDATE EXCLUSIVE, and reads and writes continue.",
				c.Name, quoteIdent(table), quoteIdent(c.Name)))
	}
}

// columnsAddedNotValid returns the constraint name added NOT VALID on table earlier in st's
// transaction (or in a command of st itself, before command k), nil when there is none.
func columnsAddedNotValid(p *analysis.Pass, st *analysis.Stmt, k int, table, name string) *sqlparse.Constraint {
	find := func(at *sqlparse.AlterTable, cmds []sqlparse.AlterCmd) *sqlparse.Constraint {
		if analysis.TableName(at.Table) != table {
			return nil
		}
		for _, c := range cmds {
			if c.Action == sqlparse.AddConstraint && c.Constraint != nil && c.Constraint.NotValid && c.Constraint.Name == name {
				return c.Constraint
			}
		}
		return nil
	}
	at := st.Statement.(*sqlparse.AlterTable)
	if con := find(at, at.Cmds[:k]); con != nil {
		return con // one statement is one transaction
	}
	i := columnsIndex(p, st)
	if i < 0 || !st.InTransaction {
		return nil
	}
	for j := columnsTxStart(p, i); j < i; j++ {
		if prev, ok := p.Stmts[j].Statement.(*sqlparse.AlterTable); ok {
			if con := find(prev, prev.Cmds); con != nil {
				return con
			}
		}
	}
	return nil
}
