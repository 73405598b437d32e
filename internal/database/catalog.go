package database

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultCatalogTimeout bounds each question the catalog asks the live database.
const DefaultCatalogTimeout = 5 * time.Second

// Catalog answers the rules' questions about the live schema and data (analysis.Catalog and the
// optional interfaces rules assert for). Every question runs in a READ ONLY transaction with a
// statement_timeout, and its answer is cached: a rule can neither write nor stall the release.
// A question the database cannot answer in time reports "unknown" (ok=false or an error), and the
// rules then assume the worst.
type Catalog struct {
	ctx     context.Context
	conn    *pgx.Conn
	timeout time.Duration

	mu    sync.Mutex
	cache map[string]any
}

// Catalog returns a catalog over db's connection.
func (db *DB) Catalog(ctx context.Context, timeout time.Duration) *Catalog {
	if timeout <= 0 {
		timeout = DefaultCatalogTimeout
	}
	return &Catalog{ctx: ctx, conn: db.Conn, timeout: timeout, cache: map[string]any{}}
}

// ask runs query in a read-only, time-bounded transaction and scans one row into dest, cached
// under key. found=false when the query returned no row.
func (c *Catalog) ask(key string, query string, args []any, dest ...any) (found bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.cache[key]; ok {
		a := v.(answer)
		copyAnswer(a, dest)
		return a.found, a.err
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.timeout+time.Second)
	defer cancel()
	err = pgx.BeginTxFunc(ctx, c.conn, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", c.timeout.Milliseconds())); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, query, args...).Scan(dest...); err != nil {
			if err == pgx.ErrNoRows {
				return nil
			}
			return err
		}
		found = true
		return nil
	})
	a := answer{found: found, err: err, values: make([]any, len(dest))}
	for i, d := range dest {
		a.values[i] = deref(d)
	}
	c.cache[key] = a
	return found, err
}

type answer struct {
	found  bool
	err    error
	values []any
}

func deref(p any) any {
	switch v := p.(type) {
	case *string:
		return *v
	case *bool:
		return *v
	case *int64:
		return *v
	case *float64:
		return *v
	}
	return nil
}

func copyAnswer(a answer, dest []any) {
	for i, d := range dest {
		switch v := d.(type) {
		case *string:
			*v, _ = a.values[i].(string)
		case *bool:
			*v, _ = a.values[i].(bool)
		case *int64:
			*v, _ = a.values[i].(int64)
		case *float64:
			*v, _ = a.values[i].(float64)
		}
	}
}

// relation quotes a table name as the rules spell it ("t" or "schema.t").
func relation(table string) string {
	if schema, name, ok := strings.Cut(table, "."); ok {
		return pgx.Identifier{schema, name}.Sanitize()
	}
	return pgx.Identifier{table}.Sanitize()
}

// ColumnType returns the column's type as format_type prints it ("character varying(20)").
func (c *Catalog) ColumnType(table, column string) (string, bool) {
	var typ string
	found, err := c.ask("type\x00"+table+"\x00"+column,
		`SELECT format_type(atttypid, atttypmod) FROM pg_attribute
		 WHERE attrelid = to_regclass($1) AND attname = $2 AND attnum > 0 AND NOT attisdropped`,
		[]any{relation(table), column}, &typ)
	return typ, found && err == nil
}

// HasValidatedNotNullCheck reports a validated CHECK (column IS NOT NULL) on the column, which
// lets SET NOT NULL skip its scan (PostgreSQL 12+).
func (c *Catalog) HasValidatedNotNullCheck(table, column string) bool {
	var ok bool
	_, err := c.ask("nncheck\x00"+table+"\x00"+column,
		`SELECT EXISTS (SELECT 1 FROM pg_constraint
		 WHERE conrelid = to_regclass($1) AND contype = 'c' AND convalidated
		   AND pg_get_constraintdef(oid) = 'CHECK ((' || quote_ident($2) || ' IS NOT NULL))')`,
		[]any{relation(table), column}, &ok)
	return ok && err == nil
}

// HasCheckConstraint reports a CHECK constraint that involves the column.
func (c *Catalog) HasCheckConstraint(table, column string) bool {
	var ok bool
	_, err := c.ask("check\x00"+table+"\x00"+column,
		`SELECT EXISTS (SELECT 1 FROM pg_constraint k JOIN pg_attribute a
		   ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
		 WHERE k.conrelid = to_regclass($1) AND k.contype = 'c' AND a.attname = $2)`,
		[]any{relation(table), column}, &ok)
	return ok && err == nil
}

// ColumnDefault returns the column's current database default expression.
func (c *Catalog) ColumnDefault(table, column string) (string, bool) {
	var expr string
	found, err := c.ask("default\x00"+table+"\x00"+column,
		`SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a
		   ON a.attrelid = d.adrelid AND a.attnum = d.adnum
		 WHERE d.adrelid = to_regclass($1) AND a.attname = $2`,
		[]any{relation(table), column}, &expr)
	return expr, found && err == nil
}

// ConstraintKind returns pg_constraint.contype of a table's constraint ("f", "u", "c", "p", "x").
func (c *Catalog) ConstraintKind(table, name string) (string, bool) {
	var kind string
	found, err := c.ask("contype\x00"+table+"\x00"+name,
		`SELECT contype::text FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2`,
		[]any{relation(table), name}, &kind)
	return kind, found && err == nil
}

// EstimatedRows is the planner's estimate (pg_class.reltuples); ok=false when the table was never
// analysed (reltuples = -1 on PostgreSQL 14+) or does not exist.
func (c *Catalog) EstimatedRows(table string) (int64, bool) {
	var rows float64
	found, err := c.ask("reltuples\x00"+table,
		`SELECT reltuples::float8 FROM pg_class WHERE oid = to_regclass($1)`,
		[]any{relation(table)}, &rows)
	if !found || err != nil || rows < 0 {
		return 0, false
	}
	return int64(rows), true
}

