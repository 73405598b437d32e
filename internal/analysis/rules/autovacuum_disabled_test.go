package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

func TestAutovacuumDisabled(t *testing.T) {
	analysistest.Run(t, AutovacuumDisabled, []analysistest.Case{
		{Name: "autovacuum_enabled = false", SQL: `ALTER TABLE shop_order SET (autovacuum_enabled = false)`, Fire: true,
			Contains: []string{"autovacuum_enabled = false", "Dead row versions", "anti-wraparound", "autovacuum_vacuum_scale_factor", `RESET (autovacuum_enabled)`}},
		{Name: "toast.autovacuum_enabled = off", SQL: `ALTER TABLE shop_order SET (toast.autovacuum_enabled = off)`, Fire: true, Contains: []string{"TOAST table of shop_order", "keeps growing"}},
		{Name: "both, with other options", SQL: `ALTER TABLE t SET (fillfactor = 70, autovacuum_enabled = 'no', toast.autovacuum_enabled = 0)`, Fire: true, Count: 2},
		{Name: "CREATE TABLE ... WITH", SQL: `CREATE TABLE import_rows (id bigint, payload jsonb) WITH (autovacuum_enabled = FALSE)`, Fire: true},
		{Name: "turned off again after a re-enable", SQL: `ALTER TABLE t SET (autovacuum_enabled = false); ALTER TABLE t RESET (autovacuum_enabled); ALTER TABLE t SET (autovacuum_enabled = off)`, Fire: true, Count: 1},
		{Name: "table created in the release is not exempt", Created: []string{"n"}, SQL: `ALTER TABLE n SET (autovacuum_enabled = false)`, Fire: true},
		{Name: "materialized view", SQL: `ALTER MATERIALIZED VIEW mv SET (autovacuum_enabled = false)`, Fire: true},

		{Name: "turned back on later in the migration (bulk load)", SQL: `ALTER TABLE t SET (autovacuum_enabled = false); INSERT INTO t SELECT * FROM staging; ALTER TABLE t SET (autovacuum_enabled = true)`, Fire: false},
		{Name: "reset later in the migration", SQL: `ALTER TABLE t SET (autovacuum_enabled = false); ALTER TABLE t RESET (autovacuum_enabled)`, Fire: false},
		{Name: "turned on", SQL: `ALTER TABLE t SET (autovacuum_enabled = on)`, Fire: false},
		{Name: "bare name means true", SQL: `ALTER TABLE t SET (autovacuum_enabled)`, Fire: false},
		{Name: "tuning", SQL: `ALTER TABLE t SET (autovacuum_vacuum_scale_factor = 0.01)`, Fire: false},
		{Name: "another table re-enabled", SQL: `ALTER TABLE t SET (autovacuum_enabled = false); ALTER TABLE u SET (autovacuum_enabled = true)`, Fire: true},
		{Name: "column option", SQL: `ALTER TABLE t ALTER COLUMN a SET (n_distinct = 100)`, Fire: false},
	})
}
