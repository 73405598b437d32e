// Package analysis judges a plan. Every pending operation goes to the operation rules (Django
// semantics: what the old code, still serving, sees); every SQL statement, parsed by the real
// PostgreSQL parser, goes to the statement rules (PostgreSQL semantics: which lock, for how long,
// rewrite or scan), with its context: the server version, whether it runs in a transaction, which
// locks that transaction already holds, and which tables this release created. Rules are pure
// functions of a Pass. The analyser fails closed: SQL that does not parse, SQL that could not be
// rendered, or a rule that panics makes the migration unsafe with an explicit finding.
package analysis

import (
	"fmt"
	"sort"

	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// Rule is one check. Its Name is public API: users type it in approvals, and docs/rules/<Name>.md
// explains it. A rule sets one or more of the hooks.
type Rule struct {
	Name     string
	Severity Severity
	// Summary is one line for listings (`zdcd-release explain`).
	Summary string
	// OptIn rules run only when Context.Enabled names them (ZDCD_ENABLE_RULES): house-style
	// checks that would be noise for most projects.
	OptIn bool
	// WhileRunning marks a rule whose hazard lies only in how the migration runs (a lock held, a
	// rewrite or scan under it, a statement that cannot be retried): once the migration is
	// applied, the schema it leaves is no harder on the old code than before. The schema-ahead
	// judgement (an older release deployed on a database that has the migration) ignores such
	// findings; every other unsafe finding, and an unknown rule, counts (fail closed).
	WhileRunning bool
	// Operation is called for every operation that runs against the database, in order: nested
	// database operations of SeparateDatabaseAndState included, their state operations not.
	Operation func(p *Pass, op *plan.Operation)
	// Statement is called for every SQL statement, in the order the database runs them
	// (statements Django defers run after the migration's operations).
	Statement func(p *Pass, st *Stmt)
	// Migration is called once per migration, after its operations and statements.
	Migration func(p *Pass)
}

// Context is what the rules know beyond the plan.
type Context struct {
	// ServerVersion is server_version_num of the target database (0 when unknown: rules then assume
	// the oldest supported version, so nothing is assumed cheap).
	ServerVersion int
	// Nightly is NIGHTLY_BUILD=true: a maintenance window where every migration is approved.
	Nightly bool
	// Initial is true when the database has no applied migration at all: the first deploy, with
	// no release of the app serving from this database, so no old code to break.
	Initial bool
	// Catalog answers questions about the live schema; nil without a database (lint).
	Catalog Catalog
	// Allow are the ZDCD_ALLOW approvals.
	Allow []Allow
	// KnownRule tells whether a rule name exists, to reject exemptions naming unknown rules.
	KnownRule func(name string) bool
	// Applied are the migrations the database has applied (none in lint).
	Applied []plan.MigrationKey
	// Enabled names the opt-in rules to run.
	Enabled map[string]bool
}

// Pass is a rule's view of one migration.
type Pass struct {
	Context
	Migration *plan.Migration
	// Ops are the migration's operations that run against the database, in order.
	Ops []*plan.Operation
	// Stmts are the migration's statements, in the order they run; complete only in Migration hooks.
	Stmts []*Stmt

	created  map[string]bool
	rule     *Rule
	findings *[]Finding
}

// Created reports whether table was created earlier in this release (by an earlier migration, or
// earlier in this one): it is empty and the old code never reads it, so most hazards vanish.
func (p *Pass) Created(table string) bool { return p.created[table] }

// AtLeast reports whether the server is at least version (server_version_num).
func (p *Pass) AtLeast(version int) bool { return p.ServerVersion >= version }

// Report records a finding of the running rule about an operation as a whole.
func (p *Pass) Report(op *plan.Operation, statement, message, fix string) {
	p.report(op, statement, message, fix, opComments(op))
}

// ReportStmt records a finding of the running rule about one statement.
func (p *Pass) ReportStmt(st *Stmt, message, fix string) {
	p.report(st.Op, st.Info().Text, message, fix, st.Comments)
}

func (p *Pass) report(op *plan.Operation, statement, message, fix string, comments []sqlparse.Comment) {
	f := Finding{
		Rule:      p.rule.Name,
		Severity:  p.rule.Severity,
		Operation: op.Class,
		Line:      op.Line,
		Statement: statement,
		Message:   message,
		Fix:       fix,
	}
	if f.Severity == Unsafe {
		f.Approval = sqlCommentApproval(f.Rule, comments)
	}
	*p.findings = append(*p.findings, f)
}

// Names of the findings the analyser itself reports when it cannot judge.
const (
	RuleCrashed    = "rule-crashed"
	SQLNotRendered = "sql-not-rendered"
	SQLUnparseable = "sql-unparseable"
)

// Analyze runs rules over every pending migration of pl, in order.
func Analyze(pl *plan.Plan, ctx Context, rules []Rule) *Result {
	res := &Result{Safe: true, Nightly: ctx.Nightly, Initial: ctx.Initial, ServerVersion: ctx.ServerVersion, Migrations: []MigrationResult{}}
	created := map[string]bool{}
	parsed := parseAll(pl)
	active := rules[:0:0]
	for _, r := range rules {
		if !r.OptIn || ctx.Enabled[r.Name] {
			active = append(active, r)
		}
	}
	rules = active
	for i := range pl.Migrations {
		m := &pl.Migrations[i]
		findings := []Finding{}
		p := &Pass{Context: ctx, Migration: m, Ops: flatten(m.Operations), created: created, findings: &findings}
		analyseMigration(p, rules, parsed)
		sortFindings(findings)
		mr := MigrationResult{Migration: *m, Safe: !hasUnsafe(findings), Findings: findings}
		if !mr.Safe {
			res.Safe = false
		}
		res.Migrations = append(res.Migrations, mr)
	}
	return res
}

func analyseMigration(p *Pass, rules []Rule, parsed map[string]parseResult) {
	w := &walker{p: p, rules: rules, held: map[string]LockMode{}, parsed: parsed}
	var deferred []deferredSQL
	for _, op := range p.Ops {
		if op.SQLError != "" {
			*p.findings = append(*p.findings, Finding{
				Rule: SQLNotRendered, Severity: Unsafe, Operation: op.Class, Line: op.Line,
				Message: "zdcd could not render the SQL of this operation, so it cannot judge it: " + op.SQLError,
				Fix:     "Run `python manage.py sqlmigrate " + p.Migration.App + " " + p.Migration.Name + "` to see the error; if rendering needs an earlier pending migration applied, ship that migration in its own release first.",
			})
		}
		checkSQLExemptions(p, op, opComments(op))
		for r := range rules {
			if rules[r].Operation != nil {
				run(p, &rules[r], op.Class, op.Line, func() { rules[r].Operation(p, op) })
			}
		}
		for _, s := range op.SQL {
			if s.Deferred {
				deferred = append(deferred, deferredSQL{op, s.SQL})
				continue
			}
			w.send(op, s.SQL, false)
		}
	}
	for _, d := range deferred {
		w.send(d.op, d.sql, true)
	}
	for r := range rules {
		if rules[r].Migration != nil {
			run(p, &rules[r], "", 0, func() { rules[r].Migration(p) })
		}
	}
	*p.findings = approve(p, *p.findings)
}

type deferredSQL struct {
	op  *plan.Operation
	sql string
}

// walker follows the statements of one migration as the database runs them.
type walker struct {
	p     *Pass
	rules []Rule
	// held are the locks the current transaction holds.
	held map[string]LockMode
	// parsed holds every string of the plan, parsed ahead.
	parsed map[string]parseResult
}

// send processes one string Django sends to the database.
func (w *walker) send(op *plan.Operation, sql string, deferred bool) {
	p := w.p
	pr, ok := w.parsed[sql]
	if !ok {
		pr.script, pr.err = sqlparse.Parse(sql)
	}
	script, err := pr.script, pr.err
	if err != nil {
		*p.findings = append(*p.findings, Finding{
			Rule: SQLUnparseable, Severity: Unsafe, Operation: op.Class, Line: op.Line, Statement: sql,
			Message: "PostgreSQL's parser rejects this SQL (" + err.Error() + "), so zdcd cannot judge it; the migration would fail here too.",
			Fix:     "Fix the SQL (run it against a scratch database to see the error).",
		})
		return
	}
	n := len(script.Statements)
	for i, s := range script.Statements {
		st := &Stmt{
			Statement: s, Op: op, Deferred: deferred, Sent: sql, Index: i, Count: n, Comments: script.Comments,
			// Several statements in one string run as one implicit transaction, even outside atomic.
			InTransaction: p.Migration.Atomic || n > 1,
			Held:          copyLocks(w.held),
		}
		st.Effects = Effects(s, p.ServerVersion, w.coercible(op))
		p.Stmts = append(p.Stmts, st)
		for r := range w.rules {
			if w.rules[r].Statement != nil {
				run(p, &w.rules[r], op.Class, op.Line, func() { w.rules[r].Statement(p, st) })
			}
		}
		if ct, ok := s.(*sqlparse.CreateTable); ok {
			p.created[TableName(ct.Table)] = true
		}
		if st.InTransaction {
			for _, e := range st.Effects {
				if e.Mode > w.held[e.Table] {
					w.held[e.Table] = e.Mode
				}
			}
		}
		if tx, ok := s.(*sqlparse.Transaction); ok && (tx.Action == "COMMIT" || tx.Action == "ROLLBACK") {
			w.held = map[string]LockMode{}
		}
	}
	if !p.Migration.Atomic {
		w.held = map[string]LockMode{} // autocommit: the string's implicit transaction has ended
	}
}

// coercible tells Effects whether an ALTER COLUMN TYPE keeps the data as it is, from the type the
// column had before (the operation's old field, else the live catalog).
func (w *walker) coercible(op *plan.Operation) func(table, column string, to sqlparse.Type) bool {
	return func(table, column string, to sqlparse.Type) bool {
		from := ""
		if op.OldField != nil && op.OldField.Column == column && op.OldField.DBType != "" {
			from = op.OldField.DBType
		} else if w.p.Catalog != nil {
			from, _ = w.p.Catalog.ColumnType(table, column)
		}
		if from == "" {
			return false
		}
		ft, err := sqlparse.ParseType(from)
		return err == nil && Coercible(ft, to)
	}
}

func copyLocks(m map[string]LockMode) map[string]LockMode {
	c := make(map[string]LockMode, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// run runs one rule hook, turning a panic into an unsafe finding.
func run(p *Pass, r *Rule, opClass string, line int, hook func()) {
	defer func() {
		if v := recover(); v != nil {
			*p.findings = append(*p.findings, Finding{
				Rule: RuleCrashed, Severity: Unsafe, Operation: opClass, Line: line,
				Message: fmt.Sprintf("rule %s crashed here (%v), so this is not judged", r.Name, v),
				Fix:     "Report this as a zdcd bug with the migration attached; until fixed, review the migration by hand and approve it explicitly.",
			})
		}
	}()
	p.rule = r
	hook()
}

// flatten lists the operations that run against the database, in order: a
// SeparateDatabaseAndState is replaced by its database operations (its state operations change
// only Django's model state).
func flatten(ops []plan.Operation) []*plan.Operation {
	var out []*plan.Operation
	for i := range ops {
		op := &ops[i]
		if op.Class == "SeparateDatabaseAndState" {
			out = append(out, flatten(op.DatabaseOperations)...)
			continue
		}
		out = append(out, op)
	}
	return out
}

// hasUnsafe reports an unsafe finding no reviewed approval covers.
func hasUnsafe(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == Unsafe && f.Approval == nil {
			return true
		}
	}
	return false
}

// sortFindings orders findings by line, keeping the rules' order within a line.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Line < fs[j].Line })
}

// Allowed reports whether the release may proceed: everything safe, the nightly window, or the
// first deploy on an empty database.
func (r *Result) Allowed() bool { return r.Safe || r.Nightly || r.Initial }

// Unsafe counts the unsafe migrations.
func (r *Result) Unsafe() int {
	n := 0
	for _, m := range r.Migrations {
		if !m.Safe {
			n++
		}
	}
	return n
}
