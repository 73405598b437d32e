package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// ExclusionConstraint: ADD CONSTRAINT ... EXCLUDE on an existing table builds its index and checks
// every row under ACCESS EXCLUSIVE, and PostgreSQL offers no NOT VALID or USING INDEX way round.
var ExclusionConstraint = analysis.Rule{
	Name:      "exclusion-constraint",
	Severity:  analysis.Unsafe,
	Summary:   "ADD CONSTRAINT EXCLUDE builds its index and checks every row under ACCESS EXCLUSIVE, with no online alternative",
	Statement: exclusionConstraint,
}

func exclusionConstraint(p *analysis.Pass, st *analysis.Stmt) {
	at, table, ok := alterOfExisting(p, st)
	if !ok {
		return
	}
	for _, c := range at.Cmds {
		if c.Action != sqlparse.AddConstraint || c.Constraint == nil || c.Constraint.Kind != sqlparse.Exclusion {
			continue
		}
		name := c.Constraint.Name
		if name == "" {
			name = "EXCLUDE"
		}
		p.ReportStmt(st,
			fmt.Sprintf("ADD CONSTRAINT %s EXCLUDE on %s builds the constraint's index and checks every row against it while holding an ACCESS EXCLUSIVE lock: "+
				"every query on %s, reads included, waits for the whole build%s. PostgreSQL has no NOT VALID or USING INDEX form for exclusion constraints, so there is no online way to add one.",
				name, table, table, lockHeldUntil(p, st)),
			strings.Join([]string{
				"Pick one:",
				"- Add it in the nightly maintenance window (NIGHTLY_BUILD=true), when a blocked table is acceptable.",
				"- Create a new table with the constraint (CreateModel, or AddConstraint(ExclusionConstraint) on the new model), write to both tables from the new code, copy the old rows in batches, then switch reads and drop the old table in later releases.",
				"- Enforce the rule in the application (or a trigger) instead, if a database guarantee is not required.",
			}, "\n"))
	}
}
