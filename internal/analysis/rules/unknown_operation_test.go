package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestUnknownOperation(t *testing.T) {
	op := func(class, module string) []plan.Operation {
		return []plan.Operation{{Class: class, Module: module}}
	}
	cases := []analysistest.Case{
		{Name: "a project's own operation", Ops: []plan.Operation{{Class: "BackfillOrders", Module: "shop.operations",
			SQL: sqlOf(`UPDATE shop_order SET total = 0 WHERE total IS NULL`)}},
			Fire: true, Count: 1, Contains: []string{"BackfillOrders (from shop.operations)", "RunSQL with the exact SQL", "unknown-operation"}},
		{Name: "a subclass of AddField in another module", Ops: op("AddField", "shop.migrations_ops"), Fire: true, Contains: []string{"not Django's AddField"}},
		{Name: "a third-party operation", Ops: op("SafeRemoveField", "sentry.new_migrations.migrations"), Fire: true},
		{Name: "nested in SeparateDatabaseAndState's database operations", Ops: []plan.Operation{{Class: "SeparateDatabaseAndState", Module: specialModule,
			DatabaseOperations: []plan.Operation{{Class: "AddTrigger", Module: "pgtrigger.migrations", Line: 20}}}}, Fire: true},
		{Name: "a custom operation only in state_operations never touches the database", Ops: []plan.Operation{{Class: "SeparateDatabaseAndState", Module: specialModule,
			StateOperations: []plan.Operation{{Class: "AddTrigger", Module: "pgtrigger.migrations"}}}}, Fire: false},
		{Name: "Django's RenameContentType", Ops: op("RenameContentType", "django.contrib.contenttypes.management"), Fire: false},
		{Name: "a plan source without modules", Ops: op("AddField", ""), Fire: false},
		{Name: "a statement of a plain SQL file", Ops: []plan.Operation{{Class: "SQL", SQL: sqlOf(`ALTER TABLE t ADD COLUMN c int`)}}, Fire: false},
		{Name: "a class named SQL from some module", Ops: op("SQL", "shop.ops"), Fire: true},
	}
	for class, module := range djangoOperations {
		cases = append(cases, analysistest.Case{Name: "known: " + class, Ops: op(class, module), Fire: false})
	}
	analysistest.Run(t, UnknownOperation, cases)
}
