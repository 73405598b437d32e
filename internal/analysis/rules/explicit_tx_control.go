package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// ExplicitTxControl: BEGIN, COMMIT, ROLLBACK, PREPARE TRANSACTION and savepoints written in a
// migration's SQL, where the migration runner owns the transaction.
//
// In an atomic migration (Django's, or a SQL file run in one transaction) COMMIT and ROLLBACK end
// the runner's transaction midway — the first half commits on its own, or is silently undone while
// the migration is recorded as applied. A BEGIN there is ignored with a warning and reported only
// through the COMMIT or ROLLBACK that follows it (one finding per pair). In a non-atomic migration a BEGIN...COMMIT pair is legitimate; a BEGIN never
// committed leaves everything after it uncommitted (the session's end rolls it back: "applied" but
// nothing applied), and SAVEPOINT / RELEASE / ROLLBACK TO outside a transaction block fail.
// PREPARE TRANSACTION is always reported: it leaves a prepared transaction holding its locks.
var ExplicitTxControl = analysis.Rule{
	Name:         "explicit-tx-control",
	Severity:     analysis.Unsafe,
	WhileRunning: true,
	Summary:      "BEGIN/COMMIT/ROLLBACK/PREPARE TRANSACTION in migration SQL fight the runner's transaction",
	Migration:    explicitTxControl,
}

func explicitTxControl(p *analysis.Pass) {
	var open *analysis.Stmt // an explicit BEGIN of a non-atomic migration, not yet ended
	ignoredBegin := ""      // set after a BEGIN in an atomic migration
	for _, st := range p.Stmts {
		tx, ok := st.Statement.(*sqlparse.Transaction)
		if !ok {
			continue
		}
		switch tx.Action {
		case "PREPARE TRANSACTION", "COMMIT PREPARED", "ROLLBACK PREPARED":
			p.ReportStmt(st,
				fmt.Sprintf("%s is two-phase commit: a prepared transaction outlives the session and keeps every lock it holds until someone commits or rolls it back by hand — the tables it touched stay blocked.", tx.Action),
				txFix(p))
			open = nil // PREPARE TRANSACTION ends the session's transaction
			continue
		}
		if p.Migration.Atomic {
			// A BEGIN here is only ignored with a warning (a transaction is already open): the harm
			// is done by the COMMIT or ROLLBACK that usually follows, reported once, there.
			var msg string
			switch tx.Action {
			case "BEGIN":
				ignoredBegin = " (the BEGIN before it was ignored: a transaction was already open)"
				continue
			case "COMMIT":
				msg = "COMMIT inside an atomic migration commits the migration's own transaction midway" + ignoredBegin + ": " +
					"what ran before it stays applied even if a later statement fails, and the retry then fails on it; the statements after it run in a new transaction."
				ignoredBegin = ""
			case "ROLLBACK":
				msg = "ROLLBACK inside an atomic migration silently undoes everything the migration did before it" + ignoredBegin + ", " +
					"and Django still records the migration as applied."
				ignoredBegin = ""
			default:
				continue // BEGIN alone, and savepoints, inside the migration's transaction do no harm
			}
			p.ReportStmt(st, msg, txFix(p))
			continue
		}
		switch tx.Action {
		case "BEGIN":
			if open != nil {
				p.ReportStmt(st, "BEGIN while the transaction opened by "+lockShort(open.Info().Text)+" is still open: PostgreSQL ignores it with a warning, so the transactions do not nest as written.", txFix(p))
				continue
			}
			open = st
		case "COMMIT", "ROLLBACK":
			open = nil
		case "SAVEPOINT", "RELEASE", "ROLLBACK TO":
			if open == nil {
				p.ReportStmt(st,
					fmt.Sprintf("%s outside a transaction block fails (\"%s can only be used in transaction blocks\"): this migration has `atomic = False` and no BEGIN is open here.", tx.Action, strings.Fields(tx.Action)[0]),
					txFix(p))
			}
		}
	}
	if open != nil {
		p.ReportStmt(open,
			"This BEGIN is never committed in the migration: everything after it, Django's record of the migration included, stays in an open transaction that is rolled back when the session ends — "+
				"the migration looks applied and nothing is.",
			txFix(p))
	}
}

func txFix(p *analysis.Pass) string {
	if len(p.Ops) > 0 && p.Ops[0].Class == "SQL" {
		return "Remove the transaction statements and let the migration tool run the file in its transaction; for a statement that must run outside one, mark the file `-- zdcd:no-transaction` (goose: `-- +goose NO TRANSACTION`) and keep that statement alone in it."
	}
	return strings.Join([]string{
		"Remove BEGIN/COMMIT/ROLLBACK from the SQL: Django owns the transaction. An atomic migration (the default) runs all its operations in one transaction already.",
		"If part of it must run outside a transaction (CONCURRENTLY), move that part to its own migration with `atomic = False`; to group statements inside a non-atomic migration, put them in one RunSQL string (one implicit transaction) or an atomic migration of their own.",
	}, "\n")
}
