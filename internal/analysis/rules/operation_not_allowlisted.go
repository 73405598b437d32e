package rules

import (
	"fmt"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
)

// OperationNotAllowlisted is the baseline inherited from django-zerodowntime: an operation is
// accepted only if it is one the old code provably survives without a blocking lock — CreateModel,
// AddField of a nullable field without any default, AlterModelOptions (state only). Everything
// else is unsafe until a sharper rule proves otherwise.
var OperationNotAllowlisted = analysis.Rule{
	Name:      "operation-not-allowlisted",
	Severity:  analysis.Unsafe,
	Operation: operationNotAllowlisted,
}

func operationNotAllowlisted(p *analysis.Pass, op *plan.Operation) {
	switch op.Class {
	case "CreateModel", "AlterModelOptions":
		return
	case "SQL":
		return // a statement of a plain .sql file: the SQL rules judge it
	case "AddField":
		f := op.NewField
		if f == nil {
			p.Report(op, "", "AddField without a field description: zdcd cannot tell whether the column is nullable.",
				"Review the migration by hand and approve it explicitly.")
			return
		}
		var why []string
		if !f.Null && !f.ManyToMany {
			why = append(why, "is NOT NULL")
		}
		if f.Default != nil {
			why = append(why, "has a default ("+f.Default.Repr+")")
		}
		if f.DBDefault != nil {
			why = append(why, "has a database default ("+f.DBDefault.Repr+")")
		}
		if len(why) == 0 {
			return
		}
		p.Report(op, "",
			fmt.Sprintf("AddField %s.%s %s: Django adds the column with a default and drops it in the same migration, so rows the old code inserts without this column fail (NOT NULL) or the column is filled under an ACCESS EXCLUSIVE lock.",
				modelName(op), f.Name, join(why)),
			"Expand: add the field with null=True and no default, deploy, backfill in batches. Contract (a later release): set NOT NULL via CHECK (col IS NOT NULL) NOT VALID + VALIDATE CONSTRAINT, or use Django 5 db_default= so the database keeps the default.")
	default:
		p.Report(op, "",
			fmt.Sprintf("%s is not on the allowlist of operations proven safe for the old code still serving traffic (CreateModel, AddField nullable without default, AlterModelOptions).", op.Class),
			"Split the change into backward-compatible steps (expand → deploy → contract), or ship it in the nightly maintenance window (NIGHTLY_BUILD=true).")
	}
}

func modelName(op *plan.Operation) string {
	if op.Model == nil {
		return "?"
	}
	return op.Model.App + "." + op.Model.Name
}

func join(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	s := parts[0]
	for _, p := range parts[1 : len(parts)-1] {
		s += ", " + p
	}
	return s + " and " + parts[len(parts)-1]
}
