package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestDropNotNull(t *testing.T) {
	f := func(null bool) *plan.Field {
		return &plan.Field{Name: "sku", Column: "sku", Class: "CharField", DBType: "varchar(32)", Null: null}
	}
	analysistest.Run(t, DropNotNull, []analysistest.Case{
		{Name: "Django AlterField null=True", Ops: columnsOp("AlterField", f(false), f(true), `ALTER TABLE "shop_product" ALTER COLUMN "sku" DROP NOT NULL`),
			Fire: true, Contains: []string{"shop_product.sku", "old code", "sentinel"}},
		{Name: "raw SQL, two columns", SQL: `ALTER TABLE t ALTER COLUMN a DROP NOT NULL, ALTER COLUMN b DROP NOT NULL`, Fire: true, Count: 2},

		{Name: "SET NOT NULL", SQL: `ALTER TABLE t ALTER COLUMN a SET NOT NULL`, Fire: false},
		{Name: "table created in the release", SQL: `ALTER TABLE n ALTER COLUMN a DROP NOT NULL`, Created: []string{"n"}, Fire: false},
		{Name: "ALTER DOMAIN DROP NOT NULL", SQL: `ALTER DOMAIN d DROP NOT NULL`, Fire: false},
	})
}
