// Package analysis judges a plan: every pending operation (and, from the rule engine on, every
// SQL statement) is given to the rules, which report findings. Rules are pure functions of a Pass;
// the analyser fails closed: a rule that panics, or an operation whose SQL could not be rendered,
// makes the migration unsafe with an explicit finding, never silently safe.
package analysis

import (
	"fmt"
	"sort"

	"github.com/zdcd/zdcd/internal/plan"
)

// Rule is one check. Its Name is public API: users type it in approvals, and docs/rules/<Name>.md
// explains it.
type Rule struct {
	Name     string
	Severity Severity
	// Operation is called for every operation of every pending migration, nested database
	// operations of SeparateDatabaseAndState included.
	Operation func(p *Pass, op *plan.Operation)
}

// Context is what the rules know beyond the plan.
type Context struct {
	// ServerVersion is server_version_num of the target database (0 when unknown).
	ServerVersion int
	// Nightly is NIGHTLY_BUILD=true: a maintenance window where every migration is approved.
	Nightly bool
}

// Pass is a rule's view of one migration.
type Pass struct {
	Context
	Migration *plan.Migration
	// CreatedTables are the tables created by operations that run earlier in the same release:
	// they are empty and unseen by the old code.
	CreatedTables map[string]bool

	rule     *Rule
	findings *[]Finding
}

// Report records a finding of the running rule on op. Rule and severity come from the rule.
func (p *Pass) Report(op *plan.Operation, statement, message, fix string) {
	*p.findings = append(*p.findings, Finding{
		Rule:      p.rule.Name,
		Severity:  p.rule.Severity,
		Operation: op.Class,
		Line:      op.Line,
		Statement: statement,
		Message:   message,
		Fix:       fix,
	})
}

// Names of the findings the analyser itself reports when it cannot judge.
const (
	RuleCrashed    = "rule-crashed"
	SQLNotRendered = "sql-not-rendered"
)

// Analyze runs rules over every pending migration of pl, in order.
func Analyze(pl *plan.Plan, ctx Context, rules []Rule) *Result {
	res := &Result{Safe: true, Nightly: ctx.Nightly, ServerVersion: ctx.ServerVersion, Migrations: []MigrationResult{}}
	created := map[string]bool{}
	for i := range pl.Migrations {
		m := &pl.Migrations[i]
		findings := []Finding{}
		pass := &Pass{Context: ctx, Migration: m, CreatedTables: created, findings: &findings}
		for _, op := range flatten(m.Operations) {
			if op.SQLError != "" {
				findings = append(findings, Finding{
					Rule: SQLNotRendered, Severity: Unsafe, Operation: op.Class, Line: op.Line,
					Message: "zdcd could not render the SQL of this operation, so it cannot judge it: " + op.SQLError,
					Fix:     "Run `python manage.py sqlmigrate " + m.App + " " + m.Name + "` to see the error; if rendering needs an earlier pending migration applied, ship that migration in its own release first.",
				})
			}
			for r := range rules {
				runRule(pass, &rules[r], op)
			}
			// The table exists, empty and unseen by the old code, for every later operation.
			if op.Class == "CreateModel" && op.Model != nil && op.Model.TableAfter != "" {
				created[op.Model.TableAfter] = true
			}
		}
		sortFindings(findings)
		mr := MigrationResult{Migration: *m, Safe: !hasUnsafe(findings), Findings: findings}
		if !mr.Safe {
			res.Safe = false
		}
		res.Migrations = append(res.Migrations, mr)
	}
	return res
}

// runRule runs one rule on one operation, turning a panic into an unsafe finding.
func runRule(p *Pass, r *Rule, op *plan.Operation) {
	if r.Operation == nil {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			*p.findings = append(*p.findings, Finding{
				Rule: RuleCrashed, Severity: Unsafe, Operation: op.Class, Line: op.Line,
				Message: fmt.Sprintf("rule %s crashed on this operation (%v), so the operation is not judged", r.Name, v),
				Fix:     "Report this as a zdcd bug with the migration attached; until fixed, review the migration by hand and approve it explicitly.",
			})
		}
	}()
	p.rule = r
	r.Operation(p, op)
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

func hasUnsafe(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == Unsafe {
			return true
		}
	}
	return false
}

// sortFindings orders findings by line, keeping the rules' order within a line.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Line < fs[j].Line })
}

// Allowed reports whether the release may proceed: everything safe, or the nightly window.
func (r *Result) Allowed() bool { return r.Safe || r.Nightly }

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
