package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestNotNullOnNulls(t *testing.T) {
	nulls := &liveData{nulls: map[string]bool{"shop_product.sku": true}, rows: map[string]bool{"shop_product": true}}
	none := &liveData{nulls: map[string]bool{}, rows: map[string]bool{}}
	analysistest.Run(t, NotNullOnNulls, []analysistest.Case{
		{Name: "AlterField null=False over NULLs", Ops: []plan.Operation{{Class: "AlterField", Module: fieldsModule, Model: productModel(),
			SQL: sqlOf(`ALTER TABLE "shop_product" ALTER COLUMN "sku" SET NOT NULL;`)}},
			Catalog: nulls, Fire: true, Count: 1, Contains: []string{"contains null values", `SELECT count(*) FROM "shop_product" WHERE "sku" IS NULL`}},
		{Name: "validated CHECK (sku IS NOT NULL) over NULLs", SQL: `ALTER TABLE shop_product ADD CONSTRAINT sku_nn CHECK (sku IS NOT NULL)`, Catalog: nulls, Fire: true},
		{Name: "primary key over NULLs", SQL: `ALTER TABLE shop_product ADD CONSTRAINT pk PRIMARY KEY (sku)`, Catalog: nulls, Fire: true},
		{Name: "required column on a table with rows", SQL: `ALTER TABLE shop_product ADD COLUMN weight integer NOT NULL`, Catalog: nulls, Fire: true,
			Contains: []string{"db_default"}},
		{Name: "NOT VALID check: existing rows are not checked", SQL: `ALTER TABLE shop_product ADD CONSTRAINT sku_nn CHECK (sku IS NOT NULL) NOT VALID`, Catalog: nulls, Fire: false},
		{Name: "Django's 4-way: the UPDATE backfills first", Ops: []plan.Operation{{Class: "AlterField", Module: fieldsModule, Model: productModel(),
			SQL: sqlOf(`ALTER TABLE "shop_product" ALTER COLUMN "sku" SET DEFAULT '';`, `UPDATE "shop_product" SET "sku" = '' WHERE "sku" IS NULL;`,
				`ALTER TABLE "shop_product" ALTER COLUMN "sku" SET NOT NULL;`, `ALTER TABLE "shop_product" ALTER COLUMN "sku" DROP DEFAULT;`)}},
			Catalog: nulls, Fire: false},
		{Name: "no NULLs", SQL: `ALTER TABLE shop_product ALTER COLUMN sku SET NOT NULL`, Catalog: none, Fire: false},
		{Name: "required column on an empty table", SQL: `ALTER TABLE shop_product ADD COLUMN weight integer NOT NULL`, Catalog: none, Fire: false},
		{Name: "required column with a default", SQL: `ALTER TABLE shop_product ADD COLUMN weight integer DEFAULT 0 NOT NULL`, Catalog: nulls, Fire: false},
		{Name: "without live data zdcd cannot tell", SQL: `ALTER TABLE shop_product ALTER COLUMN sku SET NOT NULL`, Fire: false},
		{Name: "the check failed: unknown", SQL: `ALTER TABLE shop_product ALTER COLUMN sku SET NOT NULL`, Catalog: &liveData{failing: true}, Fire: false},
		{Name: "table created earlier in the release", SQL: `ALTER TABLE shop_product ALTER COLUMN sku SET NOT NULL`, Created: []string{"shop_product"}, Catalog: nulls, Fire: false},
	})
}
