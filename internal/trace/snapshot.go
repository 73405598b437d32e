package trace

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/analysis"
)

// rel is one relation of the scratch database at one instant.
type rel struct {
	oid      uint32
	schema   string
	name     string
	kind     string // pg_class.relkind
	filenode uint32 // 0 for relations without storage
	visible  bool   // pg_table_is_visible: reachable by its bare name through search_path
	// owner is the relation a lock on this one counts towards: an index's table, a TOAST table's
	// table, an owned sequence's table (0: itself).
	owner uint32
	// scans is pg_stat_get_xact_numscans: sequential scans of a table, scans of an index, in the
	// current transaction; read is pg_stat_get_xact_tuples_returned: for an index, the entries its
	// scans returned (idx_tup_read).
	scans, read int64
	// rows estimates a table's rows: reltuples, or the live rows the statistics count.
	rows int64
}

// tableLike reports whether a relation is something Effects names as a table.
func (r *rel) tableLike() bool {
	switch r.kind {
	case "r", "p", "m", "v", "f":
		return true
	}
	return false
}

// kindName is how the output names a relation that is not a table.
func (r *rel) kindName() string {
	switch r.kind {
	case "i", "I":
		return "index"
	case "S":
		return "sequence"
	case "t":
		return "TOAST table"
	case "m":
		return "materialized view"
	case "v":
		return "view"
	case "p":
		return "partitioned table"
	}
	return "table"
}

// display is the name Effects would give the relation: without the public schema.
func (r *rel) display() string {
	if r.schema == "public" {
		return r.name
	}
	return r.schema + "." + r.name
}

type lockKey struct {
	oid  uint32
	mode analysis.LockMode
}

// snapshot is what the trace reads before and after each statement.
type snapshot struct {
	rels  map[uint32]*rel
	locks map[lockKey]bool
}

// The queries name the catalogs with their schema: a migration may have changed search_path.

// relationsQuery reads every relation outside the system catalogs (TOAST tables included, temp
// schemas excluded), with the relation a lock on it counts towards and its scan count in this
// transaction. Catalog reads take no lock on user relations, so the snapshot does not disturb
// what it measures.
const relationsQuery = `
SELECT c.oid, n.nspname, c.relname, c.relkind::text, c.relfilenode, pg_catalog.pg_table_is_visible(c.oid),
	coalesce(CASE
		WHEN c.relkind IN ('i', 'I') THEN (SELECT i.indrelid FROM pg_catalog.pg_index i WHERE i.indexrelid = c.oid)
		WHEN c.relkind = 't' THEN (SELECT o.oid FROM pg_catalog.pg_class o WHERE o.reltoastrelid = c.oid LIMIT 1)
		WHEN c.relkind = 'S' THEN (SELECT d.refobjid FROM pg_catalog.pg_depend d
			WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass
				AND d.deptype IN ('a', 'i') LIMIT 1)
	END, 0),
	coalesce(pg_catalog.pg_stat_get_xact_numscans(c.oid), 0), coalesce(pg_catalog.pg_stat_get_xact_tuples_returned(c.oid), 0),
	greatest(c.reltuples, coalesce(pg_catalog.pg_stat_get_live_tuples(c.oid), 0), 0)::bigint
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
	AND n.nspname !~ '^pg_(toast_)?temp_'`

// locksQuery reads the relation locks this backend holds in this database. Locks on shared
// catalogs (database 0) are left out; so, later, are those on catalogs (not in relationsQuery).
const locksQuery = `
SELECT l.relation, l.mode FROM pg_catalog.pg_locks l
WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation' AND l.granted
	AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())`

func takeSnapshot(ctx context.Context, conn *pgx.Conn) (*snapshot, error) {
	s := &snapshot{rels: map[uint32]*rel{}, locks: map[lockKey]bool{}}
	rows, err := conn.Query(ctx, relationsQuery)
	if err != nil {
		return nil, fmt.Errorf("read pg_class: %w", err)
	}
	for rows.Next() {
		r := &rel{}
		if err := rows.Scan(&r.oid, &r.schema, &r.name, &r.kind, &r.filenode, &r.visible, &r.owner, &r.scans, &r.read, &r.rows); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read pg_class: %w", err)
		}
		s.rels[r.oid] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read pg_class: %w", err)
	}
	rows, err = conn.Query(ctx, locksQuery)
	if err != nil {
		return nil, fmt.Errorf("read pg_locks: %w", err)
	}
	for rows.Next() {
		var oid uint32
		var mode string
		if err := rows.Scan(&oid, &mode); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read pg_locks: %w", err)
		}
		s.locks[lockKey{oid, analysis.ParseLockMode(mode)}] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read pg_locks: %w", err)
	}
	return s, nil
}

// firstUserOID is FirstNormalObjectId: every relation below it is part of the system.
const firstUserOID = 16384
