package rules

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
)

// RunPythonOpaque: RunPython runs Python zdcd cannot see into, while the old code serves traffic;
// it cannot be proven safe, so it needs an explicit approval. RunPython(RunPython.noop) does
// nothing and is quiet.
var RunPythonOpaque = analysis.Rule{
	Name:      "runpython-opaque",
	Severity:  analysis.Unsafe,
	Summary:   "RunPython runs code zdcd cannot see into during the release phase",
	Operation: runPythonOpaque,
}

func runPythonOpaque(p *analysis.Pass, op *plan.Operation) {
	if !runsPython(op) {
		return
	}
	where := "inside the migration's transaction"
	if !p.Migration.Atomic {
		where = "in a migration with atomic = False"
	}
	p.Report(op, "",
		fmt.Sprintf("RunPython runs %s, Python that zdcd cannot see into, %s while the old release keeps serving: it may update or lock every row of a busy table, hold its locks for as long as it runs, or fail halfway on production data, and the release phase waits for it (Heroku stops it after one hour).",
			pythonWhere(op), where),
		strings.Join([]string{
			"Move the data change out of the release phase: keep the migration to schema changes that are backward compatible, and run the data change after the deploy as an idempotent management command that works in batches (e.g. 1,000–10,000 rows per transaction).",
			"If the code is small and safe (a handful of rows, no long locks), approve it with the reason: zdcd_exempt = {\"runpython-opaque\": \"<what it touches, how many rows; reviewed by ...>\"} on the Migration class.",
		}, "\n"))
}
