package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestSetNotNullScan(t *testing.T) {
	sku := func(null bool) *plan.Field {
		return &plan.Field{Name: "sku", Column: "sku", Class: "CharField", DBType: "varchar(32)", Null: null}
	}
	withDefault := sku(false)
	withDefault.Default = &plan.Default{Repr: "''"}
	catalog := columnsCatalog{notNull: map[string]bool{"shop_product.sku": true}}
	analysistest.Run(t, SetNotNullScan, []analysistest.Case{
		{Name: "Django AlterField null=False (shop 0006)", Ops: columnsOp("AlterField", sku(true), sku(false),
			`ALTER TABLE "shop_product" ALTER COLUMN "sku" SET NOT NULL`), Fire: true,
			Contains: []string{"ACCESS EXCLUSIVE", "reads every row", "until the migration commits", "NOT VALID", "AddConstraintNotValid", "ValidateConstraint"}},
		{Name: "Django's 4-way alteration", Ops: columnsOp("AlterField", sku(true), withDefault,
			`ALTER TABLE "shop_product" ALTER COLUMN "sku" SET DEFAULT ''`,
			`UPDATE "shop_product" SET "sku" = '' WHERE "sku" IS NULL; SET CONSTRAINTS ALL IMMEDIATE`,
			`ALTER TABLE "shop_product" ALTER COLUMN "sku" SET NOT NULL`,
			`ALTER TABLE "shop_product" ALTER COLUMN "sku" DROP DEFAULT`), Fire: true, Count: 1},
		{Name: "PostgreSQL 11 ignores a validated check", SQL: `ALTER TABLE shop_product ALTER COLUMN sku SET NOT NULL`, Catalog: catalog,
			Version: analysis.PG12 - 1, Fire: true, Contains: []string{"Upgrade to PostgreSQL 12"}},
		{Name: "check added NOT VALID but never validated", NonAtomic: true, Ops: []plan.Operation{
			{Class: "RunSQL", SQL: []plan.Statement{{SQL: `ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID`}}},
			{Class: "RunSQL", SQL: []plan.Statement{{SQL: `ALTER TABLE t ALTER COLUMN c SET NOT NULL`}}},
		}, Fire: true},
		{Name: "validated check on another column", SQL: `ALTER TABLE t ADD CONSTRAINT d_nn CHECK (d IS NOT NULL); ALTER TABLE t ALTER COLUMN c SET NOT NULL`, Fire: true},
		{Name: "validated check then dropped", SQL: `ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL); ALTER TABLE t DROP CONSTRAINT c_nn; ALTER TABLE t ALTER COLUMN c SET NOT NULL`, Fire: true},

		{Name: "validated check in the database (PostgreSQL 12+)", SQL: `ALTER TABLE shop_product ALTER COLUMN sku SET NOT NULL`, Catalog: catalog, Fire: false},
		{Name: "the CHECK pattern in one non-atomic migration", NonAtomic: true, Ops: []plan.Operation{
			{Class: "AddConstraintNotValid", SQL: []plan.Statement{{SQL: `ALTER TABLE "t" ADD CONSTRAINT "c_nn" CHECK ("c" IS NOT NULL) NOT VALID`}}},
			{Class: "ValidateConstraint", SQL: []plan.Statement{{SQL: `ALTER TABLE "t" VALIDATE CONSTRAINT "c_nn"`}}},
			{Class: "AlterField", SQL: []plan.Statement{{SQL: `ALTER TABLE "t" ALTER COLUMN "c" SET NOT NULL`}}},
		}, Fire: false},
		{Name: "check validated when added, same statement", SQL: `ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL), ALTER COLUMN c SET NOT NULL`, Fire: false},
		{Name: "table created in the release", SQL: `ALTER TABLE n ALTER COLUMN c SET NOT NULL`, Created: []string{"n"}, Fire: false},
		{Name: "DROP NOT NULL", SQL: `ALTER TABLE t ALTER COLUMN c DROP NOT NULL`, Fire: false},
	})
}
