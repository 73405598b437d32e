package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestDropColumn(t *testing.T) {
	legacy := &plan.Field{Name: "legacy_code", Column: "legacy_code", Class: "CharField", DBType: "varchar(20)", Null: true}
	required := &plan.Field{Name: "legacy_code", Column: "legacy_code", Class: "CharField", DBType: "varchar(20)"}
	removeField := func(f *plan.Field, sql ...string) plan.Operation {
		return plan.Operation{Class: "RemoveField", Module: fieldsModule, Line: 13, Model: productModel(), OldField: f, SQL: sqlOf(sql...)}
	}
	analysistest.Run(t, DropColumn, []analysistest.Case{
		{Name: "Django's RemoveField", Ops: []plan.Operation{removeField(legacy, `ALTER TABLE "shop_product" DROP COLUMN "legacy_code" CASCADE;`)},
			Fire: true, Count: 1, Contains: []string{"shop.Product.legacy_code", "does not exist", "SeparateDatabaseAndState", `migrations.RemoveField(model_name="product", name="legacy_code")`}},
		{Name: "RemoveField of a NOT NULL column without a database default", Ops: []plan.Operation{removeField(required, `ALTER TABLE "shop_product" DROP COLUMN "legacy_code" CASCADE;`)},
			Fire: true, Count: 1, Contains: []string{"null=True", "DROP NOT NULL"}},
		{Name: "RemoveField of a ForeignKey drops its constraint first: one finding",
			Ops: []plan.Operation{removeField(&plan.Field{Name: "maker", Column: "maker_id", Class: "ForeignKey", Null: true, Related: "shop.Maker", DBConstraint: true},
				`ALTER TABLE "shop_product" DROP CONSTRAINT "shop_product_maker_id_1f2e3d4c_fk_shop_maker_id";`,
				`ALTER TABLE "shop_product" DROP COLUMN "maker_id" CASCADE;`)},
			Fire: true, Count: 1},
		{Name: "RemoveField nested in SeparateDatabaseAndState's database operations", Ops: []plan.Operation{{Class: "SeparateDatabaseAndState", Module: specialModule,
			DatabaseOperations: []plan.Operation{removeField(legacy, `ALTER TABLE "shop_product" DROP COLUMN "legacy_code" CASCADE;`)}}},
			Fire: true, Count: 1},
		{Name: "raw DROP COLUMN", SQL: `ALTER TABLE shop_product DROP COLUMN legacy_code`, Fire: true, Contains: []string{"This statement drops column", "two releases"}},
		{Name: "a plain SQL file's statement", Ops: []plan.Operation{{Class: "SQL", SQL: sqlOf(`ALTER TABLE shop_product DROP COLUMN legacy_code`)}},
			Fire: true, Contains: []string{"This statement drops column"}},
		{Name: "two columns in one ALTER", SQL: `ALTER TABLE shop_product DROP COLUMN a, DROP COLUMN IF EXISTS b`, Fire: true, Count: 2},
		{Name: "AlterOrderWithRespectTo removing _order", Ops: []plan.Operation{{Class: "AlterOrderWithRespectTo", Module: modelsModule, Model: productModel(),
			SQL: sqlOf(`ALTER TABLE "shop_product" DROP COLUMN "_order" CASCADE;`)}}, Fire: true, Contains: []string{"AlterOrderWithRespectTo"}},
		{Name: "state-only removal (the safe first step)", Ops: []plan.Operation{{Class: "SeparateDatabaseAndState", Module: specialModule,
			StateOperations: []plan.Operation{removeField(legacy)}}}, Fire: false},
		{Name: "unmanaged model: no SQL", Ops: []plan.Operation{removeField(legacy)}, Fire: false},
		{Name: "table created earlier in the release", SQL: `ALTER TABLE shop_new DROP COLUMN a`, Created: []string{"shop_new"}, Fire: false},
		{Name: "table created in the same migration", SQL: `CREATE TABLE n (a int, b int); ALTER TABLE n DROP COLUMN b`, Fire: false},
		{Name: "dropping a default is not dropping a column", SQL: `ALTER TABLE shop_product ALTER COLUMN sku DROP DEFAULT`, Fire: false},
	})
}
