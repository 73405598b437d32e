package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestFKDropped(t *testing.T) {
	fk := &plan.Field{Name: "maker", Column: "maker_id", Class: "ForeignKey", Null: true, Related: "shop.Maker", RelatedTable: "shop_maker", DBConstraint: true}
	noConstraint := &plan.Field{Name: "maker", Column: "maker_id", Class: "ForeignKey", Null: true, Related: "shop.Maker", RelatedTable: "shop_maker"}
	plainInt := &plan.Field{Name: "maker", Column: "maker_id", Class: "IntegerField", Null: true}
	dropFK := `ALTER TABLE "shop_product" DROP CONSTRAINT "shop_product_maker_id_1f2e3d4c_fk_shop_maker_id";`
	alterField := func(old, new *plan.Field, sql ...string) plan.Operation {
		return plan.Operation{Class: "AlterField", Module: fieldsModule, Model: productModel(), OldField: old, NewField: new, SQL: sqlOf(sql...)}
	}
	analysistest.Run(t, FKDropped, []analysistest.Case{
		{Name: "AlterField to db_constraint=False", Ops: []plan.Operation{alterField(fk, noConstraint, dropFK)},
			Fire: true, Count: 1, Contains: []string{"db_constraint=False", "shop_maker", "NOT VALID"}},
		{Name: "AlterField from ForeignKey to IntegerField", Ops: []plan.Operation{alterField(fk, plainInt, dropFK)},
			Fire: true, Count: 1, Contains: []string{"IntegerField without a relation"}},
		{Name: "raw DROP CONSTRAINT with Django's name", SQL: `ALTER TABLE shop_product DROP CONSTRAINT shop_product_maker_id_1f2e3d4c_fk_shop_maker_id`, Fire: true},
		{Name: "raw DROP CONSTRAINT with PostgreSQL's name", SQL: `ALTER TABLE shop_product DROP CONSTRAINT IF EXISTS shop_product_maker_id_fkey`, Fire: true},
		{Name: "raw DROP CONSTRAINT the catalog says is a foreign key", SQL: `ALTER TABLE shop_product DROP CONSTRAINT product_maker`,
			Catalog: &liveData{kinds: map[string]string{"shop_product.product_maker": "f"}}, Fire: true},
		{Name: "the catalog says it is a check", SQL: `ALTER TABLE shop_product DROP CONSTRAINT shop_product_fk_check`,
			Catalog: &liveData{kinds: map[string]string{"shop_product.shop_product_fk_check": "c"}}, Fire: false},
		{Name: "dropped and re-added as NOT VALID", SQL: `ALTER TABLE shop_product DROP CONSTRAINT shop_product_maker_id_fkey; ALTER TABLE shop_product ADD CONSTRAINT shop_product_maker_id_fkey FOREIGN KEY (maker_id) REFERENCES shop_maker (id) NOT VALID`, Fire: false},
		{Name: "AlterField of a ForeignKey that stays constrained (type change re-creates it)", Ops: []plan.Operation{alterField(fk, fk, dropFK,
			`ALTER TABLE "shop_product" ALTER COLUMN "maker_id" TYPE bigint USING "maker_id"::bigint;`,
			`ALTER TABLE "shop_product" ADD CONSTRAINT "shop_product_maker_id_1f2e3d4c_fk_shop_maker_id" FOREIGN KEY ("maker_id") REFERENCES "shop_maker" ("id") DEFERRABLE INITIALLY DEFERRED;`)},
			Fire: false},
		{Name: "RemoveField of a ForeignKey: the column goes too (drop-column)", Ops: []plan.Operation{{Class: "RemoveField", Module: fieldsModule, Model: productModel(), OldField: fk,
			SQL: sqlOf(dropFK, `ALTER TABLE "shop_product" DROP COLUMN "maker_id" CASCADE;`)}}, Fire: false},
		{Name: "dropping a unique constraint", SQL: `ALTER TABLE shop_product DROP CONSTRAINT shop_product_sku_key`, Fire: false},
		{Name: "table created earlier in the release", SQL: `ALTER TABLE new_t DROP CONSTRAINT new_t_a_fkey`, Created: []string{"new_t"}, Fire: false},
	})
}
