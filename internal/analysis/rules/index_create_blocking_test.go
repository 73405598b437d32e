package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestIndexCreateBlocking(t *testing.T) {
	analysistest.Run(t, IndexCreateBlocking, []analysistest.Case{
		{Name: "plain index on an existing table", SQL: `CREATE INDEX "i" ON "shop_order" ("created")`, Fire: true,
			Contains: []string{"SHARE lock", "CONCURRENTLY IF NOT EXISTS", "atomic = False", "SeparateDatabaseAndState"}},
		{Name: "unique index", SQL: `CREATE UNIQUE INDEX i ON t (a)`, Fire: true, Contains: []string{"unique index"}},
		{Name: "several in one string", SQL: `CREATE INDEX a ON t (a); CREATE INDEX b ON t (b)`, Fire: true, Count: 2},
		{Name: "Django's deferred index of db_index=True", Ops: []plan.Operation{{Class: "AddField", SQL: []plan.Statement{
			{SQL: `ALTER TABLE "shop_order" ADD COLUMN "code" varchar(32) NULL`},
			{SQL: `CREATE INDEX "shop_order_code_1" ON "shop_order" ("code")`, Deferred: true},
			{SQL: `CREATE INDEX "shop_order_code_1_like" ON "shop_order" ("code" varchar_pattern_ops)`, Deferred: true},
		}}}, Fire: true, Count: 2, Contains: []string{"end of the migration"}},
		{Name: "concurrently", SQL: `CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)`, NonAtomic: true, Fire: false},
		{Name: "table created earlier in the release", SQL: `CREATE INDEX i ON new_table (a)`, Created: []string{"new_table"}, Fire: false},
		{Name: "table created in the same migration", SQL: `CREATE TABLE n (a int); CREATE INDEX i ON n (a)`, Fire: false},
		{Name: "not an index", SQL: `ALTER TABLE t ADD COLUMN c int`, Fire: false},
	})
}
