package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestBackfillInDDLTx(t *testing.T) {
	addField := plan.Operation{Class: "AddField", Module: fieldsModule, Model: productModel(),
		SQL: sqlOf(`ALTER TABLE "shop_product" ADD COLUMN "slug" varchar(50) NULL;`)}
	addIndexedField := plan.Operation{Class: "AddField", Module: fieldsModule, Model: productModel(),
		SQL: []plan.Statement{
			{SQL: `ALTER TABLE "shop_product" ADD COLUMN "slug" varchar(50) NULL;`},
			{SQL: `CREATE INDEX "shop_product_slug" ON "shop_product" ("slug");`, Deferred: true},
		}}
	runPython := plan.Operation{Class: "RunPython", Module: specialModule, Python: &plan.PythonCode{Function: "shop.migrations.0013.fill_slugs", File: "shop/migrations/0013.py", Line: 5}}
	analysistest.Run(t, BackfillInDDLTx, []analysistest.Case{
		{Name: "AddField then RunPython in one atomic migration", Ops: []plan.Operation{addField, runPython},
			Fire: true, Count: 1, Contains: []string{"fill_slugs", "ACCESS EXCLUSIVE on shop_product", "AddField at line 10", "reads included"}},
		{Name: "ADD COLUMN then UPDATE in one RunSQL", SQL: `ALTER TABLE shop_product ADD COLUMN slug text; UPDATE shop_product SET slug = lower(name)`,
			Fire: true, Count: 1, Contains: []string{"This UPDATE"}},
		{Name: "even in a non-atomic migration, one string is one transaction", NonAtomic: true,
			SQL: `ALTER TABLE shop_product ADD COLUMN slug text; UPDATE shop_product SET slug = lower(name) WHERE slug IS NULL`, Fire: true},
		{Name: "a blocking index build, then INSERT ... SELECT", SQL: `CREATE INDEX i ON shop_product (name); INSERT INTO shop_archive SELECT * FROM shop_product`,
			Fire: true, Contains: []string{"every INSERT, UPDATE and DELETE on shop_product"}},
		{Name: "the backfill first, then the DDL", Ops: []plan.Operation{runPython, addField}, Fire: false},
		{Name: "AddField(db_index=True) then RunPython: the ADD COLUMN's lock is held, the index comes later", Ops: []plan.Operation{addIndexedField, runPython}, Fire: true, Count: 1},
		{Name: "non-atomic migration: each operation commits", NonAtomic: true, Ops: []plan.Operation{addField, runPython}, Fire: false},
		{Name: "separate strings of a non-atomic migration", NonAtomic: true, Ops: []plan.Operation{
			{Class: "RunSQL", Module: specialModule, SQL: sqlOf(`ALTER TABLE shop_product ADD COLUMN slug text`)},
			{Class: "RunSQL", Module: specialModule, SQL: sqlOf(`UPDATE shop_product SET slug = lower(name)`)},
		}, Fire: false},
		{Name: "DDL on a table of this release", SQL: `CREATE TABLE n (a int); ALTER TABLE n ADD COLUMN b int; INSERT INTO n SELECT id, id FROM shop_product`, Fire: false},
		{Name: "VALIDATE CONSTRAINT does not block writes", SQL: `ALTER TABLE shop_product VALIDATE CONSTRAINT c; UPDATE shop_product SET slug = 'x' WHERE slug IS NULL`, Fire: false},
		{Name: "Django's own backfill of AlterField is not-null-with-default-update's", Ops: []plan.Operation{{Class: "AlterField", Module: fieldsModule, Model: productModel(),
			SQL: sqlOf(`ALTER TABLE "shop_product" ALTER COLUMN "sku" SET DEFAULT '';`, `UPDATE "shop_product" SET "sku" = '' WHERE "sku" IS NULL;`,
				`ALTER TABLE "shop_product" ALTER COLUMN "sku" SET NOT NULL;`, `ALTER TABLE "shop_product" ALTER COLUMN "sku" DROP DEFAULT;`)}}, Fire: false},
		{Name: "RunPython.noop after DDL", Ops: []plan.Operation{addField, {Class: "RunPython", Module: specialModule, Python: &plan.PythonCode{Function: runPythonNoop}}}, Fire: false},
	})
}
