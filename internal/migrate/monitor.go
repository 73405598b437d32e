package migrate

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// queryTruncate is how much of another session's query text is shown.
const queryTruncate = 160

// monitor is the runner's own database session: pre-waits, the watchdog, index repair and the
// applied set. It is used by one goroutine at a time.
type monitor struct {
	conn       *pgx.Conn
	version    int
	connString string
}

// reconnect opens a new session when the current one is closed (a query cancelled by an
// interruption may close it).
func (m *monitor) reconnect(ctx context.Context) error {
	if !m.conn.IsClosed() {
		return nil
	}
	n, err := openMonitor(ctx, m.connString)
	if err != nil {
		return err
	}
	*m = *n
	return nil
}

func openMonitor(ctx context.Context, connString string) (*monitor, error) {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	cfg.RuntimeParams["application_name"] = monitorApplicationName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the database: %w", err)
	}
	m := &monitor{conn: conn, connString: connString}
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&m.version); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("read server version: %w", err)
	}
	return m, nil
}

func (m *monitor) close() { m.conn.Close(context.Background()) }

// regclassText quotes a table name as analysis spells it ("t" or "schema.t") for to_regclass.
func regclassText(table string) string {
	if schema, name, ok := strings.Cut(table, "."); ok {
		return pgx.Identifier{schema, name}.Sanitize()
	}
	return pgx.Identifier{table}.Sanitize()
}

// conflicting lists the other sessions holding or awaiting a lock that conflicts with locks on
// the tables of locks. Tables that do not exist yet are skipped.
func (m *monitor) conflicting(ctx context.Context, locks map[string]analysis.LockMode) ([]Session, error) {
	if len(locks) == 0 {
		return nil, nil
	}
	var names, regs []string
	for t := range locks {
		names = append(names, t)
		regs = append(regs, regclassText(t))
	}
	rows, err := m.conn.Query(ctx, `
WITH t AS (SELECT name, to_regclass(reg) AS oid FROM unnest($1::text[], $2::text[]) AS u(name, reg))
SELECT t.name, l.pid, l.mode, l.granted, coalesce(a.application_name, ''), coalesce(a.state, ''),
       a.query_start, left(coalesce(a.query, ''), $3)
FROM t
JOIN pg_locks l ON l.locktype = 'relation' AND l.relation = t.oid
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
JOIN pg_stat_activity a ON a.pid = l.pid
WHERE t.oid IS NOT NULL AND l.pid <> pg_backend_pid()
ORDER BY l.pid, t.name`, names, regs, queryTruncate)
	if err != nil {
		return nil, fmt.Errorf("read pg_locks: %w", err)
	}
	var out []Session
	for rows.Next() {
		var s Session
		var qs *time.Time
		if err := rows.Scan(&s.Table, &s.PID, &s.Mode, &s.Granted, &s.ApplicationName, &s.State, &qs, &s.Query); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read pg_locks: %w", err)
		}
		if qs != nil {
			s.QueryStart = *qs
		}
		if Conflicts(locks[s.Table], analysis.ParseLockMode(s.Mode)) {
			out = append(out, s)
		}
	}
	return out, rows.Err()
}

// blockedBehind lists the sessions waiting for a lock behind one of the migration's sessions
// (application_name = ApplicationName), per pg_blocking_pids (which counts the lock queue: a
// session queued behind the migration's waiting DDL is blocked by it too).
func (m *monitor) blockedBehind(ctx context.Context) ([]Session, error) {
	waitStart := "a.query_start"
	if m.version >= 140000 {
		waitStart = "coalesce((SELECT min(l.waitstart) FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted), a.query_start)"
	}
	rows, err := m.conn.Query(ctx, `
WITH mig AS (SELECT array_agg(pid) AS pids FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()),
w AS (SELECT a.*, pg_blocking_pids(a.pid) AS blockers, `+waitStart+` AS since
      FROM pg_stat_activity a WHERE a.wait_event_type = 'Lock' AND a.pid <> pg_backend_pid())
SELECT w.pid, coalesce(w.application_name, ''), coalesce(w.state, ''), w.query_start,
       left(coalesce(w.query, ''), $2),
       ARRAY(SELECT b FROM unnest(w.blockers) b WHERE b = ANY(mig.pids) ORDER BY b),
       extract(epoch FROM clock_timestamp() - coalesce(w.since, clock_timestamp()))::float8
FROM w, mig
WHERE w.blockers && mig.pids AND coalesce(w.application_name, '') <> $1
ORDER BY w.pid`, ApplicationName, queryTruncate)
	if err != nil {
		return nil, fmt.Errorf("read pg_stat_activity: %w", err)
	}
	var out []Session
	for rows.Next() {
		var s Session
		var qs *time.Time
		var secs float64
		var blockers []int32
		if err := rows.Scan(&s.PID, &s.ApplicationName, &s.State, &qs, &s.Query, &blockers, &secs); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read pg_stat_activity: %w", err)
		}
		if qs != nil {
			s.QueryStart = *qs
		}
		for _, b := range blockers {
			s.BlockedBy = append(s.BlockedBy, int(b))
		}
		s.Waiting = time.Duration(secs * float64(time.Second))
		out = append(out, s)
	}
	return out, rows.Err()
}

