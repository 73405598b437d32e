package analysis

import (
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// LockMode is a PostgreSQL table lock mode, ordered as in lockdefs.h (stronger modes are larger).
type LockMode int

// Table lock modes.
const (
	NoLock LockMode = iota
	AccessShare
	RowShare
	RowExclusive
	ShareUpdateExclusive
	Share
	ShareRowExclusive
	Exclusive
	AccessExclusive
)

var lockNames = [...]string{"no lock", "ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE",
	"SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"}

func (m LockMode) String() string {
	if m < 0 || int(m) >= len(lockNames) {
		return "?"
	}
	return lockNames[m]
}

// ParseLockMode reads a mode as pg_locks spells it ("AccessExclusiveLock") or as SQL does.
func ParseLockMode(s string) LockMode {
	for i, n := range lockNames {
		if s == n {
			return LockMode(i)
		}
	}
	pgLocks := [...]string{"", "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
		"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"}
	for i, n := range pgLocks {
		if s == n && i > 0 {
			return LockMode(i)
		}
	}
	return NoLock
}

// BlocksReads reports whether the mode blocks plain SELECTs (ACCESS SHARE).
func (m LockMode) BlocksReads() bool { return m == AccessExclusive }

// BlocksWrites reports whether the mode blocks INSERT/UPDATE/DELETE (ROW EXCLUSIVE).
func (m LockMode) BlocksWrites() bool { return m >= Share }

// Effect is what a statement does to one table: the lock it takes (held until its transaction
// ends), and whether it rewrites the table (and its indexes) or reads it whole (a scan, e.g. to
// validate a constraint or build an index) while holding that lock.
type Effect struct {
	Table   string
	Mode    LockMode
	Rewrite bool
	Scan    bool
}

// Catalog answers questions about the live schema where zdcd has the database (check, release).
// In lint there is none, and rules assume the worst.
type Catalog interface {
	// ColumnType returns the column's current type as format_type prints it ("character varying(20)"),
	// ok=false when unknown.
	ColumnType(table, column string) (typ string, ok bool)
	// HasValidatedNotNullCheck reports a validated CHECK (column IS NOT NULL) on the column.
	HasValidatedNotNullCheck(table, column string) bool
}

// TableName is how zdcd names a table: without the public schema, as Django's db_table.
func TableName(n sqlparse.Name) string {
	if n.Schema == "" || n.Schema == "public" {
		return n.Name
	}
	return n.Schema + "." + n.Name
}

// Effects lists what st does to each table it touches, on a server of version (server_version_num;
// 0 means unknown and is treated as the oldest supported, so nothing is assumed cheap).
// changes tells, for ALTER COLUMN TYPE, whether the type change is binary coercible; it may be nil.
func Effects(st sqlparse.Statement, version int, coercible func(table, column string, to sqlparse.Type) bool) []Effect {
	var out []Effect
	add := func(table string, mode LockMode, rewrite, scan bool) {
		for i := range out {
			if out[i].Table == table {
				if mode > out[i].Mode {
					out[i].Mode = mode
				}
				out[i].Rewrite = out[i].Rewrite || rewrite
				out[i].Scan = out[i].Scan || scan
				return
			}
		}
		out = append(out, Effect{Table: table, Mode: mode, Rewrite: rewrite, Scan: scan})
	}
	switch s := st.(type) {
	case *sqlparse.CreateIndex:
		if s.Concurrently {
			add(TableName(s.Table), ShareUpdateExclusive, false, true)
		} else {
			add(TableName(s.Table), Share, false, true)
		}
	case *sqlparse.Drop:
		for _, n := range s.Names {
			switch s.Object {
			case "TABLE", "MATERIALIZED VIEW", "VIEW", "FOREIGN TABLE":
				add(TableName(n), AccessExclusive, false, false)
			case "INDEX":
				// The index's table is not named in the statement: the index stands for it.
				if s.Concurrently {
					add(TableName(n), ShareUpdateExclusive, false, false)
				} else {
					add(TableName(n), AccessExclusive, false, false)
				}
			}
		}
	case *sqlparse.Rename:
		switch {
		case s.Table.Name == "":
		case s.Object == "INDEX" && version >= PG12:
			// ALTER INDEX ... RENAME locks the index alone, SHARE UPDATE EXCLUSIVE (PostgreSQL 12+);
			// the index stands for its table, as for DROP INDEX.
			add(TableName(s.Table), ShareUpdateExclusive, false, false)
		default:
			add(TableName(s.Table), AccessExclusive, false, false)
		}
	case *sqlparse.Truncate:
		for _, n := range s.Tables {
			add(TableName(n), AccessExclusive, true, false)
		}
	case *sqlparse.Reindex:
		if s.Target == "TABLE" || s.Target == "INDEX" {
			if s.Concurrently {
				add(s.Name, ShareUpdateExclusive, false, true)
			} else {
				// The table gets SHARE, but every index rebuilt gets ACCESS EXCLUSIVE until the
				// transaction ends, and the planner locks every index of a table it plans a query
				// on: reads block too (REINDEX's documentation), so the table is as good as ACCESS
				// EXCLUSIVE. REINDEX TABLE does this to all its indexes.
				add(s.Name, AccessExclusive, false, true)
			}
		}
	case *sqlparse.Vacuum:
		for _, n := range s.Tables {
			if s.Full {
				add(TableName(n), AccessExclusive, true, false)
			} else {
				add(TableName(n), ShareUpdateExclusive, false, true)
			}
		}
	case *sqlparse.Cluster:
		add(TableName(s.Table), AccessExclusive, true, false)
	case *sqlparse.Lock:
		for _, n := range s.Tables {
			add(TableName(n), ParseLockMode(s.Mode), false, false)
		}
	case *sqlparse.CreateTrigger:
		add(TableName(s.Table), ShareRowExclusive, false, false)
	case *sqlparse.Update:
		add(TableName(s.Table), RowExclusive, false, !s.HasWhere)
	case *sqlparse.Delete:
		add(TableName(s.Table), RowExclusive, false, !s.HasWhere)
	case *sqlparse.Insert:
		add(TableName(s.Table), RowExclusive, false, false)
	case *sqlparse.RefreshMaterializedView:
		if s.Concurrently {
			add(TableName(s.View), Exclusive, false, true)
		} else {
			add(TableName(s.View), AccessExclusive, true, false)
		}
	case *sqlparse.CreateTable:
		// A new table: nobody else can see it. Its foreign keys lock the referenced tables, and a
		// new partition locks its parent ACCESS EXCLUSIVE (ATTACH PARTITION is the gentler way).
		if s.PartitionOf != nil {
			add(TableName(*s.PartitionOf), AccessExclusive, false, false)
		}
		for _, c := range s.Columns {
			if c.References != nil {
				add(TableName(c.References.Table), ShareRowExclusive, false, false)
			}
		}
		for _, c := range s.Constraints {
			if c.References != nil {
				add(TableName(c.References.Table), ShareRowExclusive, false, false)
			}
		}
	case *sqlparse.AlterTable:
		table := TableName(s.Table)
		for _, c := range s.Cmds {
			alterEffects(table, c, version, coercible, add)
		}
	}
	return out
}

// Version thresholds (server_version_num).
const (
	PG11 = 110000 // ADD COLUMN with a non-volatile default is metadata only
	PG12 = 120000 // REINDEX CONCURRENTLY; SET NOT NULL uses a validated CHECK to skip the scan
	PG14 = 140000 // DETACH PARTITION CONCURRENTLY
)

func alterEffects(table string, c sqlparse.AlterCmd, version int, coercible func(string, string, sqlparse.Type) bool, add func(string, LockMode, bool, bool)) {
	switch c.Action {
	case sqlparse.AddColumn:
		rewrite, scan := false, false
		if d := c.Def; d != nil {
			switch {
			case d.Serial(), d.Identity != "", d.Generated:
				rewrite = true
			case d.Default != nil && !NonVolatile(d.Default):
				rewrite = true
			case d.Default != nil && version < PG11:
				rewrite = true
			case d.NotNull && d.Default == nil:
				scan = true // fails at once on a non-empty table; PostgreSQL checks every row
			}
			if d.PrimaryKey || d.Unique {
				scan = true // index build
			}
			for _, k := range d.Constraints {
				if k.Kind == sqlparse.Check && !k.NotValid {
					scan = true
				}
			}
			if d.References != nil {
				add(TableName(d.References.Table), ShareRowExclusive, false, false)
			}
		}
		add(table, AccessExclusive, rewrite, scan)
	case sqlparse.AlterColumnType:
		rewrite := true
		if c.Type != nil && coercible != nil && coercible(table, c.Column, *c.Type) {
			rewrite = false
		}
		add(table, AccessExclusive, rewrite, false)
	case sqlparse.SetNotNull:
		add(table, AccessExclusive, false, true)
	case sqlparse.AddConstraint:
		k := c.Constraint
		if k == nil {
			add(table, AccessExclusive, false, false)
			return
		}
		switch k.Kind {
		case sqlparse.ForeignKey:
			add(table, ShareRowExclusive, false, !k.NotValid)
			if k.References != nil {
				add(TableName(k.References.Table), ShareRowExclusive, false, false)
			}
		case sqlparse.Check:
			add(table, AccessExclusive, false, !k.NotValid)
		case sqlparse.Unique, sqlparse.PrimaryKey:
			// USING INDEX adopts a built index: metadata only (a PRIMARY KEY still checks NOT NULL).
			add(table, AccessExclusive, false, k.UsingIndex == "" || k.Kind == sqlparse.PrimaryKey)
		default:
			add(table, AccessExclusive, false, true)
		}
	case sqlparse.ValidateConstraint:
		add(table, ShareUpdateExclusive, false, true)
	case sqlparse.SetTablespace, sqlparse.SetLogged, sqlparse.SetUnlogged, sqlparse.SetAccessMethod:
		add(table, AccessExclusive, true, false)
	case sqlparse.DetachPartition:
		if c.Concurrently {
			add(table, ShareUpdateExclusive, false, false)
		} else {
			add(table, AccessExclusive, false, false)
		}
		add(c.Name, AccessExclusive, false, false)
	case sqlparse.AttachPartition:
		add(table, ShareUpdateExclusive, false, false)
		add(c.Name, AccessExclusive, false, true)
	case sqlparse.ClusterOn, sqlparse.SetStatistics:
		add(table, ShareUpdateExclusive, false, false)
	case sqlparse.EnableTrigger, sqlparse.DisableTrigger:
		add(table, ShareRowExclusive, false, false)
	default:
		// DROP COLUMN, DROP/SET DEFAULT, DROP NOT NULL, DROP CONSTRAINT, SET STORAGE, options,
		// REPLICA IDENTITY, OWNER and anything unknown: assume the strongest lock.
		add(table, AccessExclusive, false, false)
	}
}

// nonVolatileFuncs are functions known not to be volatile (IMMUTABLE or STABLE), so a default
// calling them is evaluated once when the column is added (PostgreSQL 11+), without a rewrite.
var nonVolatileFuncs = map[string]bool{
	"now": true, "transaction_timestamp": true, "statement_timestamp": true, "current_setting": true,
	"lower": true, "upper": true, "length": true, "coalesce": true, "concat": true, "to_char": true,
	"to_timestamp": true, "to_date": true, "date_trunc": true, "abs": true, "round": true,
	"jsonb_build_object": true, "json_build_object": true, "array_length": true, "make_interval": true,
	"timezone": true, "nullif": true, "greatest": true, "least": true, "char_length": true,
}

// NonVolatile reports whether a default expression is certainly not volatile: constants, casts,
// SQL value functions (CURRENT_TIMESTAMP...) and calls to known stable or immutable functions.
// Anything else (random(), gen_random_uuid(), clock_timestamp(), nextval(), unknown functions) is
// treated as volatile. With a database, function volatility could be read from pg_proc.
func NonVolatile(e *sqlparse.Expr) bool {
	if e == nil || e.Constant {
		return true
	}
	for _, f := range e.Funcs {
		if !nonVolatileFuncs[f] {
			return false
		}
	}
	return true
}
