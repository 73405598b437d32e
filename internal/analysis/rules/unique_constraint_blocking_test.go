package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestUniqueConstraintBlocking(t *testing.T) {
	order := &plan.Model{App: "shop", Name: "order", TableBefore: "shop_order", TableAfter: "shop_order"}
	analysistest.Run(t, UniqueConstraintBlocking, []analysistest.Case{
		{Name: "Django AlterUniqueTogether", Ops: []plan.Operation{{Class: "AlterUniqueTogether", Model: order, SQL: []plan.Statement{
			{SQL: `ALTER TABLE "shop_order" ADD CONSTRAINT "shop_order_code_n_d1e47907_uniq" UNIQUE ("code", "n");`},
		}}}, Fire: true, Contains: []string{"ACCESS EXCLUSIVE", "reads included", "duplicates",
			`CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "shop_order_code_n_d1e47907_uniq" ON "shop_order" ("code", "n");`,
			`ADD CONSTRAINT "shop_order_code_n_d1e47907_uniq" UNIQUE USING INDEX "shop_order_code_n_d1e47907_uniq"`, "atomic = False", "state_operations"}},
		{Name: "Django AddConstraint(UniqueConstraint)", Ops: []plan.Operation{{Class: "AddConstraint", Model: order, SQL: []plan.Statement{
			{SQL: `ALTER TABLE "shop_order" ADD CONSTRAINT "uniq_code" UNIQUE ("code");`},
		}}}, Fire: true},
		{Name: "Django AlterField(unique=True) on a CharField with db_index", Ops: []plan.Operation{{Class: "AlterField", Model: order, SQL: []plan.Statement{
			{SQL: `DROP INDEX IF EXISTS "shop_order_code_15db80c4";`},
			{SQL: `DROP INDEX IF EXISTS "shop_order_code_15db80c4_like";`},
			{SQL: `ALTER TABLE "shop_order" ADD CONSTRAINT "shop_order_code_15db80c4_uniq" UNIQUE ("code");`},
			{SQL: `CREATE INDEX "shop_order_code_15db80c4_like" ON "shop_order" ("code" varchar_pattern_ops);`},
		}}}, Fire: true, Count: 1},
		{Name: "Django AddField(unique=True)", Ops: []plan.Operation{{Class: "AddField", Model: order, SQL: []plan.Statement{
			{SQL: `ALTER TABLE "shop_order" ADD COLUMN "ref" varchar(10) NULL UNIQUE;`},
			{SQL: `CREATE INDEX "shop_order_ref_133f9a7a_like" ON "shop_order" ("ref" varchar_pattern_ops);`, Deferred: true},
		}}}, Fire: true, Contains: []string{"ADD COLUMN ref ... UNIQUE", "without unique=True", `"shop_order_ref_key"`}},
		{Name: "unnamed table constraint", SQL: `ALTER TABLE t ADD UNIQUE (a, b)`, Fire: true, Contains: []string{`"t_a_b_key"`}},
		{Name: "non-atomic still blocks for the statement", SQL: `ALTER TABLE t ADD CONSTRAINT u UNIQUE (a)`, NonAtomic: true, Fire: true},
		{Name: "using an index built concurrently", SQL: `ALTER TABLE "shop_order" ADD CONSTRAINT "uniq_code" UNIQUE USING INDEX "uniq_code"`, Fire: false},
		{Name: "concurrent unique index", SQL: `CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uniq_code ON shop_order (code)`, NonAtomic: true, Fire: false},
		{Name: "table created earlier in the release", SQL: `ALTER TABLE new_table ADD CONSTRAINT u UNIQUE (a)`, Created: []string{"new_table"}, Fire: false},
		{Name: "new table with unique columns", SQL: `CREATE TABLE n (a int UNIQUE, b int, UNIQUE (b))`, Fire: false},
		{Name: "primary key is another rule's", SQL: `ALTER TABLE t ADD COLUMN id bigint PRIMARY KEY`, Fire: false},
	})
}