// invalidIndexes lists the INVALID indexes among names that no running build is working on.
func (m *monitor) invalidIndexes(ctx context.Context, names []sqlparse.Name) ([]sqlparse.Name, error) {
	var out []sqlparse.Name
	for _, n := range names {
		var schema string
		err := m.conn.QueryRow(ctx, `
SELECT ns.nspname FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace ns ON ns.oid = c.relnamespace
WHERE c.relname = $1 AND ns.nspname = coalesce(nullif($2, ''), current_schema())
  AND NOT i.indisvalid
  AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = c.oid)`,
			n.Name, n.Schema).Scan(&schema)
		if err == pgx.ErrNoRows {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("look for INVALID index %s: %w", n.Name, err)
		}
		out = append(out, sqlparse.Name{Schema: schema, Name: n.Name})
	}
	return out, nil
}

// dropIndex drops an index concurrently, waiting as long as statementTimeout allows (0: no
// bound but ctx).
func (m *monitor) dropIndex(ctx context.Context, n sqlparse.Name, statementTimeout time.Duration) error {
	if _, err := m.conn.Exec(ctx, fmt.Sprintf("SET statement_timeout = %d", statementTimeout.Milliseconds())); err != nil {
		return err
	}
	defer m.conn.Exec(context.Background(), "RESET statement_timeout")
	_, err := m.conn.Exec(ctx, "DROP INDEX CONCURRENTLY IF EXISTS "+pgx.Identifier{n.Schema, n.Name}.Sanitize())
	return err
}

// applied returns the migrations recorded in django_migrations (none when the table does not
// exist yet).
func (m *monitor) applied(ctx context.Context) (map[plan.MigrationKey]bool, error) {
	var exists bool
	if err := m.conn.QueryRow(ctx, "SELECT to_regclass('django_migrations') IS NOT NULL").Scan(&exists); err != nil {
		return nil, fmt.Errorf("read django_migrations: %w", err)
	}
	out := map[plan.MigrationKey]bool{}
	if !exists {
		return out, nil
	}
	rows, err := m.conn.Query(ctx, "SELECT app, name FROM django_migrations")
	if err != nil {
		return nil, fmt.Errorf("read django_migrations: %w", err)
	}
	for rows.Next() {
		var k plan.MigrationKey
		if err := rows.Scan(&k.App, &k.Name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read django_migrations: %w", err)
		}
		out[k] = true
	}
	return out, rows.Err()
}

// describe renders a session for the log: logfmt-style, query quoted.
func describe(s Session, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "pid=%d application_name=%q state=%q", s.PID, s.ApplicationName, s.State)
	if s.Table != "" {
		grant := "holds"
		if !s.Granted {
			grant = "awaits"
		}
		fmt.Fprintf(&b, " %s=%q table=%q", grant, s.Mode, s.Table)
	}
	if len(s.BlockedBy) > 0 {
		pids := make([]string, len(s.BlockedBy))
		for i, p := range s.BlockedBy {
			pids[i] = fmt.Sprint(p)
		}
		sort.Strings(pids)
		fmt.Fprintf(&b, " behind=%s waiting=%s", strings.Join(pids, ","), s.Waiting.Round(time.Millisecond))
	}
	if !s.QueryStart.IsZero() {
		fmt.Fprintf(&b, " query_start=%s (%s ago)", s.QueryStart.UTC().Format(time.RFC3339), now.Sub(s.QueryStart).Round(time.Millisecond))
	}
	fmt.Fprintf(&b, " query=%q", oneLine(s.Query))
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// terminateMigrationSessions ends the migration's sessions that outlive its process: a backend
// waiting for a lock does not notice that its client is gone, and would keep its locks (and its
// place in the lock queue) until the wait ends. It returns the pids it signalled.
func (m *monitor) terminateMigrationSessions(ctx context.Context) ([]int, error) {
	rows, err := m.conn.Query(ctx, `SELECT pid FROM pg_stat_activity
WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid()`, ApplicationName)
	if err != nil {
		return nil, fmt.Errorf("list the migration's sessions: %w", err)
	}
	var candidates []int
	for rows.Next() {
		var p int
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return nil, err
		}
		candidates = append(candidates, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var pids []int
	for _, p := range candidates {
		// CASE fixes the evaluation order: the pid is checked to still be the migration's
		// session (pids are reused) before it is signalled. A plain AND would not guarantee that.
		var ok bool
		err := m.conn.QueryRow(ctx, `SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_stat_activity
  WHERE pid = $1 AND application_name = $2 AND datname = current_database())
  THEN pg_terminate_backend($1) ELSE false END`, p, ApplicationName).Scan(&ok)
		if err != nil {
			return pids, fmt.Errorf("terminate session %d: %w", p, err)
		}
		if ok {
			pids = append(pids, p)
		}
	}
	return pids, nil
}

// migrationSessions counts the migration's sessions still alive.
func (m *monitor) migrationSessions(ctx context.Context) (int, error) {
	var n int
	err := m.conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, ApplicationName).Scan(&n)
	return n, err
}
