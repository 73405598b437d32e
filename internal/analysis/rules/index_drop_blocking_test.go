package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestIndexDropBlocking(t *testing.T) {
	order := &plan.Model{App: "shop", Name: "order", TableBefore: "shop_order", TableAfter: "shop_order"}
	analysistest.Run(t, IndexDropBlocking, []analysistest.Case{
		{Name: "Django RemoveIndex", Ops: []plan.Operation{{Class: "RemoveIndex", Model: order, SQL: []plan.Statement{
			{SQL: `DROP INDEX IF EXISTS "shop_order_n_idx";`},
		}}}, Fire: true, Contains: []string{"ACCESS EXCLUSIVE lock on shop_order", "reads included", "RemoveIndexConcurrently", "atomic = False", `DROP INDEX CONCURRENTLY IF EXISTS "shop_order_n_idx"`, "until the migration commits"}},
		{Name: "Django AlterField dropping db_index on a CharField", Ops: []plan.Operation{{Class: "AlterField", Model: order, SQL: []plan.Statement{
			{SQL: `DROP INDEX IF EXISTS "shop_order_code_15db80c4";`},
			{SQL: `DROP INDEX IF EXISTS "shop_order_code_15db80c4_like";`},
		}}}, Fire: true, Count: 2, Contains: []string{"SeparateDatabaseAndState"}},
		{Name: "raw SQL: the table is unknown", SQL: `DROP INDEX shop_order_n_idx`, Fire: true, Contains: []string{"its table"}},
		{Name: "several indexes in one statement", SQL: `DROP INDEX a, b`, Fire: true, Count: 1, Contains: []string{"indexes a, b"}},
		{Name: "non-atomic migration still blocks for the statement", SQL: `DROP INDEX IF EXISTS i`, NonAtomic: true, Fire: true},
		{Name: "concurrently", SQL: `DROP INDEX CONCURRENTLY IF EXISTS "shop_order_n_idx"`, NonAtomic: true, Fire: false},
		{Name: "index of a table created earlier in the release", Ops: []plan.Operation{{Class: "RemoveIndex", Model: order, SQL: []plan.Statement{
			{SQL: `DROP INDEX IF EXISTS "shop_order_n_idx";`},
		}}}, Created: []string{"shop_order"}, Fire: false},
		{Name: "Django AlterField varchar to text drops the _like index under the lock it already holds", Ops: []plan.Operation{{Class: "AlterField", Model: order, SQL: []plan.Statement{
			{SQL: `ALTER TABLE "shop_order" ALTER COLUMN "code" TYPE text USING "code"::text;`},
			{SQL: `DROP INDEX IF EXISTS "shop_order_code_15db80c4_like";`},
		}}}, Fire: false},
		{Name: "index created in this migration on a new table", SQL: `CREATE TABLE n (a int); CREATE INDEX i ON n (a); DROP INDEX i`, Fire: false},
		{Name: "not an index", SQL: `DROP TABLE t`, Fire: false},
	})
}
