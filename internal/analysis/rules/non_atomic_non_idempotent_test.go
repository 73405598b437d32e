package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestNonAtomicNonIdempotent(t *testing.T) {
	product := &plan.Model{App: "shop", Name: "product", TableBefore: "shop_product", TableAfter: "shop_product"}
	addIndexConcurrently := plan.Operation{Class: "AddIndexConcurrently", Model: product, SQL: []plan.Statement{
		{SQL: `CREATE INDEX CONCURRENTLY "shop_product_name_idx" ON "shop_product" ("name");`},
	}}
	sqlFileCIC := addIndexConcurrently
	sqlFileCIC.Class = "SQL"
	addField := plan.Operation{Class: "AddField", Model: product, SQL: []plan.Statement{
		{SQL: `ALTER TABLE "shop_product" ADD COLUMN "note" text NULL;`},
	}}
	guarded := plan.Operation{Class: "RunSQL", SQL: []plan.Statement{
		{SQL: `DROP INDEX CONCURRENTLY IF EXISTS "shop_product_name_idx";`},
		{SQL: `CREATE INDEX CONCURRENTLY IF NOT EXISTS "shop_product_name_idx" ON "shop_product" ("name");`},
	}}
	runPython := plan.Operation{Class: "RunPython", Python: &plan.PythonCode{Function: "shop.migrations.0009.fill"}}
	analysistest.Run(t, NonAtomicNonIdempotent, []analysistest.Case{
		{Name: "bare CREATE INDEX CONCURRENTLY in a .sql file", Ops: []plan.Operation{sqlFileCIC}, NonAtomic: true, Fire: true,
			Contains: []string{"INVALID index", `relation shop_product_name_idx already exists`, "SeparateDatabaseAndState", "state_operations=[AddIndex(",
				`CREATE INDEX CONCURRENTLY IF NOT EXISTS "shop_product_name_idx" ON "shop_product" ("name");`, `DROP INDEX CONCURRENTLY IF EXISTS "shop_product_name_idx";`}},
		// zdcd-release's runner drops the INVALID leftover of a cancelled build before a retry.
		{Name: "Django AddIndexConcurrently alone: the runner repairs a cancelled build", Ops: []plan.Operation{addIndexConcurrently}, NonAtomic: true, Fire: false},
		{Name: "AddField then AddIndexConcurrently: the committed column", Ops: []plan.Operation{addField, addIndexConcurrently}, NonAtomic: true, Fire: true, Count: 1,
			Contains: []string{"the column already exists"}},
		{Name: "AddIndexConcurrently then a step that can fail: the VALID index", Ops: []plan.Operation{addIndexConcurrently, runPython}, NonAtomic: true, Fire: true, Count: 1,
			Contains: []string{"the index already exists"}},
		{Name: "several unguarded DDL statements", Ops: []plan.Operation{
			{Class: "RunSQL", SQL: []plan.Statement{{SQL: `ALTER TABLE t ADD COLUMN a int`}}},
			{Class: "RunSQL", SQL: []plan.Statement{{SQL: `CREATE TABLE u (id int)`}}},
			{Class: "RunSQL", SQL: []plan.Statement{{SQL: `ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)`}}},
		}, NonAtomic: true, Fire: true, Count: 1, Contains: []string{"`ALTER TABLE t ADD COLUMN a int` (RunSQL, line 10: the column already exists)", "`CREATE TABLE u (id int)`", "IF NOT EXISTS"}},
		{Name: "a RunPython after a committed ALTER", Ops: []plan.Operation{addField, runPython}, NonAtomic: true, Fire: true},
		{Name: "rename then something else", Ops: []plan.Operation{
			{Class: "RenameField", SQL: []plan.Statement{{SQL: `ALTER TABLE "t" RENAME COLUMN "a" TO "b";`}}}, addField}, NonAtomic: true, Fire: true, Contains: []string{"old name"}},

		{Name: "guarded concurrent build", Ops: []plan.Operation{guarded}, NonAtomic: true, Fire: false},
		{Name: "guarded statements", Ops: []plan.Operation{
			{Class: "RunSQL", SQL: []plan.Statement{{SQL: `ALTER TABLE t ADD COLUMN IF NOT EXISTS a int`}}},
			{Class: "RunSQL", SQL: []plan.Statement{{SQL: `CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)`}}},
			{Class: "RunSQL", SQL: []plan.Statement{{SQL: `DROP INDEX CONCURRENTLY IF EXISTS j`}}},
		}, NonAtomic: true, Fire: false},
		{Name: "one unguarded statement, last: it rolls back by itself", Ops: []plan.Operation{guarded, addField}, NonAtomic: true, Fire: false},
		{Name: "a multi-statement string is one transaction", Ops: []plan.Operation{{Class: "RunSQL", SQL: []plan.Statement{{SQL: `ALTER TABLE t ADD COLUMN a int; ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)`}}}}, NonAtomic: true, Fire: false},
		{Name: "atomic migration", Ops: []plan.Operation{addField, addIndexConcurrently}, Fire: false},
		{Name: "CIC in a string is concurrently-in-transaction's", SQL: `SET lock_timeout = 0; CREATE INDEX CONCURRENTLY i ON t (a)`, NonAtomic: true, Fire: false},
		{Name: "data changes are not counted", Ops: []plan.Operation{{Class: "RunSQL", SQL: []plan.Statement{{SQL: `UPDATE t SET a = 1 WHERE a IS NULL`}}}, guarded}, NonAtomic: true, Fire: false},
	})
}
