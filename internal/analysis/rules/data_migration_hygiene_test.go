package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestDataMigrationHygiene(t *testing.T) {
	forward := plan.PythonCode{Function: "shop.migrations.0005.fill", File: "shop/migrations/0005.py", Line: 6}
	withReverse := forward
	withReverse.Reverse = &plan.PythonCode{Function: runPythonNoop}
	runSQL := func(hasReverse bool) plan.Operation {
		return plan.Operation{Class: "RunSQL", Module: specialModule, SQL: sqlOf(`CREATE INDEX i ON t (a)`),
			RunSQL: &plan.RunSQL{SQL: []string{`CREATE INDEX i ON t (a)`}, HasReverse: hasReverse}}
	}
	analysistest.Run(t, DataMigrationHygiene, []analysistest.Case{
		{Name: "RunPython without reverse_code", Ops: []plan.Operation{{Class: "RunPython", Module: specialModule, Python: &forward}},
			Fire: true, Count: 1, Contains: []string{"shop.migrations.0005.fill (shop/migrations/0005.py:6)", "RunPython.noop", "apps.get_model"}},
		{Name: "RunSQL without reverse_sql", Ops: []plan.Operation{runSQL(false)}, Fire: true, Contains: []string{"reverse_sql", "RunSQL.noop"}},
		{Name: "RunPython with RunPython.noop as reverse", Ops: []plan.Operation{{Class: "RunPython", Module: specialModule, Python: &withReverse}}, Fire: false},
		{Name: "RunSQL with reverse_sql", Ops: []plan.Operation{runSQL(true)}, Fire: false},
		{Name: "RunSQL.noop forward (state_operations only)", Ops: []plan.Operation{{Class: "RunSQL", Module: specialModule, RunSQL: &plan.RunSQL{SQL: []string{""}}}}, Fire: false},
		{Name: "a schema operation", Ops: []plan.Operation{{Class: "AddField", Module: fieldsModule}}, Fire: false},
	})
}
