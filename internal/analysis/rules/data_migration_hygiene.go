package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
)

// DataMigrationHygiene: RunPython without reverse_code and RunSQL without reverse_sql make the
// migration irreversible: `migrate <app> <earlier>` fails with IrreversibleError, so the database
// cannot be rolled back past it. Advisory. (What the code itself does — direct model imports,
// argument names — is not visible to zdcd: the plan carries where the function is, not its body.)
var DataMigrationHygiene = analysis.Rule{
	Name:      "data-migration-hygiene",
	Severity:  analysis.Warning,
	Summary:   "RunPython without reverse_code / RunSQL without reverse_sql cannot be rolled back",
	Operation: dataMigrationHygiene,
}

func dataMigrationHygiene(p *analysis.Pass, op *plan.Operation) {
	switch {
	case runsPython(op) && op.Python != nil && op.Python.Reverse == nil:
		p.Report(op, "",
			fmt.Sprintf("RunPython %s has no reverse_code: Django cannot unapply this migration (IrreversibleError), so the database cannot be migrated back past it, e.g. when rolling a bad release back.", pythonWhere(op)),
			strings.Join([]string{
				"Pass reverse_code: a function that undoes the change, or migrations.RunPython.noop when there is nothing to undo (migrations.RunPython(forward, migrations.RunPython.noop)).",
				"Inside the functions use apps.get_model(\"app\", \"Model\"), the historical model, never a direct import of today's model.",
			}, "\n"))
	case isDjangoOp(op, "RunSQL") && op.RunSQL != nil && !op.RunSQL.HasReverse && !allBlank(op.RunSQL.SQL):
		p.Report(op, "",
			"RunSQL has no reverse_sql: Django cannot unapply this migration (IrreversibleError), so the database cannot be migrated back past it, e.g. when rolling a bad release back.",
			"Pass reverse_sql with the SQL that undoes it (DROP INDEX CONCURRENTLY IF EXISTS for a CREATE INDEX, ALTER TABLE ... DROP COLUMN IF EXISTS for an ADD COLUMN ...), or migrations.RunSQL.noop when nothing needs undoing.")
	}
}

// allBlank reports SQL that does nothing (RunSQL.noop is "").
func allBlank(sql []string) bool {
	for _, s := range sql {
		if strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}
