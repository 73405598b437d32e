package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// BackfillInDDLTx: a data change (RunPython, or UPDATE / DELETE / INSERT ... SELECT) that runs
// while the transaction already holds a lock that blocks writes or reads on an existing table,
// taken by earlier DDL of the same migration (or of the same multi-statement string): the lock
// stays held for the whole backfill. Django's own UPDATE of AlterField's default backfill is
// not-null-with-default-update's. A backfill before the DDL is not reported: the DDL's lock then
// comes last, and is held only until the commit that follows.
var BackfillInDDLTx = analysis.Rule{
	Name:      "backfill-in-ddl-tx",
	Severity:  analysis.Unsafe,
	Summary:   "A backfill in the same transaction as DDL holds the DDL's lock for the whole backfill",
	Migration: backfillInDDLTx,
}

func backfillInDDLTx(p *analysis.Pass) {
	// RunPython: the locks held when it starts are those after the last statement before it.
	if p.Migration.Atomic {
		for i, op := range p.Ops {
			if !runsPython(op) {
				continue
			}
			held := heldAfterOps(p, p.Ops[:i])
			if table, mode := strongestHeld(p, held); mode.BlocksWrites() {
				by := lockTaker(p, table, nil)
				p.Report(op, "",
					fmt.Sprintf("RunPython %s runs inside the migration's transaction, which already holds %s on %s (taken by %s): that lock stays held for as long as the Python runs, so %s until the migration commits.",
						pythonWhere(op), mode, table, by, blocked(mode, table)),
					backfillFix())
			}
		}
	}
	for _, st := range p.Stmts {
		if !isBackfill(st) || !st.InTransaction || isDjangoOp(st.Op, "AlterField") {
			continue
		}
		table, mode := strongestHeld(p, st.Held)
		if !mode.BlocksWrites() {
			continue
		}
		p.ReportStmt(st,
			fmt.Sprintf("This %s runs in a transaction that already holds %s on %s (taken by %s): that lock stays held for the whole %s, so %s until the transaction commits.",
				st.Info().Tag, mode, table, lockTaker(p, table, st), strings.ToLower(st.Info().Tag), blocked(mode, table)),
			backfillFix())
	}
}

// isBackfill reports a statement that changes existing data in bulk.
func isBackfill(st *analysis.Stmt) bool {
	switch s := st.Statement.(type) {
	case *sqlparse.Update, *sqlparse.Delete:
		return true
	case *sqlparse.Insert:
		return s.FromSelect
	}
	return false
}

// heldAfterOps returns the locks an atomic migration's transaction holds once ops have run
// (their statements that are not deferred).
func heldAfterOps(p *analysis.Pass, ops []*plan.Operation) map[string]analysis.LockMode {
	in := map[*plan.Operation]bool{}
	for _, op := range ops {
		in[op] = true
	}
	var last *analysis.Stmt
	for _, st := range p.Stmts {
		if !st.Deferred && in[st.Op] {
			last = st
		}
	}
	held := map[string]analysis.LockMode{}
	if last == nil {
		return held
	}
	if tx, ok := last.Statement.(*sqlparse.Transaction); ok && (tx.Action == "COMMIT" || tx.Action == "ROLLBACK") {
		return held
	}
	for t, m := range last.Held {
		held[t] = m
	}
	if last.InTransaction {
		for _, e := range last.Effects {
			if e.Mode > held[e.Table] {
				held[e.Table] = e.Mode
			}
		}
	}
	return held
}

// strongestHeld returns the strongest lock held on a table that existed before this release.
func strongestHeld(p *analysis.Pass, held map[string]analysis.LockMode) (string, analysis.LockMode) {
	tables := make([]string, 0, len(held))
	for t := range held {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	best, mode := "", analysis.NoLock
	for _, t := range tables {
		if !p.Created(t) && held[t] > mode {
			best, mode = t, held[t]
		}
	}
	return best, mode
}

// lockTaker names the operation whose statement first took the strongest lock on table, before
// statement until (nil: any).
func lockTaker(p *analysis.Pass, table string, until *analysis.Stmt) string {
	var best *analysis.Stmt
	var mode analysis.LockMode
	for _, st := range p.Stmts {
		if st == until {
			break
		}
		for _, e := range st.Effects {
			if e.Table == table && e.Mode > mode {
				best, mode = st, e.Mode
			}
		}
	}
	if best == nil {
		return "an earlier statement"
	}
	return fmt.Sprintf("%s at line %d: %s", best.Op.Class, best.Op.Line, best.Info().Tag)
}

// blocked says what waits behind a lock.
func blocked(mode analysis.LockMode, table string) string {
	if mode.BlocksReads() {
		return "every query on " + table + ", reads included, waits"
	}
	return "every INSERT, UPDATE and DELETE on " + table + " waits"
}

func backfillFix() string {
	return strings.Join([]string{
		"Keep schema changes and data changes in separate transactions:",
		"1. The DDL in its own migration (it commits, releasing its lock at once).",
		"2. The backfill in a later migration — better, after the deploy, as a management command — working in batches by primary-key range (1,000–10,000 rows per transaction, a pause between batches), so no lock is held for long.",
	}, "\n")
}
