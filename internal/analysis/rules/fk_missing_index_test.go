package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestFKMissingIndex(t *testing.T) {
	order := &plan.Model{App: "shop", Name: "order", TableBefore: "shop_order", TableAfter: "shop_order"}
	buyer := func(dbIndex bool) *plan.Field {
		return &plan.Field{Name: "buyer", Column: "buyer_id", Class: "ForeignKey", DBType: "bigint", Null: true, DBIndex: dbIndex,
			Related: "shop.Customer", RelatedTable: "shop_customer", DBConstraint: true}
	}
	addFK := `ALTER TABLE "shop_order" ADD COLUMN "buyer_id" bigint NULL CONSTRAINT "shop_order_buyer_id_cffd21d9_fk_shop_customer_id" REFERENCES "shop_customer"("id") DEFERRABLE INITIALLY DEFERRED; SET CONSTRAINTS "shop_order_buyer_id_cffd21d9_fk_shop_customer_id" IMMEDIATE;`
	analysistest.Run(t, FKMissingIndex, []analysistest.Case{
		{Name: "Django ForeignKey(db_index=False)", Ops: []plan.Operation{{Class: "AddField", Model: order, NewField: buyer(false), SQL: []plan.Statement{{SQL: addFK}}}}, Fire: true,
			Contains: []string{"shop_order_buyer_id_cffd21d9_fk_shop_customer_id", "db_index=False", "scan all of shop_order", "shop_customer", "AddIndexConcurrently", "atomic = False"}},
		{Name: "raw SQL constraint", SQL: `ALTER TABLE shop_order ADD CONSTRAINT fk FOREIGN KEY (buyer_id) REFERENCES shop_customer (id) NOT VALID`, Fire: true,
			Contains: []string{`CREATE INDEX CONCURRENTLY IF NOT EXISTS "shop_order_buyer_id_idx" ON "shop_order" ("buyer_id")`}},
		{Name: "index on other columns", SQL: `ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a, b) REFERENCES u (x, y); CREATE INDEX i ON t (a, c, b)`, Fire: true},
		{Name: "partial index does not serve every key", SQL: `ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (x); CREATE INDEX i ON t (a) WHERE a > 0`, Fire: true},

		{Name: "Django ForeignKey with its deferred index", Ops: []plan.Operation{{Class: "AddField", Model: order, NewField: buyer(true), SQL: []plan.Statement{
			{SQL: addFK}, {SQL: `CREATE INDEX "shop_order_buyer_id_cffd21d9" ON "shop_order" ("buyer_id");`, Deferred: true}}}}, Fire: false},
		{Name: "Django AlterField db_constraint on, the field keeps its index", Ops: []plan.Operation{{Class: "AlterField", Model: order, NewField: buyer(true), SQL: []plan.Statement{
			{SQL: `ALTER TABLE "shop_order" ADD CONSTRAINT "shop_order_buyer_id_cffd21d9_fk_shop_customer_id" FOREIGN KEY ("buyer_id") REFERENCES "shop_customer" ("id") DEFERRABLE INITIALLY DEFERRED;`, Deferred: true}}}}, Fire: false},
		{Name: "index in the same migration, leading columns in another order", SQL: `ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a, b) REFERENCES u (x, y); CREATE INDEX i ON t (b, a, c)`, Fire: false},
		{Name: "unique constraint covers it", SQL: `ALTER TABLE t ADD CONSTRAINT u UNIQUE (a, z); ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (x)`, Fire: false},
		{Name: "unique column", SQL: `ALTER TABLE t ADD COLUMN a bigint UNIQUE REFERENCES u (x)`, Fire: false},
		{Name: "table created earlier in the release", SQL: `ALTER TABLE n ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (x)`, Created: []string{"n"}, Fire: false},
		{Name: "new table", SQL: `CREATE TABLE n (a bigint REFERENCES u (x))`, Fire: false},
	})
}
