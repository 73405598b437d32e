package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
)

// The safe steps the rules' fixes recommend must pass every rule: a fix that trips another rule
// bounces users between findings. (A new unique index is absent on purpose: whatever the lock
// recipe, add-unique-old-writers asks for a human's approval that the running code already
// handles duplicates.)
func TestRecommendedRecipesPassEveryRule(t *testing.T) {
	runSQL := func(sqls ...string) []plan.Operation {
		var ops []plan.Operation
		for i, s := range sqls {
			ops = append(ops, plan.Operation{Class: "RunSQL", Module: "django.db.migrations.operations.special", Line: 10 + i,
				SQL: []plan.Statement{{SQL: s}}, RunSQL: &plan.RunSQL{SQL: []string{s}, HasReverse: true}})
		}
		return ops
	}
	recipes := []struct {
		name   string
		atomic bool
		ops    []plan.Operation
	}{
		{"repeatable concurrent index (index-create-blocking)", false, runSQL(
			"DROP INDEX CONCURRENTLY IF EXISTS shop_order_created_idx",
			"CREATE INDEX CONCURRENTLY IF NOT EXISTS shop_order_created_idx ON shop_order (created)")},
		{"CHECK NOT VALID (check-constraint-validating, expand)", true, runSQL(
			"ALTER TABLE shop_order ADD CONSTRAINT shop_order_qty_positive CHECK (quantity > 0) NOT VALID")},
		{"VALIDATE in its own migration (check-constraint-validating, contract)", true, runSQL(
			"ALTER TABLE shop_order VALIDATE CONSTRAINT shop_order_qty_positive")},
		{"foreign key NOT VALID (fk-validating)", true, runSQL(
			"ALTER TABLE shop_order ADD CONSTRAINT shop_order_customer_fk FOREIGN KEY (customer_id) REFERENCES accounts_customer (id) NOT VALID")},
		{"nullable column (add-required-column, expand)", true, runSQL(
			"ALTER TABLE shop_order ADD COLUMN status varchar(16) NULL")},
		{"drop a concurrent index (index-drop-blocking)", false, runSQL(
			"DROP INDEX CONCURRENTLY IF EXISTS shop_order_old_idx")},
	}
	for _, r := range recipes {
		t.Run(r.name, func(t *testing.T) {
			pl := &plan.Plan{Migrations: []plan.Migration{{App: "shop", Name: "0009_recipe", Atomic: r.atomic, Operations: r.ops}}}
			res := analysis.Analyze(pl, analysis.Context{ServerVersion: 150000}, All())
			for _, f := range res.Migrations[0].Findings {
				if f.Severity == analysis.Unsafe {
					t.Errorf("%s (line %d): %s", f.Rule, f.Line, f.Message)
				}
			}
		})
	}
}