// HasRows reports whether the table holds any row.
func (c *Catalog) HasRows(table string) (bool, error) {
	var ok bool
	_, err := c.ask("rows\x00"+table, "SELECT EXISTS (SELECT 1 FROM "+relation(table)+")", nil, &ok)
	return ok, err
}

// HasNulls reports whether the column holds NULLs (bounded by the timeout: a large table without
// NULLs may not be answered in time, and then the answer is an error).
func (c *Catalog) HasNulls(table, column string) (bool, error) {
	var ok bool
	_, err := c.ask("nulls\x00"+table+"\x00"+column,
		"SELECT EXISTS (SELECT 1 FROM "+relation(table)+" WHERE "+pgx.Identifier{column}.Sanitize()+" IS NULL)", nil, &ok)
	return ok, err
}

// HasDuplicates reports whether two rows share the same values in columns, ignoring rows where
// any of them is NULL, as a unique index does.
func (c *Catalog) HasDuplicates(table string, columns []string) (bool, error) {
	if len(columns) == 0 {
		return false, nil
	}
	cols := make([]string, len(columns))
	conds := make([]string, len(columns))
	for i, col := range columns {
		cols[i] = pgx.Identifier{col}.Sanitize()
		conds[i] = cols[i] + " IS NOT NULL"
	}
	var ok bool
	_, err := c.ask("dups\x00"+table+"\x00"+strings.Join(columns, ","),
		"SELECT EXISTS (SELECT 1 FROM "+relation(table)+" WHERE "+strings.Join(conds, " AND ")+
			" GROUP BY "+strings.Join(cols, ", ")+" HAVING count(*) > 1)", nil, &ok)
	return ok, err
}

// ColumnNotNull reports whether the column is NOT NULL; ok=false when the column is unknown.
func (c *Catalog) ColumnNotNull(table, column string) (notNull, ok bool) {
	found, err := c.ask("notnull\x00"+table+"\x00"+column,
		`SELECT attnotnull FROM pg_attribute
		 WHERE attrelid = to_regclass($1) AND attname = $2 AND attnum > 0 AND NOT attisdropped`,
		[]any{relation(table), column}, &notNull)
	return notNull, found && err == nil
}

// Partitioned reports whether the table is a partitioned table (relkind 'p').
func (c *Catalog) Partitioned(table string) bool {
	var p bool
	_, err := c.ask("partitioned\x00"+table,
		`SELECT EXISTS (SELECT 1 FROM pg_class WHERE oid = to_regclass($1) AND relkind = 'p')`,
		[]any{relation(table)}, &p)
	return p && err == nil
}

// IndexColumns returns the columns of an index of the table, in order; ok=false when the index is
// unknown or holds an expression.
func (c *Catalog) IndexColumns(table, index string) ([]string, bool) {
	var cols string
	var exprs bool
	schema := ""
	if s, _, ok := strings.Cut(table, "."); ok {
		schema = s
	}
	qualified := pgx.Identifier{index}.Sanitize()
	if schema != "" {
		qualified = pgx.Identifier{schema, index}.Sanitize()
	}
	found, err := c.ask("indexcols\x00"+table+"\x00"+index,
		`SELECT coalesce(string_agg(a.attname, ',' ORDER BY k.ord), ''), bool_or(k.attnum = 0)
		 FROM pg_index i
		 CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
		 LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		 WHERE i.indexrelid = to_regclass($1) AND i.indrelid = to_regclass($2) AND k.ord <= i.indnkeyatts
		 HAVING count(*) > 0`,
		[]any{qualified, relation(table)}, &cols, &exprs)
	if !found || err != nil || exprs || cols == "" {
		return nil, false
	}
	return strings.Split(cols, ","), true
}

// UniqueColumn reports a single-column unique index (or primary key) on the column: a WHERE that
// pins it to values pins rows.
func (c *Catalog) UniqueColumn(table, column string) bool {
	var ok bool
	_, err := c.ask("unique\x00"+table+"\x00"+column,
		`SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
		 WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indisvalid AND i.indnkeyatts = 1
		   AND i.indpred IS NULL AND a.attname = $2)`,
		[]any{relation(table), column}, &ok)
	return ok && err == nil
}

// HotTrafficPerSecond is the average rate of scans and row writes (pg_stat_user_tables, since
// the statistics were last reset) above which a table counts as hot: read or written by much of
// the app's traffic, so that even an instant ACCESS EXCLUSIVE lock queues many requests.
const HotTrafficPerSecond = 10

// HotTable reports whether the table's traffic makes it hot, and says how busy it is.
func (c *Catalog) HotTable(table string) (hot bool, why string) {
	var rate float64
	found, err := c.ask("hot\x00"+table,
		`SELECT (coalesce(s.seq_scan, 0) + coalesce(s.idx_scan, 0) + s.n_tup_ins + s.n_tup_upd + s.n_tup_del)::float8
		        / greatest(extract(epoch FROM now() - coalesce(d.stats_reset, pg_postmaster_start_time())), 1)
		 FROM pg_stat_user_tables s, pg_stat_database d
		 WHERE s.relid = to_regclass($1) AND d.datname = current_database()`,
		[]any{relation(table)}, &rate)
	if !found || err != nil || rate < HotTrafficPerSecond {
		return false, ""
	}
	return true, fmt.Sprintf("about %.0f scans and row writes a second on average (pg_stat_user_tables)", rate)
}
