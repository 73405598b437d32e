package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

func TestReindexBlocking(t *testing.T) {
	analysistest.Run(t, ReindexBlocking, []analysistest.Case{
		{Name: "reindex table", SQL: `REINDEX TABLE shop_order`, Fire: true,
			Contains: []string{"SHARE lock", "INSERT, UPDATE and DELETE", "REINDEX TABLE CONCURRENTLY shop_order", "atomic = False"}},
		{Name: "schema-qualified table", SQL: `REINDEX TABLE public.shop_order`, Fire: true},
		{Name: "reindex index", SQL: `REINDEX INDEX shop_order_n_idx`, Fire: true, Contains: []string{"ACCESS EXCLUSIVE lock on the index", "REINDEX INDEX CONCURRENTLY shop_order_n_idx"}},
		{Name: "reindex database", SQL: `REINDEX DATABASE app`, NonAtomic: true, Fire: true, Contains: []string{"whole application"}},
		{Name: "PostgreSQL 11 has no concurrent reindex", SQL: `REINDEX INDEX i`, Version: 110020, Fire: true, Contains: []string{"PostgreSQL 11.20 has no REINDEX CONCURRENTLY"}},
		{Name: "PostgreSQL 12 has it", SQL: `REINDEX INDEX i`, Version: analysis.PG12, Fire: true, Contains: []string{"REINDEX INDEX CONCURRENTLY i"}},
		{Name: "unknown version names both ways", SQL: `REINDEX TABLE t`, Version: -1, Fire: true, Contains: []string{"On PostgreSQL 12+", "Before 12"}},
		{Name: "concurrently on PostgreSQL 11 is a syntax error", SQL: `REINDEX INDEX CONCURRENTLY shop_order_status_idx`, NonAtomic: true, Version: 110000, Fire: true, Contains: []string{"syntax error"}},
		{Name: "concurrently", SQL: `REINDEX INDEX CONCURRENTLY shop_order_n_idx`, NonAtomic: true, Fire: false},
		{Name: "concurrently, option syntax", SQL: `REINDEX (CONCURRENTLY) TABLE shop_order`, NonAtomic: true, Fire: false},
		{Name: "table created earlier in the release", SQL: `REINDEX TABLE new_table`, Created: []string{"new_table"}, Fire: false},
		{Name: "index of a table created in this migration", SQL: `CREATE TABLE n (a int); CREATE INDEX i ON n (a); REINDEX INDEX i`, Fire: false},
	})
}
