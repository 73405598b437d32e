package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestAddUniqueOldWriters(t *testing.T) {
	sku := &plan.Field{Name: "sku", Column: "sku", Class: "CharField", DBType: "varchar(32)", Null: true}
	skuUnique := &plan.Field{Name: "sku", Column: "sku", Class: "CharField", DBType: "varchar(32)", Null: true, Unique: true}
	analysistest.Run(t, AddUniqueOldWriters, []analysistest.Case{
		{Name: "AlterField unique=True (constraint plus the _like index)", Ops: []plan.Operation{{Class: "AlterField", Module: fieldsModule, Model: productModel(),
			OldField: sku, NewField: skuUnique,
			SQL: []plan.Statement{
				{SQL: `ALTER TABLE "shop_product" ADD CONSTRAINT "shop_product_sku_key" UNIQUE ("sku");`},
				{SQL: `CREATE INDEX "shop_product_sku_3f1b_like" ON "shop_product" ("sku" varchar_pattern_ops);`, Deferred: true},
			}}},
			Fire: true, Count: 1, Contains: []string{"AlterField on shop.Product makes (sku) of shop_product unique", "IntegrityError", "CREATE UNIQUE INDEX CONCURRENTLY", "USING INDEX"}},
		{Name: "AlterUniqueTogether", Ops: []plan.Operation{{Class: "AlterUniqueTogether", Module: modelsModule, Model: productModel(),
			SQL: sqlOf(`ALTER TABLE "shop_product" ADD CONSTRAINT "shop_product_maker_id_sku_0a1b_uniq" UNIQUE ("maker_id", "sku");`)}},
			Fire: true, Contains: []string{"(maker_id, sku)"}},
		{Name: "AddConstraint(UniqueConstraint) with a condition", Ops: []plan.Operation{{Class: "AddConstraint", Module: modelsModule, Model: productModel(),
			SQL: sqlOf(`CREATE UNIQUE INDEX "uniq_live_sku" ON "shop_product" ("sku") WHERE "deleted" IS NULL;`)}}, Fire: true},
		{Name: "even built concurrently, the old code's writes fail", SQL: `CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS shop_product_sku_uniq ON shop_product (sku)`, NonAtomic: true, Fire: true},
		{Name: "raw primary key", SQL: `ALTER TABLE legacy ADD PRIMARY KEY (code)`, Fire: true},
		{Name: "adopting the index built concurrently adds nothing new", SQL: `ALTER TABLE shop_product ADD CONSTRAINT shop_product_sku_uniq UNIQUE USING INDEX shop_product_sku_uniq`, Fire: false},
		{Name: "a unique column added now: the old code writes NULL there", Ops: []plan.Operation{{Class: "AddField", Module: fieldsModule, Model: productModel(),
			NewField: skuUnique, SQL: sqlOf(`ALTER TABLE "shop_product" ADD COLUMN "sku" varchar(32) NULL UNIQUE;`)}}, Fire: false},
		{Name: "unique on a column added earlier in the migration", SQL: `ALTER TABLE shop_product ADD COLUMN ext_id uuid NULL; CREATE UNIQUE INDEX i ON shop_product (ext_id)`, Fire: false},
		{Name: "table created earlier in the release", SQL: `CREATE UNIQUE INDEX i ON new_t (a)`, Created: []string{"new_t"}, Fire: false},
		{Name: "a plain index", SQL: `CREATE INDEX i ON shop_product (sku)`, Fire: false},
	})
}
