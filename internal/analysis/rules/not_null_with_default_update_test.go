package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestNotNullWithDefaultUpdate(t *testing.T) {
	sku := &plan.Field{Name: "sku", Column: "sku", Class: "CharField", DBType: "varchar(32)", Null: true}
	notNull := *sku
	notNull.Null = false
	notNull.Default = &plan.Default{Repr: "'unknown'"}
	fourWay := columnsOp("AlterField", sku, &notNull,
		`ALTER TABLE "shop_product" ALTER COLUMN "sku" SET DEFAULT 'unknown'`,
		`UPDATE "shop_product" SET "sku" = 'unknown' WHERE "sku" IS NULL; SET CONSTRAINTS ALL IMMEDIATE`,
		`ALTER TABLE "shop_product" ALTER COLUMN "sku" SET NOT NULL`,
		`ALTER TABLE "shop_product" ALTER COLUMN "sku" DROP DEFAULT`)
	oldDjango := columnsOp("AlterField", sku, &notNull,
		`ALTER TABLE "shop_product" ALTER COLUMN "sku" SET DEFAULT 'unknown'`,
		`UPDATE "shop_product" SET "sku" = 'unknown' WHERE "sku" IS NULL`,
		`ALTER TABLE "shop_product" ALTER COLUMN "sku" SET NOT NULL`,
		`ALTER TABLE "shop_product" ALTER COLUMN "sku" DROP DEFAULT`)
	analysistest.Run(t, NotNullWithDefaultUpdate, []analysistest.Case{
		{Name: "Django's 4-way alteration", Ops: fourWay, Fire: true, Count: 1,
			Contains: []string{"AlterField", "ACCESS EXCLUSIVE", "until the migration commits", "atomic = False", "SeparateDatabaseAndState", "ValidateConstraint"}},
		{Name: "Django 3.2's 4-way alteration", Ops: oldDjango, Fire: true, Count: 1},
		{Name: "the same pattern by hand in RunSQL", SQL: `ALTER TABLE t ALTER COLUMN c SET DEFAULT 0; UPDATE t SET c = 0 WHERE c IS NULL; ALTER TABLE t ALTER COLUMN c SET NOT NULL`, Fire: true},

		{Name: "non-atomic: the UPDATE holds no ALTER lock", NonAtomic: true, Ops: oldDjango, Fire: false},
		{Name: "AlterField without a default", Ops: columnsOp("AlterField", sku, &plan.Field{Name: "sku", Column: "sku", DBType: "varchar(32)"},
			`ALTER TABLE "shop_product" ALTER COLUMN "sku" SET NOT NULL`), Fire: false},
		{Name: "UPDATE after unrelated DDL (backfill-in-ddl-tx's)", SQL: `ALTER TABLE t ADD COLUMN c int; UPDATE t SET c = 0`, Fire: false},
		{Name: "UPDATE of another table", SQL: `ALTER TABLE t ALTER COLUMN c SET DEFAULT 0; UPDATE u SET c = 0 WHERE c IS NULL; ALTER TABLE u ALTER COLUMN c SET NOT NULL`, Fire: false},
		{Name: "table created in the release", Ops: fourWay, Created: []string{"shop_product"}, Fire: false},
	})
}
