package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestMissingLockTimeout(t *testing.T) {
	sqlFile := func(stmts ...string) []plan.Operation {
		var ops []plan.Operation
		for i, s := range stmts {
			ops = append(ops, plan.Operation{Class: "SQL", Line: i + 1, SQL: []plan.Statement{{SQL: s}}})
		}
		return ops
	}
	runSQL := func(sql string) plan.Operation {
		return plan.Operation{Class: "RunSQL", SQL: []plan.Statement{{SQL: sql}}, RunSQL: &plan.RunSQL{SQL: []string{sql}}}
	}
	order := &plan.Model{App: "shop", Name: "order", TableBefore: "shop_order", TableAfter: "shop_order"}
	addField := plan.Operation{Class: "AddField", Model: order, SQL: []plan.Statement{{SQL: `ALTER TABLE "shop_order" ADD COLUMN "note" text NULL;`}}}
	analysistest.Run(t, MissingLockTimeout, []analysistest.Case{
		{Name: "RunSQL turns it off before an ALTER", SQL: `SET lock_timeout = 0; ALTER TABLE shop_order ADD COLUMN note text`, Fire: true,
			Contains: []string{"ACCESS EXCLUSIVE lock on shop_order", "`SET lock_timeout = 0`", "queues behind it", "ZDCD_LOCK_TIMEOUT"}},
		{Name: "off in one operation, the lock in the next", Ops: []plan.Operation{runSQL(`SET lock_timeout TO '0'`), addField}, Fire: true, Count: 1},
		{Name: "SET LOCAL off in an atomic migration", SQL: `SET LOCAL lock_timeout = '0ms'; CREATE INDEX i ON shop_order (a)`, Fire: true, Contains: []string{"SHARE lock"}},
		{Name: "a long timeout is no timeout for a web app", SQL: `SET lock_timeout = '1min'; ALTER TABLE shop_order ADD COLUMN note text`, Fire: true},
		{Name: "30 seconds exactly", SQL: `SET lock_timeout = 30000; ALTER TABLE shop_order ADD COLUMN note text`, Fire: true},
		{Name: "left off for the next migrations", Ops: []plan.Operation{runSQL(`SET lock_timeout = 0`), {Class: "AddIndexConcurrently", Model: order,
			SQL: []plan.Statement{{SQL: `CREATE INDEX CONCURRENTLY "shop_order_note_idx" ON "shop_order" ("note");`}}}}, NonAtomic: true, Fire: true,
			Contains: []string{"every later migration", "RESET lock_timeout"}},
		{Name: "plain SQL file without any timeout", Ops: sqlFile(`ALTER TABLE shop_order ADD COLUMN note text`, `CREATE INDEX i ON shop_order (note)`), Fire: true, Count: 1,
			Contains: []string{"no lock_timeout set", "SET lock_timeout = '2s'"}},
		{Name: "plain SQL file that resets it", Ops: sqlFile(`SET lock_timeout = '2s'`, `RESET lock_timeout`, `ALTER TABLE shop_order ADD COLUMN note text`), Fire: true},

		{Name: "off, then restored before the lock", SQL: `SET lock_timeout = 0; SET lock_timeout = '2s'; ALTER TABLE shop_order ADD COLUMN note text`, Fire: false},
		{Name: "RESET goes back to zdcd's timeout", SQL: `SET lock_timeout = 0; RESET lock_timeout; ALTER TABLE shop_order ADD COLUMN note text`, Fire: false},
		{Name: "off only for a concurrent build, then reset", Ops: []plan.Operation{runSQL(`SET lock_timeout = 0`),
			{Class: "AddIndexConcurrently", Model: order, SQL: []plan.Statement{{SQL: `CREATE INDEX CONCURRENTLY "shop_order_note_idx" ON "shop_order" ("note");`}}},
			runSQL(`RESET lock_timeout`)}, NonAtomic: true, Fire: false},
		{Name: "SET LOCAL ends with its transaction", Ops: []plan.Operation{runSQL(`SET LOCAL lock_timeout = 0; ALTER TABLE shop_order VALIDATE CONSTRAINT c`), addField}, NonAtomic: true, Fire: false},
		{Name: "a short timeout", SQL: `SET lock_timeout = '5s'; ALTER TABLE shop_order ADD COLUMN note text`, Fire: false},
		{Name: "Django migration with no SET: zdcd's timeout applies", Ops: []plan.Operation{addField}, Fire: false},
		{Name: "a lock that does not block writes", SQL: `SET lock_timeout = 0; ALTER TABLE shop_order VALIDATE CONSTRAINT c; RESET lock_timeout`, Fire: false},
		{Name: "table created earlier in the release", SQL: `SET lock_timeout = 0; ALTER TABLE n ADD COLUMN c int; RESET lock_timeout`, Created: []string{"n"}, Fire: false},
		{Name: "plain SQL file that sets one", Ops: sqlFile(`SET lock_timeout = '2s'`, `ALTER TABLE shop_order ADD COLUMN note text`), Fire: false},
	})
}
