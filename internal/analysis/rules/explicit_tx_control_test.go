package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestExplicitTxControl(t *testing.T) {
	runSQL := func(sql string) plan.Operation {
		return plan.Operation{Class: "RunSQL", SQL: []plan.Statement{{SQL: sql}}, RunSQL: &plan.RunSQL{SQL: []string{sql}}}
	}
	sqlFile := func(stmts ...string) []plan.Operation {
		var ops []plan.Operation
		for i, s := range stmts {
			ops = append(ops, plan.Operation{Class: "SQL", Line: i + 1, SQL: []plan.Statement{{SQL: s}}})
		}
		return ops
	}
	analysistest.Run(t, ExplicitTxControl, []analysistest.Case{
		{Name: "BEGIN/COMMIT wrapped in an atomic migration: one finding", SQL: `BEGIN; ALTER TABLE t ADD COLUMN a int; COMMIT;`, Fire: true, Count: 1,
			Contains: []string{"COMMIT inside an atomic migration", "the BEGIN before it was ignored", "Django owns the transaction"}},
		{Name: "COMMIT midway", Ops: []plan.Operation{runSQL(`ALTER TABLE t ADD COLUMN a int; COMMIT`), runSQL(`CREATE INDEX CONCURRENTLY i ON t (a)`)}, Fire: true,
			Contains: []string{"commits the migration's own transaction midway"}},
		{Name: "ROLLBACK", SQL: `ALTER TABLE t ADD COLUMN a int; ROLLBACK`, Fire: true, Contains: []string{"records the migration as applied"}},
		{Name: "BEGIN never committed in a non-atomic migration", Ops: []plan.Operation{runSQL(`BEGIN`), runSQL(`ALTER TABLE t ADD COLUMN a int`)}, NonAtomic: true, Fire: true,
			Contains: []string{"never committed", "nothing is"}},
		{Name: "savepoint outside a transaction", Ops: []plan.Operation{runSQL(`SAVEPOINT s`)}, NonAtomic: true, Fire: true, Contains: []string{"SAVEPOINT can only be used in transaction blocks"}},
		{Name: "savepoint in a multi-statement string: still no block", SQL: `SAVEPOINT s; ALTER TABLE t ADD COLUMN a int; RELEASE s`, NonAtomic: true, Fire: true, Count: 2},
		{Name: "prepare transaction", Ops: []plan.Operation{runSQL(`BEGIN`), runSQL(`ALTER TABLE t ADD COLUMN a int`), runSQL(`PREPARE TRANSACTION 'x'`)}, NonAtomic: true, Fire: true,
			Contains: []string{"two-phase"}},
		{Name: "SQL file run in a transaction", Ops: sqlFile(`BEGIN`, `ALTER TABLE t ADD COLUMN a int`, `COMMIT`), Fire: true, Count: 1, Contains: []string{"zdcd:no-transaction"}},
		{Name: "nested BEGIN in a non-atomic migration", Ops: []plan.Operation{runSQL(`BEGIN`), runSQL(`BEGIN`), runSQL(`COMMIT`)}, NonAtomic: true, Fire: true, Count: 1},

		{Name: "BEGIN ... COMMIT in a non-atomic migration", Ops: []plan.Operation{runSQL(`BEGIN`), runSQL(`ALTER TABLE t ADD COLUMN a int`), runSQL(`COMMIT`)}, NonAtomic: true, Fire: false},
		{Name: "BEGIN ... COMMIT in one string of a non-atomic migration", SQL: `BEGIN; ALTER TABLE t ADD COLUMN a int; COMMIT;`, NonAtomic: true, Fire: false},
		{Name: "a lone BEGIN in an atomic migration is ignored", SQL: `BEGIN; ALTER TABLE t ADD COLUMN a int`, Fire: false},
		{Name: "savepoints inside an atomic migration", SQL: `SAVEPOINT s; ALTER TABLE t ADD COLUMN a int; RELEASE SAVEPOINT s`, Fire: false},
		{Name: "savepoints inside an explicit transaction", Ops: []plan.Operation{runSQL(`BEGIN`), runSQL(`SAVEPOINT s`), runSQL(`ROLLBACK TO SAVEPOINT s`), runSQL(`COMMIT`)}, NonAtomic: true, Fire: false},
		{Name: "no transaction statements", SQL: `ALTER TABLE t ADD COLUMN a int`, Fire: false},
	})
}
