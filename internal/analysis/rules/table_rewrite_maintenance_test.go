package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

func TestTableRewriteMaintenance(t *testing.T) {
	analysistest.Run(t, TableRewriteMaintenance, []analysistest.Case{
		{Name: "vacuum full of a table", SQL: `VACUUM FULL shop_order`, NonAtomic: true, Fire: true,
			Contains: []string{"VACUUM FULL copies shop_order", "ACCESS EXCLUSIVE", "every read and write", "pg_repack", "NIGHTLY_BUILD=true"}},
		{Name: "vacuum full of the database", SQL: `VACUUM (FULL, ANALYZE)`, NonAtomic: true, Fire: true, Contains: []string{"every table of the database"}},
		{Name: "cluster", SQL: `CLUSTER shop_order USING shop_order_pkey`, Fire: true, Contains: []string{"CLUSTER copies shop_order"}},
		{Name: "cluster everything", SQL: `CLUSTER`, NonAtomic: true, Fire: true, Contains: []string{"every table clustered before"}},
		{Name: "set logged", SQL: `ALTER TABLE shop_order SET LOGGED`, Fire: true, Contains: []string{"SET LOGGED", "until the migration commits"}},
		{Name: "set unlogged", SQL: `ALTER TABLE shop_order SET UNLOGGED`, Fire: true},
		{Name: "set tablespace", SQL: `ALTER TABLE shop_order SET TABLESPACE fast`, Fire: true},
		{Name: "index to another tablespace", SQL: `ALTER INDEX shop_order_pkey SET TABLESPACE fast`, Fire: true, Contains: []string{"index shop_order_pkey"}},
		{Name: "set access method", SQL: `ALTER TABLE shop_order SET ACCESS METHOD heap2`, Fire: true},
		{Name: "move a whole tablespace", SQL: `ALTER TABLE ALL IN TABLESPACE a SET TABLESPACE b`, Fire: true},
		{Name: "plain vacuum does not rewrite", SQL: `VACUUM ANALYZE shop_order`, NonAtomic: true, Fire: false},
		{Name: "cluster on only marks the index", SQL: `ALTER TABLE shop_order CLUSTER ON shop_order_pkey`, Fire: false},
		{Name: "table created earlier in the release", SQL: `ALTER TABLE new_table SET LOGGED`, Created: []string{"new_table"}, Fire: false},
		{Name: "table created in this migration", SQL: `CREATE UNLOGGED TABLE n (a int); ALTER TABLE n SET LOGGED`, Fire: false},
		{Name: "vacuum full of a new table", SQL: `VACUUM FULL new_table`, Created: []string{"new_table"}, NonAtomic: true, Fire: false},
	})
}
