package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestRenameTable(t *testing.T) {
	order := &plan.Model{App: "shop", Name: "Order", TableBefore: "shop_order", TableAfter: "shop_purchase", Managed: true}
	analysistest.Run(t, RenameTable, []analysistest.Case{
		{Name: "Django's RenameModel", Ops: []plan.Operation{{Class: "RenameModel", Module: modelsModule, Model: order,
			SQL: sqlOf(`ALTER TABLE "shop_order" RENAME TO "shop_purchase";`)}},
			Fire: true, Count: 1, Contains: []string{"RenameModel on shop.Order renames table shop_order to shop_purchase", "Meta.db_table", `CREATE VIEW "shop_order" AS SELECT * FROM "shop_purchase"`}},
		{Name: "RenameModel with a many-to-many join table", Ops: []plan.Operation{{Class: "RenameModel", Module: modelsModule, Model: order,
			SQL: sqlOf(`ALTER TABLE "shop_order" RENAME TO "shop_purchase";`, `ALTER TABLE "shop_order_items" RENAME TO "shop_purchase_items";`)}},
			Fire: true, Count: 2},
		{Name: "AlterModelTable", Ops: []plan.Operation{{Class: "AlterModelTable", Module: modelsModule, Model: order,
			SQL: sqlOf(`ALTER TABLE "shop_order" RENAME TO "orders";`)}}, Fire: true, Contains: []string{"AlterModelTable"}},
		{Name: "raw rename", SQL: `ALTER TABLE IF EXISTS shop_order RENAME TO shop_purchase`, Fire: true},
		{Name: "raw rename of a view", SQL: `ALTER VIEW shop_order_summary RENAME TO order_summary`, Fire: true},
		{Name: "moved to another schema", SQL: `ALTER TABLE shop_order SET SCHEMA archive`, Fire: true, Contains: []string{"another schema"}},
		{Name: "a view that is not a plain alias does not help", SQL: `ALTER TABLE shop_order RENAME TO shop_purchase; CREATE VIEW shop_order AS SELECT id FROM shop_purchase`, Fire: true},
		{Name: "a view over another table does not help", SQL: `ALTER TABLE shop_order RENAME TO shop_purchase; CREATE VIEW shop_order AS SELECT * FROM shop_other`, Fire: true},
		{Name: "non-atomic: the view comes in a later transaction", NonAtomic: true, Ops: []plan.Operation{
			{Class: "RunSQL", Module: specialModule, SQL: sqlOf(`ALTER TABLE shop_order RENAME TO shop_purchase`)},
			{Class: "RunSQL", Module: specialModule, SQL: sqlOf(`CREATE VIEW shop_order AS SELECT * FROM shop_purchase`)},
		}, Fire: true},
		{Name: "rename plus an alias view in the same transaction", SQL: `ALTER TABLE shop_order RENAME TO shop_purchase; CREATE VIEW shop_order AS SELECT * FROM shop_purchase`, Fire: false},
		{Name: "RenameModel then the alias view in an atomic migration", Ops: []plan.Operation{
			{Class: "RenameModel", Module: modelsModule, Model: order, SQL: sqlOf(`ALTER TABLE "shop_order" RENAME TO "shop_purchase";`)},
			{Class: "RunSQL", Module: specialModule, SQL: sqlOf(`CREATE VIEW "shop_order" AS SELECT * FROM "shop_purchase"`)},
		}, Fire: false},
		{Name: "RenameModel then AlterModelTable restoring the name", Ops: []plan.Operation{
			{Class: "RenameModel", Module: modelsModule, Model: order, SQL: sqlOf(`ALTER TABLE "shop_order" RENAME TO "shop_purchase";`)},
			{Class: "AlterModelTable", Module: modelsModule, Model: order, SQL: sqlOf(`ALTER TABLE "shop_purchase" RENAME TO "shop_order";`)},
		}, Fire: false},
		{Name: "RenameModel of a model with Meta.db_table: no SQL", Ops: []plan.Operation{{Class: "RenameModel", Module: modelsModule, Model: order}}, Fire: false},
		{Name: "table created earlier in the release", SQL: `ALTER TABLE tmp RENAME TO final`, Created: []string{"tmp"}, Fire: false},
		{Name: "table created in the same migration", SQL: `CREATE TABLE tmp (a int); ALTER TABLE tmp RENAME TO final`, Fire: false},
		{Name: "renaming a sequence", SQL: `ALTER SEQUENCE s RENAME TO s2`, Fire: false},
	})
}
