package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

func TestCICCorruptionPG14(t *testing.T) {
	cic := `CREATE INDEX CONCURRENTLY IF NOT EXISTS shop_order_created_idx ON shop_order (created)`
	analysistest.Run(t, CICCorruptionPG14, []analysistest.Case{
		{Name: "14.0", SQL: cic, NonAtomic: true, Version: 140000, Fire: true, Contains: []string{"PostgreSQL 14.0", "silently misses rows", "14.4", "bt_index_check"}},
		{Name: "14.3", SQL: cic, NonAtomic: true, Version: 140003, Fire: true},
		{Name: "reindex concurrently on 14.2", SQL: `REINDEX INDEX CONCURRENTLY shop_order_created_idx`, NonAtomic: true, Version: 140002, Fire: true},
		{Name: "14.4 is fixed", SQL: cic, NonAtomic: true, Version: 140004, Fire: false},
		{Name: "13", SQL: cic, NonAtomic: true, Version: 130015, Fire: false},
		{Name: "15", SQL: cic, NonAtomic: true, Fire: false},
		{Name: "unknown version", SQL: cic, NonAtomic: true, Version: -1, Fire: false},
		{Name: "plain index build on 14.1", SQL: `CREATE INDEX i ON shop_order (created)`, Version: 140001, Fire: false},
		{Name: "new table on 14.1", SQL: `CREATE INDEX CONCURRENTLY i ON n (a)`, NonAtomic: true, Created: []string{"n"}, Version: 140001, Fire: false},
	})
}
