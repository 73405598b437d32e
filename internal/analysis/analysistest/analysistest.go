// Package analysistest runs one rule over small cases — raw SQL or Django operations — so that
// every rule has a table of cases that must fire and neighbours that must not.
package analysistest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
)

// DefaultVersion is the server version cases assume unless they say otherwise (PostgreSQL 15).
const DefaultVersion = 150000

// Case is one situation and whether the rule must report on it.
type Case struct {
	Name string
	// SQL is run as one RunSQL operation (several statements allowed, sent in one string).
	SQL string
	// Ops are Django operations with their SQL, used instead of SQL.
	Ops []plan.Operation
	// Version is server_version_num (0 → DefaultVersion; use analysis.PG11-1 for PostgreSQL 10).
	Version int
	// NonAtomic runs the migration with atomic = False.
	NonAtomic bool
	// Created are tables created earlier in the release.
	Created []string
	// Catalog is the live schema, nil for none.
	Catalog analysis.Catalog
	// Applied are the migrations the database has applied.
	Applied []plan.MigrationKey
	// Disabled runs an opt-in rule without enabling it (the rule must then stay quiet).
	Disabled bool
	// Fire says the rule must report; Count, when non-zero, how many times.
	Fire  bool
	Count int
	// Contains are strings the first finding's message or fix must contain.
	Contains []string
}

// Migration builds the plan for a case: a migration creating Created, then the case's migration.
func (c Case) Migration() *plan.Plan {
	var pl plan.Plan
	if len(c.Created) > 0 {
		var ops []plan.Operation
		for _, t := range c.Created {
			ops = append(ops, plan.Operation{Class: "CreateModel", SQL: []plan.Statement{{SQL: fmt.Sprintf("CREATE TABLE %s (id bigint)", t)}}})
		}
		pl.Migrations = append(pl.Migrations, plan.Migration{App: "setup", Name: "0001_initial", Atomic: true, Operations: ops})
	}
	ops := c.Ops
	if c.SQL != "" {
		ops = append([]plan.Operation{{Class: "RunSQL", Line: 10, SQL: []plan.Statement{{SQL: c.SQL}}, RunSQL: &plan.RunSQL{SQL: []string{c.SQL}, HasReverse: true}}}, ops...)
	}
	for i := range ops {
		if ops[i].Line == 0 {
			ops[i].Line = 10 + i
		}
	}
	pl.Migrations = append(pl.Migrations, plan.Migration{App: "app", Name: "0002_case", File: "app/migrations/0002_case.py", Atomic: !c.NonAtomic, Operations: ops})
	return &pl
}

// Run checks rule against every case.
func Run(t *testing.T, rule analysis.Rule, cases []Case) {
	t.Helper()
	fired, quiet := 0, 0
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			version := c.Version
			if version == 0 {
				version = DefaultVersion
			}
			enabled := map[string]bool{rule.Name: !c.Disabled}
			res := analysis.Analyze(c.Migration(), analysis.Context{ServerVersion: version, Catalog: c.Catalog, Applied: c.Applied, Enabled: enabled}, []analysis.Rule{rule})
			var mine, other []analysis.Finding
			for _, m := range res.Migrations {
				for _, f := range m.Findings {
					if f.Rule == rule.Name {
						mine = append(mine, f)
					} else if f.Rule == analysis.RuleCrashed || f.Rule == analysis.SQLUnparseable {
						other = append(other, f)
					}
				}
			}
			if len(other) > 0 {
				t.Fatalf("the case itself is broken: %+v", other)
			}
			if c.Fire != (len(mine) > 0) {
				t.Fatalf("%s fired %d times, want fire=%v: %+v", rule.Name, len(mine), c.Fire, mine)
			}
			if c.Count > 0 && len(mine) != c.Count {
				t.Fatalf("%s fired %d times, want %d: %+v", rule.Name, len(mine), c.Count, mine)
			}
			for _, f := range mine {
				if f.Severity != rule.Severity || f.Message == "" || f.Fix == "" || f.Line == 0 || f.Operation == "" {
					t.Errorf("incomplete finding: %+v", f)
				}
			}
			for _, s := range c.Contains {
				if len(mine) == 0 || !strings.Contains(mine[0].Message+"\n"+mine[0].Fix, s) {
					t.Errorf("finding does not mention %q: %+v", s, mine)
				}
			}
		})
		if c.Fire {
			fired++
		} else {
			quiet++
		}
	}
	if fired == 0 || quiet == 0 {
		t.Errorf("rule %s needs at least one case that fires and one neighbour that does not (have %d and %d)", rule.Name, fired, quiet)
	}
}
