package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// DomainConstraint: constraints on domains are checked against every column of every table that
// uses the domain, blocking writes to those tables; and a domain CHECK makes later changes hard.
var DomainConstraint = analysis.Rule{
	Name:      "domain-constraint",
	Severity:  analysis.Unsafe,
	Summary:   "CHECK constraints on domains: ALTER DOMAIN ADD/VALIDATE CONSTRAINT and SET NOT NULL scan every table using the domain, blocking writes",
	Statement: domainConstraint,
}

func domainConstraint(p *analysis.Pass, st *analysis.Stmt) {
	fix := strings.Join([]string{
		"Put the rule on the columns instead of the domain: a plain type (or a domain without constraints) and a table CHECK constraint added with the NOT VALID pattern —",
		"ALTER TABLE t ADD CONSTRAINT c CHECK (...) NOT VALID; then VALIDATE CONSTRAINT c in a separate transaction (Django: AddConstraintNotValid, then ValidateConstraint in the next migration).",
		"If the domain must carry the constraint, add it with ALTER DOMAIN ... ADD CONSTRAINT ... NOT VALID and validate it in a maintenance window (NIGHTLY_BUILD).",
	}, "\n")
	switch s := st.Statement.(type) {
	case *sqlparse.CreateDomain:
		for _, k := range s.Constraints {
			if k.Kind != sqlparse.Check {
				continue
			}
			p.ReportStmt(st,
				fmt.Sprintf("CREATE DOMAIN %s with a CHECK constraint: every column that uses the domain inherits the check, and any later change to it (ALTER DOMAIN ADD CONSTRAINT, VALIDATE CONSTRAINT, SET NOT NULL) re-checks every such column in every table, holding a SHARE lock that blocks all writes to those tables for the whole scan; converting an existing column to the domain rewrites its table. Domain constraints cannot be changed with the NOT VALID table pattern.",
					s.Name.String()),
				fix)
			return
		}
	case *sqlparse.AlterDomain:
		var what string
		switch s.Action {
		case "ADD CONSTRAINT":
			if s.Constraint == nil || s.Constraint.NotValid {
				return
			}
			what = "ALTER DOMAIN " + s.Name.String() + " ADD CONSTRAINT checks the new constraint against"
		case "VALIDATE CONSTRAINT":
			what = "ALTER DOMAIN " + s.Name.String() + " VALIDATE CONSTRAINT checks the constraint against"
		case "SET NOT NULL":
			what = "ALTER DOMAIN " + s.Name.String() + " SET NOT NULL checks for NULLs in"
		default:
			return
		}
		p.ReportStmt(st,
			fmt.Sprintf("%s every column of every table that uses the domain, holding a SHARE lock on each of those tables: every INSERT, UPDATE and DELETE on them waits for the whole scan%s.",
				what, columnsUntil(st)),
			fix)
	}
}
