package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestConcurrentlyInTransaction(t *testing.T) {
	order := &plan.Model{App: "shop", Name: "order", TableBefore: "shop_order", TableAfter: "shop_order"}
	addIndexConcurrently := plan.Operation{Class: "AddIndexConcurrently", Model: order, SQL: []plan.Statement{
		{SQL: `CREATE INDEX CONCURRENTLY "shop_order_code_idx" ON "shop_order" ("code");`},
	}}
	analysistest.Run(t, ConcurrentlyInTransaction, []analysistest.Case{
		{Name: "AddIndexConcurrently in an atomic migration", Ops: []plan.Operation{addIndexConcurrently}, Fire: true,
			Contains: []string{"CREATE INDEX CONCURRENTLY cannot run inside a transaction block", "atomic", "atomic = False"}},
		{Name: "SET and CIC in one RunSQL string of a non-atomic migration", SQL: `SET lock_timeout = 0; CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON shop_order (code)`, NonAtomic: true, Fire: true,
			Contains: []string{"holds 2 statements", "implicit transaction", "list element"}},
		{Name: "two CICs in one string", SQL: `CREATE INDEX CONCURRENTLY a ON t (a); CREATE INDEX CONCURRENTLY b ON t (b)`, NonAtomic: true, Fire: true, Count: 2},
		{Name: "drop index concurrently in an atomic migration", SQL: `DROP INDEX CONCURRENTLY IF EXISTS i`, Fire: true},
		{Name: "reindex concurrently", SQL: `REINDEX INDEX CONCURRENTLY i`, Fire: true},
		{Name: "detach concurrently", SQL: `ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY`, Fire: true},
		{Name: "vacuum", SQL: `VACUUM ANALYZE shop_order`, Fire: true, Contains: []string{"VACUUM cannot run"}},
		{Name: "reindex database", SQL: `REINDEX DATABASE app`, Fire: true},
		{Name: "new table: still a run-time error", SQL: `CREATE TABLE n (a int); CREATE INDEX CONCURRENTLY i ON n (a)`, NonAtomic: true, Fire: true},
		{Name: "enum value on PostgreSQL 11", SQL: `ALTER TYPE mood ADD VALUE 'meh'`, Version: 110020, Fire: true},

		{Name: "AddIndexConcurrently in a non-atomic migration", Ops: []plan.Operation{addIndexConcurrently}, NonAtomic: true, Fire: false},
		{Name: "one statement with comments in a non-atomic migration", SQL: "-- build it online\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);", NonAtomic: true, Fire: false},
		{Name: "SET and CIC as separate list elements", Ops: []plan.Operation{{Class: "RunSQL", SQL: []plan.Statement{{SQL: `SET lock_timeout = 0`}, {SQL: `CREATE INDEX CONCURRENTLY i ON t (a)`}}}}, NonAtomic: true, Fire: false},
		{Name: "plain index in a transaction", SQL: `CREATE INDEX i ON t (a)`, Fire: false},
		{Name: "ANALYZE alone may run in a transaction", SQL: `ANALYZE shop_order`, Fire: false},
		{Name: "enum value on PostgreSQL 12", SQL: `ALTER TYPE mood ADD VALUE 'meh'`, Version: analysis.PG12, Fire: false},
		{Name: "refresh concurrently may run in a transaction", SQL: `REFRESH MATERIALIZED VIEW CONCURRENTLY v`, Fire: false},
	})
}
