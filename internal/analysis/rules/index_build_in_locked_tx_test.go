package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestIndexBuildInLockedTx(t *testing.T) {
	order := &plan.Model{App: "shop", Name: "order", TableBefore: "shop_order", TableAfter: "shop_order"}
	dbIndex := plan.Operation{Class: "AddField", Model: order, SQL: []plan.Statement{
		{SQL: `ALTER TABLE "shop_order" ADD COLUMN "ref" varchar(10) NULL;`},
		{SQL: `CREATE INDEX "shop_order_ref_133f9a7a" ON "shop_order" ("ref");`, Deferred: true},
		{SQL: `CREATE INDEX "shop_order_ref_133f9a7a_like" ON "shop_order" ("ref" varchar_pattern_ops);`, Deferred: true},
	}}
	fk := plan.Operation{Class: "AddField", Model: &plan.Model{App: "blog", Name: "post", TableBefore: "blog_post", TableAfter: "blog_post"}, SQL: []plan.Statement{
		{SQL: `ALTER TABLE "blog_post" ADD COLUMN "featured_product_id" bigint NULL CONSTRAINT "blog_post_featured_product_id_1aa95d36_fk_shop_product_id" REFERENCES "shop_product"("id") DEFERRABLE INITIALLY DEFERRED; SET CONSTRAINTS "blog_post_featured_product_id_1aa95d36_fk_shop_product_id" IMMEDIATE;`},
		{SQL: `CREATE INDEX "blog_post_featured_product_id_1aa95d36" ON "blog_post" ("featured_product_id");`, Deferred: true},
	}}
	analysistest.Run(t, IndexBuildInLockedTx, []analysistest.Case{
		{Name: "Django AddField(db_index=True) on a CharField: one finding for both builds", Ops: []plan.Operation{dbIndex}, Fire: true, Count: 1,
			Contains: []string{"indexes shop_order_ref_133f9a7a and shop_order_ref_133f9a7a_like", "reads included", "until the migration commits",
				`CREATE INDEX CONCURRENTLY IF NOT EXISTS "shop_order_ref_133f9a7a_like" ON "shop_order" ("ref" varchar_pattern_ops);`, "db_index=False", "atomic = False"}},
		{Name: "Django ForeignKey AddField", Ops: []plan.Operation{fk}, Fire: true, Contains: []string{"blog_post", "ADD COLUMN"}},
		{Name: "AddIndex after an AlterField of the same table", Ops: []plan.Operation{
			{Class: "AlterField", Model: order, SQL: []plan.Statement{{SQL: `ALTER TABLE "shop_order" ALTER COLUMN "code" TYPE varchar(64);`}}},
			{Class: "AddIndex", Model: order, SQL: []plan.Statement{{SQL: `CREATE INDEX "shop_order_code_idx" ON "shop_order" ("code");`}}},
		}, Fire: true, Contains: []string{"AlterField, line 10"}},
		{Name: "raw SQL in one string", SQL: `ALTER TABLE t ADD COLUMN c int; CREATE INDEX t_c ON t (c)`, NonAtomic: true, Fire: true, Contains: []string{"implicit transaction of its multi-statement string"}},
		{Name: "non-atomic migration: the lock ends with each statement", Ops: []plan.Operation{dbIndex}, NonAtomic: true, Fire: false},
		{Name: "index on another table than the locked one", SQL: `ALTER TABLE a ADD COLUMN c int; CREATE INDEX b_x ON b (x)`, Fire: false},
		{Name: "only a SHARE ROW EXCLUSIVE lock held (FK to the indexed table)", SQL: `ALTER TABLE a ADD CONSTRAINT fk FOREIGN KEY (b_id) REFERENCES b (id) NOT VALID; CREATE INDEX b_x ON b (x)`, Fire: false},
		{Name: "table created earlier in the release", Ops: []plan.Operation{dbIndex}, Created: []string{"shop_order"}, Fire: false},
		{Name: "plain index build without a prior lock", SQL: `CREATE INDEX i ON t (a)`, Fire: false},
	})
}
