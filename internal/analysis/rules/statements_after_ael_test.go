package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestStatementsAfterAEL(t *testing.T) {
	customer := &plan.Model{App: "accounts", Name: "customer", TableBefore: "accounts_customer", TableAfter: "accounts_customer"}
	order := &plan.Model{App: "shop", Name: "order", TableBefore: "shop_order", TableAfter: "shop_order"}
	post := &plan.Model{App: "blog", Name: "post", TableBefore: "blog_post", TableAfter: "blog_post"}
	isVIP := plan.Operation{Class: "AddField", Model: customer, SQL: []plan.Statement{
		{SQL: `ALTER TABLE "accounts_customer" ADD COLUMN "is_vip" boolean DEFAULT false NOT NULL;`},
		{SQL: `ALTER TABLE "accounts_customer" ALTER COLUMN "is_vip" DROP DEFAULT;`},
	}}
	phone := plan.Operation{Class: "AddField", Model: customer, SQL: []plan.Statement{{SQL: `ALTER TABLE "accounts_customer" ADD COLUMN "phone" varchar(20) NULL;`}}}
	fkField := plan.Operation{Class: "AddField", Model: post, SQL: []plan.Statement{
		{SQL: `ALTER TABLE "blog_post" ADD COLUMN "featured_product_id" bigint NULL CONSTRAINT "blog_post_featured_product_id_1aa95d36_fk_shop_product_id" REFERENCES "shop_product"("id") DEFERRABLE INITIALLY DEFERRED; SET CONSTRAINTS "blog_post_featured_product_id_1aa95d36_fk_shop_product_id" IMMEDIATE;`},
		{SQL: `CREATE INDEX "blog_post_featured_product_id_1aa95d36" ON "blog_post" ("featured_product_id");`, Deferred: true},
	}}
	orderIndex := plan.Operation{Class: "AddIndex", Model: order, SQL: []plan.Statement{{SQL: `CREATE INDEX "shop_order_created_idx" ON "shop_order" ("created");`}}}
	analysistest.Run(t, StatementsAfterAEL, []analysistest.Case{
		{Name: "AddField on one table, AddIndex on another", Ops: []plan.Operation{phone, orderIndex}, Fire: true,
			Contains: []string{"builds index shop_order_created_idx on shop_order", "ACCESS EXCLUSIVE lock on accounts_customer", "AddField, line 10", "reads included", "until the migration commits", "atomic = False"}},
		{Name: "once per transaction", Ops: []plan.Operation{phone, orderIndex, {Class: "AddIndex", Model: order, SQL: []plan.Statement{{SQL: `CREATE INDEX "shop_order_total_idx" ON "shop_order" ("total");`}}}},
			Fire: true, Count: 1, Contains: []string{"One more long statement follows"}},
		{Name: "a validating constraint on another table", SQL: `ALTER TABLE a ADD COLUMN c int; ALTER TABLE b ADD CONSTRAINT ck CHECK (x > 0)`, Fire: true, Contains: []string{"reads all of b"}},
		{Name: "a rewrite of another table", SQL: `ALTER TABLE a RENAME COLUMN x TO y; ALTER TABLE b ALTER COLUMN v TYPE bigint`, Fire: true, Contains: []string{"rewrites b"}},
		{Name: "an opaque statement", SQL: `ALTER TABLE a ADD COLUMN c int; SELECT app.rebuild_cache()`, Fire: true, Contains: []string{"SELECT statement"}},
		{Name: "a DO block", SQL: `ALTER TABLE a ADD COLUMN c int; DO $$ BEGIN PERFORM 1; END $$`, Fire: true, Contains: []string{"DO statement"}},
		{Name: "VALIDATE of a constraint added earlier in another statement", SQL: `ALTER TABLE a ADD COLUMN c int; ALTER TABLE a VALIDATE CONSTRAINT old_check`, Fire: true},
		{Name: "in one multi-statement string of a non-atomic migration", SQL: `ALTER TABLE a ADD COLUMN c int; CREATE INDEX b_x ON b (x)`, NonAtomic: true, Fire: true, Contains: []string{"until the transaction ends"}},

		{Name: "Django's DEFAULT + DROP DEFAULT pair", Ops: []plan.Operation{isVIP}, Fire: false},
		{Name: "several instant AddFields", Ops: []plan.Operation{isVIP, phone}, Fire: false},
		{Name: "ForeignKey AddField: SET CONSTRAINTS and its own index", Ops: []plan.Operation{fkField}, Fire: false},
		{Name: "index build on the locked table is index-build-in-locked-tx's", SQL: `ALTER TABLE a ADD COLUMN c int; CREATE INDEX a_c ON a (c)`, Fire: false},
		{Name: "a rewrite of the locked table itself", SQL: `ALTER TABLE a ADD COLUMN c int; ALTER TABLE a ALTER COLUMN d TYPE bigint`, Fire: false},
		{Name: "an UPDATE is backfill-in-ddl-tx's", SQL: `ALTER TABLE a ADD COLUMN c int; UPDATE b SET x = 1`, Fire: false},
		{Name: "NOT VALID then VALIDATE is validate-in-same-tx's", SQL: `ALTER TABLE a ADD CONSTRAINT ck CHECK (x > 0) NOT VALID; ALTER TABLE a VALIDATE CONSTRAINT ck`, Fire: false},
		{Name: "the long statement comes first", Ops: []plan.Operation{orderIndex, phone}, Fire: false},
		{Name: "non-atomic: the lock ends with its statement", Ops: []plan.Operation{phone, orderIndex}, NonAtomic: true, Fire: false},
		{Name: "the locked table was created earlier in the release", Ops: []plan.Operation{phone, orderIndex}, Created: []string{"accounts_customer"}, Fire: false},
		{Name: "the long statement is on a new table", SQL: `ALTER TABLE a ADD COLUMN c int; CREATE TABLE n (x int); CREATE INDEX n_x ON n (x)`, Fire: false},
		{Name: "truncate is quick", SQL: `ALTER TABLE a ADD COLUMN c int; TRUNCATE b`, Fire: false},
		{Name: "comments and grants", SQL: `ALTER TABLE a ADD COLUMN c int; COMMENT ON COLUMN a.c IS 'x'; GRANT SELECT ON a TO reporting`, Fire: false},
	})
}
