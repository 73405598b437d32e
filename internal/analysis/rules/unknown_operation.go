package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
)

// UnknownOperation fails closed on operations zdcd does not know: anything but Django's own
// operations and django.contrib.postgres's (Django 3.2 to 5.2). A subclass defined in another
// module counts as unknown, even of a known class: its database_forwards may do more than the SQL
// zdcd collected (queries through its own cursor, Python logic, SQL that depends on the data).
// Operations nested in SeparateDatabaseAndState's database_operations are judged; its
// state_operations never touch the database and are not.
var UnknownOperation = analysis.Rule{
	Name:      "unknown-operation",
	Severity:  analysis.Unsafe,
	Summary:   "An operation that is not Django's or django.contrib.postgres's may do anything",
	Operation: unknownOperation,
}

func unknownOperation(p *analysis.Pass, op *plan.Operation) {
	if knownOperation(op) {
		return
	}
	from := op.Module
	if from == "" {
		from = "an unknown module"
	}
	kind := "is not one of Django's or django.contrib.postgres's migration operations"
	if _, ok := djangoOperations[op.Class]; ok {
		kind = fmt.Sprintf("is not Django's %s but a class of the same name (perhaps a subclass)", op.Class)
	}
	p.Report(op, "",
		fmt.Sprintf("%s (from %s) %s. zdcd judged the SQL it rendered, but its code can do more when it runs — query or change data through its own cursor, branch on what it finds, run SQL rendering did not show — so zdcd cannot call it safe.",
			op.Class, from, kind),
		strings.Join([]string{
			"Write the change with built-in operations: RunSQL with the exact SQL (each statement is then judged), SeparateDatabaseAndState for what only changes Django's state, RunPython for data (see runpython-opaque).",
			"Or review its database_forwards and approve it: zdcd_exempt = {\"unknown-operation\": \"<what it does; reviewed by ...>\"} on the Migration class.",
		}, "\n"))
}
