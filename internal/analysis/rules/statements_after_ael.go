package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// StatementsAfterAEL: once a transaction holds an ACCESS EXCLUSIVE lock on an existing table,
// everything after it in the transaction extends the time that table is blocked for reads and
// writes. Django runs a migration in one transaction, so an instant ALTER followed by a long
// statement blocks the altered table for the long statement's whole duration.
//
// To stay quiet on what is instant, only statements whose duration grows with a table, or that
// zdcd cannot bound, count: index builds, statements that rewrite or scan an existing table, and
// opaque statements (SELECT, DO, CALL, COPY, CREATE TABLE AS ...). Metadata-only DDL (Django's ADD
// COLUMN ... DEFAULT then DROP DEFAULT, SET CONSTRAINTS ... IMMEDIATE, more instant ALTERs) does
// not. Long work the more specific rules already tie to the lock is left to them: an index build
// on the locked table itself (index-build-in-locked-tx), a statement that takes the ACCESS
// EXCLUSIVE lock itself, VALIDATE of a constraint added NOT VALID in the same transaction
// (validate-in-same-tx), and UPDATE / DELETE / INSERT and RunPython (backfill-in-ddl-tx).
// One finding per transaction.
var StatementsAfterAEL = analysis.Rule{
	Name:         "statements-after-ael",
	Severity:     analysis.Unsafe,
	WhileRunning: true,
	Summary:      "long statements after an ACCESS EXCLUSIVE lock in the same transaction keep the table blocked for their whole duration",
	Migration:    statementsAfterAEL,
}

func statementsAfterAEL(p *analysis.Pass) {
	type hit struct {
		st     *analysis.Stmt
		what   string
		table  string // the locked table
		source *analysis.Stmt
	}
	ids := lockTxIDs(p)
	var txs []int
	hits := map[int][]hit{}
	for i, st := range p.Stmts {
		var locked []string
		for table, mode := range st.Held {
			if mode == analysis.AccessExclusive && !p.Created(table) {
				locked = append(locked, table)
			}
		}
		sort.Strings(locked)
		for _, table := range locked {
			what := longStatement(p, ids, i, st, table)
			if what == "" {
				continue
			}
			if _, ok := hits[ids[i]]; !ok {
				txs = append(txs, ids[i])
			}
			hits[ids[i]] = append(hits[ids[i]], hit{st: st, what: what, table: table, source: lockFirstSource(p, ids, i, table)})
			break
		}
	}
	for _, tx := range txs {
		h := hits[tx]
		h0 := h[0]
		more := ""
		switch n := len(h) - 1; {
		case n == 1:
			more = " One more long statement follows it in the same transaction, under the same lock."
		case n > 1:
			more = fmt.Sprintf(" %d more long statements follow it in the same transaction, under the same lock.", n)
		}
		until := "until the migration commits"
		if !p.Migration.Atomic {
			until = "until the transaction ends"
		}
		taken := ""
		if h0.source != nil {
			taken = fmt.Sprintf(" taken by %s (%s)", lockShort(h0.source.Info().Text), lockWhere(h0.source))
		}
		label := lockTableLabel(h0.source, h0.table)
		p.ReportStmt(h0.st,
			fmt.Sprintf("This statement %s while the transaction still holds the ACCESS EXCLUSIVE lock on %s%s: "+
				"every query on %s, reads included, stays blocked for the whole of it, %s.%s",
				h0.what, label, taken, label, until, more),
			strings.Join([]string{
				"Keep each ACCESS EXCLUSIVE lock to an instant: one change per migration, and nothing slow after it in the same transaction.",
				"Move the long statement to its own migration (an index: AddIndexConcurrently in a migration with `atomic = False`), or run it before the statement that takes the lock, so the lock is taken last, just before the commit.",
				"Several ALTERs of one table can be combined into one ALTER TABLE statement with comma-separated actions.",
			}, "\n"))
	}
}

// longStatement says what makes st long ("builds index i on t", "scans t", "runs a DO block
// zdcd cannot see into"), "" when it is instant or its long part is another rule's (see the rule's
// comment). locked is a table the transaction holds ACCESS EXCLUSIVE.
func longStatement(p *analysis.Pass, ids []int, i int, st *analysis.Stmt, locked string) string {
	switch s := st.Statement.(type) {
	case *sqlparse.Update, *sqlparse.Delete, *sqlparse.Insert:
		return "" // backfill-in-ddl-tx
	case *sqlparse.Truncate:
		return "" // swaps in empty files: quick, whatever the size
	case *sqlparse.CreateIndex:
		table := analysis.TableName(s.Table)
		if table == locked || p.Created(table) {
			return ""
		}
		return fmt.Sprintf("builds index %s on %s, reading every row,", s.Name, table)
	case *sqlparse.Other:
		if lockInstantTags[s.Tag] {
			return ""
		}
		return fmt.Sprintf("runs a %s statement, whose duration zdcd cannot bound,", s.Tag)
	case *sqlparse.AlterTable:
		if analysis.TableName(s.Table) == locked && validatesOwnNotValid(p, ids, i, s) {
			return "" // validate-in-same-tx
		}
	}
	for _, e := range st.Effects {
		if !(e.Rewrite || e.Scan) || p.Created(e.Table) {
			continue
		}
		if e.Table == locked && (e.Mode == analysis.AccessExclusive || e.Mode == analysis.Share) {
			continue // blocks the locked table by itself; its own rule reports it
		}
		if e.Rewrite {
			return "rewrites " + e.Table + ","
		}
		return "reads all of " + e.Table + ","
	}
	return ""
}

// validatesOwnNotValid reports an ALTER TABLE whose long parts are all VALIDATE CONSTRAINT of
// constraints added NOT VALID earlier in the same transaction.
func validatesOwnNotValid(p *analysis.Pass, ids []int, i int, at *sqlparse.AlterTable) bool {
	table := analysis.TableName(at.Table)
	validates := false
	for _, c := range at.Cmds {
		if c.Action != sqlparse.ValidateConstraint {
			continue
		}
		validates = true
		added := false
		for k := i - 1; k >= 0 && ids[k] == ids[i]; k-- {
			prev, ok := p.Stmts[k].Statement.(*sqlparse.AlterTable)
			if !ok || analysis.TableName(prev.Table) != table {
				continue
			}
			for _, pc := range prev.Cmds {
				if pc.Action == sqlparse.AddConstraint && pc.Constraint != nil && pc.Constraint.NotValid && pc.Constraint.Name == c.Name {
					added = true
				}
			}
		}
		if !added {
			return false
		}
	}
	return validates
}

// lockInstantTags are statements (kept as sqlparse.Other) that only change the catalog.
var lockInstantTags = map[string]bool{
	"COMMENT": true, "GRANT": true, "REVOKE": true, "CREATE FUNCTION": true, "ALTER FUNCTION": true,
	"CREATE VIEW": true, "CREATE SEQUENCE": true, "ALTER SEQUENCE": true, "CREATE SCHEMA": true, "CREATE TYPE": true,
	"CREATE": true, "CREATE POLICY": true, "CREATE STATISTICS": true, "CREATE RULE": true, "ALTER OWNER": true,
	"ALTER SET SCHEMA": true, "SET CONSTRAINTS": true, "SHOW": true, "NOTIFY": true, "DISCARD": true,
	"CREATE EXTENSION": true, "ALTER DATABASE": true,
}
