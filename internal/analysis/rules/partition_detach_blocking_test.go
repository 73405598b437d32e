package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

// lockCatalog is a live catalog for the tests of the locking rules, with the optional answers
// some of them ask for.
type lockCatalog struct {
	partitioned map[string]bool
	hot         map[string]string
	notNullChk  map[string]bool     // "table.column"
	notNull     map[string]bool     // "table.column" → declared NOT NULL
	indexes     map[string][]string // "table.index" → columns
}

func (c lockCatalog) ColumnType(table, column string) (string, bool) { return "", false }
func (c lockCatalog) HasValidatedNotNullCheck(table, column string) bool {
	return c.notNullChk[table+"."+column]
}
func (c lockCatalog) Partitioned(table string) bool { return c.partitioned[table] }
func (c lockCatalog) ColumnNotNull(table, column string) (bool, bool) {
	if c.notNull == nil {
		return false, false
	}
	return c.notNull[table+"."+column], true
}
func (c lockCatalog) IndexColumns(table, index string) ([]string, bool) {
	cols, ok := c.indexes[table+"."+index]
	return cols, ok
}
func (c lockCatalog) HotTable(table string) (bool, string) {
	why, ok := c.hot[table]
	return ok, why
}

func TestPartitionDetachBlocking(t *testing.T) {
	events := lockCatalog{partitioned: map[string]bool{"events": true}}
	analysistest.Run(t, PartitionDetachBlocking, []analysistest.Case{
		{Name: "detach on PostgreSQL 14+", SQL: `ALTER TABLE events DETACH PARTITION events_2023`, Fire: true,
			Contains: []string{"ACCESS EXCLUSIVE lock on events", "reads included", "ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;", "atomic = False", "DEFAULT partition", "FINALIZE"}},
		{Name: "detach on PostgreSQL 14.0 exactly", SQL: `ALTER TABLE events DETACH PARTITION events_2023`, Version: analysis.PG14, Fire: true, Contains: []string{"CONCURRENTLY;"}},
		{Name: "detach on PostgreSQL 13: no concurrent option", SQL: `ALTER TABLE events DETACH PARTITION events_2023`, Version: 130011, Fire: true,
			Contains: []string{"PostgreSQL 13.11 has no DETACH PARTITION ... CONCURRENTLY", "NIGHTLY_BUILD=true"}},
		{Name: "detach, version unknown", SQL: `ALTER TABLE events DETACH PARTITION events_2023`, Version: -1, Fire: true, Contains: []string{"On PostgreSQL 14+", "Before 14"}},
		{Name: "index on a partitioned table (catalog)", SQL: `CREATE INDEX events_at ON events (at)`, Catalog: events, Fire: true,
			Contains: []string{"every partition", "ON ONLY", "ATTACH PARTITION"}},
		{Name: "index on a table this migration made partitioned", SQL: `CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01'); CREATE INDEX events_at ON events (at)`, Fire: true},
		{Name: "concurrent index on a partitioned table fails", SQL: `CREATE INDEX CONCURRENTLY events_at ON events (at)`, NonAtomic: true, Catalog: events, Fire: true, Contains: []string{"cannot create index on partitioned table concurrently"}},
		{Name: "concurrent index on a new partitioned table fails too", SQL: `CREATE TABLE p (a int) PARTITION BY RANGE (a); CREATE INDEX CONCURRENTLY p_a ON p (a)`, NonAtomic: true, Fire: true},
		{Name: "detach concurrently on PostgreSQL 13 is a syntax error", SQL: `ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY`, NonAtomic: true, Version: 130000, Fire: true, Contains: []string{"syntax error"}},
		{Name: "detach concurrently", SQL: `ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY`, NonAtomic: true, Fire: false},
		{Name: "finalize", SQL: `ALTER TABLE events DETACH PARTITION events_2023 FINALIZE`, Fire: false},
		{Name: "index ON ONLY the parent is the safe first step", SQL: `CREATE INDEX events_at ON ONLY events (at)`, Catalog: events, Fire: false},
		{Name: "index on a partition", SQL: `CREATE INDEX CONCURRENTLY IF NOT EXISTS events_2023_at ON events_2023 (at)`, NonAtomic: true, Catalog: events, Fire: false},
		{Name: "index on a plain table", SQL: `CREATE INDEX i ON t (a)`, Catalog: events, Fire: false},
		{Name: "parent created earlier in the release", SQL: `ALTER TABLE events DETACH PARTITION events_2023`, Created: []string{"events"}, Fire: false},
		{Name: "new partitioned table indexed in its migration", SQL: `CREATE TABLE p (a int) PARTITION BY RANGE (a); CREATE INDEX p_a ON p (a)`, Fire: false},
	})
}
