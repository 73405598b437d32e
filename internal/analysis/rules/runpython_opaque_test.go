package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestRunPythonOpaque(t *testing.T) {
	fill := &plan.PythonCode{Function: "shop.migrations.0005_backfill_product_sku.fill_missing_skus", File: "shop/migrations/0005_backfill_product_sku.py", Line: 6,
		Reverse: &plan.PythonCode{Function: "shop.migrations.0005_backfill_product_sku.clear_generated_skus"}}
	analysistest.Run(t, RunPythonOpaque, []analysistest.Case{
		{Name: "the sample's backfill", Ops: []plan.Operation{{Class: "RunPython", Module: specialModule, Python: fill}},
			Fire: true, Count: 1, Contains: []string{"fill_missing_skus (shop/migrations/0005_backfill_product_sku.py:6)", "management command", `"runpython-opaque"`}},
		{Name: "non-atomic migration", NonAtomic: true, Ops: []plan.Operation{{Class: "RunPython", Module: specialModule, Python: fill}},
			Fire: true, Contains: []string{"atomic = False"}},
		{Name: "noop forward", Ops: []plan.Operation{{Class: "RunPython", Module: specialModule, Python: &plan.PythonCode{Function: runPythonNoop,
			Reverse: &plan.PythonCode{Function: "shop.migrations.0009.undo"}}}}, Fire: false},
		{Name: "a RunPython subclass elsewhere is unknown-operation's", Ops: []plan.Operation{{Class: "RunPython", Module: "shop.ops", Python: fill}}, Fire: false},
		{Name: "RunSQL", SQL: `SELECT 1`, Fire: false},
	})
}
