package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestDefaultChangePartialWrites(t *testing.T) {
	tier := func(dbDefault string, null bool) *plan.Field {
		f := &plan.Field{Name: "tier", Column: "tier", Class: "CharField", DBType: "varchar(8)", Null: null}
		if dbDefault != "" {
			f.DBDefault = &plan.Default{Repr: dbDefault}
		}
		return f
	}
	catalog := columnsCatalog{defaults: map[string]string{"shop_order.total": "0"}}
	sku := &plan.Field{Name: "sku", Column: "sku", DBType: "varchar(32)", Null: true}
	skuNotNull := &plan.Field{Name: "sku", Column: "sku", DBType: "varchar(32)", Default: &plan.Default{Repr: "'x'"}}
	analysistest.Run(t, DefaultChangePartialWrites, []analysistest.Case{
		{Name: "Django 5 db_default change", Ops: columnsOp("AlterField", tier("'basic'", false), tier("'free'", false),
			`ALTER TABLE "accounts_customer" ALTER COLUMN "tier" SET DEFAULT 'free'`),
			Fire: true, Contains: []string{"'basic'", "'free'", "old code"}},
		{Name: "Django 5 db_default removed from a nullable field", Ops: columnsOp("AlterField", tier("'basic'", true), tier("", true),
			`ALTER TABLE "accounts_customer" ALTER COLUMN "tier" DROP DEFAULT`), Fire: true, Contains: []string{"NULL", "SeparateDatabaseAndState"}},
		{Name: "raw SQL SET DEFAULT on a column with a default (catalog)", SQL: `ALTER TABLE shop_order ALTER COLUMN total SET DEFAULT 1`, Catalog: catalog, Fire: true},

		{Name: "Django 5 db_default added", Ops: columnsOp("AlterField", tier("", false), tier("'basic'", false),
			`ALTER TABLE "accounts_customer" ALTER COLUMN "tier" SET DEFAULT 'basic'`), Fire: false},
		{Name: "Django's 4-way SET DEFAULT / DROP DEFAULT", Ops: columnsOp("AlterField", sku, skuNotNull,
			`ALTER TABLE "t" ALTER COLUMN "sku" SET DEFAULT 'x'`,
			`UPDATE "t" SET "sku" = 'x' WHERE "sku" IS NULL`,
			`ALTER TABLE "t" ALTER COLUMN "sku" SET NOT NULL`,
			`ALTER TABLE "t" ALTER COLUMN "sku" DROP DEFAULT`), Fire: false},
		{Name: "Django's add-then-drop default pair", Ops: columnsAddField(skuNotNull,
			`ALTER TABLE "t" ADD COLUMN "sku" varchar(32) DEFAULT 'x' NOT NULL`,
			`ALTER TABLE "t" ALTER COLUMN "sku" DROP DEFAULT`), Fire: false},
		{Name: "Django 5 db_default removed from a NOT NULL field (add-required-column's)", Ops: columnsOp("AlterField", tier("'basic'", false), tier("", false),
			`ALTER TABLE "accounts_customer" ALTER COLUMN "tier" DROP DEFAULT`), Fire: false},
		{Name: "shop 0012: RunSQL SET DEFAULT on a column without a default", SQL: `ALTER TABLE shop_order ALTER COLUMN total SET DEFAULT 0`, Fire: false},
		{Name: "raw SQL SET DEFAULT, catalog shows no default", SQL: `ALTER TABLE shop_order ALTER COLUMN quantity SET DEFAULT 1`, Catalog: catalog, Fire: false},
		{Name: "raw SQL transient default", SQL: `ALTER TABLE shop_order ALTER COLUMN total SET DEFAULT 1; UPDATE shop_order SET total = 1 WHERE total IS NULL; ALTER TABLE shop_order ALTER COLUMN total DROP DEFAULT`, Catalog: catalog, Fire: false},
		{Name: "table created in the release", Ops: columnsOp("AlterField", tier("'basic'", false), tier("'free'", false),
			`ALTER TABLE "accounts_customer" ALTER COLUMN "tier" SET DEFAULT 'free'`), Created: []string{"accounts_customer"}, Fire: false},
	})
}
