package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestUniqueOnDuplicates(t *testing.T) {
	dups := &liveData{duplicates: map[string]bool{"shop_product(sku)": true, "shop_product(maker_id,sku)": true}}
	clean := &liveData{duplicates: map[string]bool{}}
	analysistest.Run(t, UniqueOnDuplicates, []analysistest.Case{
		{Name: "AlterField unique=True over duplicates", Ops: []plan.Operation{{Class: "AlterField", Module: fieldsModule, Model: productModel(),
			SQL: sqlOf(`ALTER TABLE "shop_product" ADD CONSTRAINT "shop_product_sku_key" UNIQUE ("sku");`)}},
			Catalog: dups, Fire: true, Count: 1,
			Contains: []string{"could not create unique index", `SELECT "sku", count(*) FROM "shop_product" WHERE "sku" IS NOT NULL GROUP BY "sku" HAVING count(*) > 1`}},
		{Name: "concurrent build over duplicates leaves an INVALID index", SQL: `CREATE UNIQUE INDEX CONCURRENTLY i ON shop_product (maker_id, sku)`, NonAtomic: true,
			Catalog: dups, Fire: true, Contains: []string{"INVALID", "DROP INDEX CONCURRENTLY"}},
		{Name: "primary key over duplicates", SQL: `ALTER TABLE shop_product ADD PRIMARY KEY (sku)`, Catalog: dups, Fire: true},
		{Name: "no duplicates", SQL: `CREATE UNIQUE INDEX CONCURRENTLY i ON shop_product (sku)`, NonAtomic: true, Catalog: clean, Fire: false},
		{Name: "without live data zdcd cannot tell", SQL: `CREATE UNIQUE INDEX i ON shop_product (sku)`, Fire: false},
		{Name: "the check failed: unknown", SQL: `CREATE UNIQUE INDEX i ON shop_product (sku)`, Catalog: &liveData{failing: true}, Fire: false},
		{Name: "partial index: not checked", SQL: `CREATE UNIQUE INDEX i ON shop_product (sku) WHERE deleted IS NULL`, Catalog: dups, Fire: false},
		{Name: "column added in the same migration", SQL: `ALTER TABLE shop_product ADD COLUMN sku2 text; CREATE UNIQUE INDEX i ON shop_product (sku2)`, Catalog: dups, Fire: false},
		{Name: "table created earlier in the release", SQL: `CREATE UNIQUE INDEX i ON shop_product (sku)`, Created: []string{"shop_product"}, Catalog: dups, Fire: false},
	})
}
