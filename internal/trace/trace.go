// Package trace checks zdcd's lock model against the server. It runs each pending atomic
// migration's statements on a scratch database, inside one transaction that it rolls back at the
// end, and after every statement it records what the server did:
//
//   - the relation locks its own backend holds (pg_locks WHERE pid = pg_backend_pid()); a lock on
//     an index, a sequence or a TOAST table counts towards its table, as it blocks the table's
//     traffic; a lock on a relation the statement itself created is ignored (nobody else can see
//     that relation before the commit);
//   - whether a table got a new relfilenode: it was rewritten (indexes rebuilt are listed too);
//   - whether the table was read whole: pg_stat_xact_user_tables' seq_scan grew.
//
// Beside each observation it puts the claim of analysis.Effects (lock mode, rewrite, scan per
// table), which the rules judge by, and marks where the two differ. Migrations build on each
// other: migration k runs after 1..k-1 in the same transaction, under a SAVEPOINT of its own.
//
// What a transaction cannot show is listed in docs/trace.md: statements that cannot run in a
// transaction (CONCURRENTLY, VACUUM) are not traced, so neither are non-atomic migrations; locks
// a statement takes and releases before it ends are not seen; a mode the transaction already
// holds is not seen again; RunPython is not run.
package trace

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/sqlparse"
)

// DefaultLockTimeout bounds the trace's wait for a lock another session holds on the scratch
// database. Nothing should be using a scratch database, so a wait means something is.
const DefaultLockTimeout = 10 * time.Second

// Migration is one pending migration to trace.
type Migration struct {
	App, Name string
	// Atomic is Migration.atomic: only atomic migrations are traced.
	Atomic bool
	// Stmts are the migration's statements in run order with their claims (analysis.Sequence).
	Stmts []*analysis.Stmt
	// Unjudged are the analyser's findings about SQL it could not render or parse: the
	// statements are incomplete, so the migration is not traced.
	Unjudged []analysis.Finding
	// Python lists the migration's RunPython operations ("RunPython at line 12"): the trace runs
	// SQL only.
	Python []string
}

// Key returns "app.name".
func (m Migration) Key() string { return m.App + "." + m.Name }

// FromPlan returns the pending migrations of pl with the statements and claims the rules see
// under ctx (the same Context Analyze was given, so the claims are the report's).
func FromPlan(pl *plan.Plan, ctx analysis.Context) []Migration {
	out := make([]Migration, 0, len(pl.Migrations))
	for i := range pl.Migrations {
		m := &pl.Migrations[i]
		stmts, unjudged := analysis.Sequence(m, ctx)
		tm := Migration{App: m.App, Name: m.Name, Atomic: m.Atomic, Stmts: stmts, Unjudged: unjudged}
		var walk func(ops []plan.Operation)
		walk = func(ops []plan.Operation) {
			for i := range ops {
				op := &ops[i]
				if op.Python != nil || op.Class == "RunPython" {
					tm.Python = append(tm.Python, fmt.Sprintf("%s at line %d", op.Class, op.Line))
				}
				walk(op.DatabaseOperations)
			}
		}
		walk(m.Operations)
		out = append(out, tm)
	}
	return out
}

// Options tune a trace.
type Options struct {
	// LockTimeout bounds each wait for a lock held by another session on the scratch database;
	// 0 means DefaultLockTimeout.
	LockTimeout time.Duration
	// StatementTimeout bounds each statement (a rewrite of a big copy takes as long as it would in
	// production); 0 means none.
	StatementTimeout time.Duration
}

// Status says what became of a migration.
type Status string

const (
	// Traced: every statement ran and was observed.
	Traced Status = "traced"
	// Failed: a statement failed on the scratch database (the migration would fail there too, if
	// the scratch database is a faithful copy); later migrations are not traced.
	Failed Status = "failed"
	// NotTraced: the migration was skipped; Reason says why.
	NotTraced Status = "not-traced"
)

// Result is a whole trace.
type Result struct {
	// Target is where the trace ran ("host:port/dbname"), set by the caller; never a password.
	Target string `json:"target,omitempty"`
	// ServerVersion is the scratch server's server_version_num.
	ServerVersion int `json:"server_version"`
	// ScansObservable is false when the server does not count scans (track_counts = off).
	ScansObservable bool              `json:"scans_observable"`
	Migrations      []MigrationResult `json:"migrations"`
}

// MigrationResult is one migration's trace.
type MigrationResult struct {
	App    string `json:"app"`
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Reason says why the migration was not traced, or which statement failed.
	Reason string `json:"reason,omitempty"`
	// Notes are what the trace could not reproduce (RunPython...).
	Notes      []string          `json:"notes"`
	Statements []StatementResult `json:"statements"`
}

// StatementResult is one statement's claims beside what the server did.
type StatementResult struct {
	SQL       string `json:"sql"`
	Operation string `json:"operation"`
	Line      int    `json:"line"`
	Deferred  bool   `json:"deferred,omitempty"`
	// Tables lists every table claimed or observed, claimed ones first in claim order.
	Tables []TableResult `json:"tables"`
	// Transient counts locks on relations the statement created and dropped before it ended (the
	// new heap of a rewrite, say): invisible to other sessions, so not compared.
	Transient int `json:"transient_locks,omitempty"`
	// Error is the server's error when the statement failed.
	Error string `json:"error,omitempty"`
}

// Mismatches counts the statement's mismatches.
func (s StatementResult) Mismatches() int {
	n := 0
	for _, t := range s.Tables {
		n += len(t.Mismatches)
	}
	return n
}

// Claim is what analysis.Effects says a statement does to a table.
type Claim struct {
	Mode    Lock `json:"mode"`
	Rewrite bool `json:"rewrite"`
	Scan    bool `json:"scan"`
}

// Observed is what the server did to a table during one statement.
type Observed struct {
	// Mode is the strongest lock mode the statement took on the table, its indexes, sequences and
	// TOAST table (NoLock: none new).
	Mode Lock `json:"mode"`
	// Locks lists every new lock: "ACCESS EXCLUSIVE on index shop_order_pkey".
	Locks []string `json:"locks"`
	// Held are the modes the transaction already held on the table (or its indexes, sequences,
	// TOAST) before the statement, strongest first. A request for a mode the transaction holds
	// adds no row to pg_locks, so it is invisible. FromEarlier are those an earlier migration of
	// the trace took: in production that migration's transaction has committed by then, so the
	// statement takes them afresh.
	Held        []Lock `json:"held"`
	FromEarlier []Lock `json:"held_from_earlier_migrations"`
	// Rewrite is true when the table's relfilenode changed; RewriteObservable is false for
	// relations without storage (partitioned tables, views) and tables dropped by the statement.
	Rewrite           bool `json:"rewrite"`
	RewriteObservable bool `json:"rewrite_observable"`
	// RebuiltIndexes are the table's indexes given a new relfilenode.
	RebuiltIndexes []string `json:"rebuilt_indexes"`
	// Scan is true when the statement read the table whole: a sequential scan (seq_scan grew), or
	// index scans that returned at least as many entries as the table has rows (a merge join
	// over the primary key, say).
	Scan bool `json:"scan"`
	// SeqScans and IdxScans are the growth of pg_stat_xact_user_tables' seq_scan and idx_scan;
	// IdxRows the entries the table's index scans returned, Rows the table's estimated rows.
	SeqScans int64 `json:"seq_scans"`
	IdxScans int64 `json:"idx_scans"`
	IdxRows  int64 `json:"idx_rows"`
	Rows     int64 `json:"rows"`
}

// TableResult compares the claim and the observation for one table.
type TableResult struct {
	Table string `json:"table"`
	// Claimed is nil when analysis.Effects does not name the table.
	Claimed  *Claim   `json:"claimed"`
	Observed Observed `json:"observed"`
	// Verdict sums the comparison up: VerdictOK, VerdictMismatch, VerdictUnobservable (the lock
	// claimed was held already, so the server took nothing new to compare) or VerdictUnclaimed
	// (a table the model does not name, locked in a mode that blocks no application query).
	Verdict string `json:"verdict"`
	// Mismatches are the differences, one sentence each; empty when the claim holds.
	Mismatches []string `json:"mismatches"`
	// Notes qualify the comparison ("already held", "not claimed: weak lock").
	Notes []string `json:"notes"`
}

// Verdicts of a TableResult.
const (
	VerdictOK           = "ok"
	VerdictMismatch     = "mismatch"
	VerdictUnobservable = "unobservable"
	VerdictUnclaimed    = "unclaimed"
)

// Lock is a table lock mode that encodes as its name ("ACCESS EXCLUSIVE", "no lock").
type Lock analysis.LockMode

func (l Lock) String() string { return analysis.LockMode(l).String() }

// MarshalText encodes the mode's name.
func (l Lock) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText decodes a mode's name.
func (l *Lock) UnmarshalText(b []byte) error {
	*l = Lock(analysis.ParseLockMode(string(b)))
	return nil
}

// Mismatches counts the mismatches of the whole trace.
func (r *Result) Mismatches() int {
	n := 0
	for _, m := range r.Migrations {
		for _, s := range m.Statements {
			n += s.Mismatches()
		}
	}
	return n
}

// Run traces migs, in order, on conn, which must be a scratch database: it runs their SQL for
// real (inside a transaction it rolls back, but nextval() and other non-transactional effects
// stay). The error is for the trace's own failures (lost connection, catalog queries); a
// migration's statement failing is reported in its MigrationResult.
func Run(ctx context.Context, conn *pgx.Conn, migs []Migration, opts Options) (res *Result, err error) {
	if conn.PgConn().TxStatus() != 'I' {
		return nil, errors.New("trace: the connection is inside a transaction")
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	res = &Result{Migrations: []MigrationResult{}}
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int, current_setting('track_counts')::bool").
		Scan(&res.ServerVersion, &res.ScansObservable); err != nil {
		return nil, fmt.Errorf("read the scratch server's settings: %w", err)
	}
	if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
		return nil, fmt.Errorf("begin the trace transaction: %w", err)
	}
	defer func() {
		// Always roll back: the scratch database must end as it began.
		if _, rbErr := conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); rbErr != nil && err == nil {
			err = fmt.Errorf("roll back the trace transaction: %w", rbErr)
		}
	}()
	// Parallel workers would scan on their own backends, where this one's statistics do not see
	// it: keep every scan in this backend.
	settings := []string{
		fmt.Sprintf("SET LOCAL lock_timeout = %d", opts.LockTimeout.Milliseconds()),
		fmt.Sprintf("SET LOCAL statement_timeout = %d", opts.StatementTimeout.Milliseconds()),
		"SET LOCAL max_parallel_workers_per_gather = 0",
		"SET LOCAL max_parallel_maintenance_workers = 0",
	}
	for _, s := range settings {
		if _, err := conn.Exec(ctx, s); err != nil {
			return nil, fmt.Errorf("configure the trace transaction (%s): %w", s, err)
		}
	}
	t := &tracer{conn: conn, scans: res.ScansObservable}
	stopped := ""
	for _, m := range migs {
		mr := MigrationResult{App: m.App, Name: m.Name, Notes: []string{}, Statements: []StatementResult{}}
		for _, p := range m.Python {
			mr.Notes = append(mr.Notes, p+" is not run by the trace: the data it would change is as the scratch database has it")
		}
		switch {
		case stopped != "":
			mr.Status, mr.Reason = NotTraced, stopped
		case !m.Atomic:
			mr.Status, mr.Reason = NotTraced, "atomic = False: Django runs each statement on its own, outside a transaction, and CONCURRENTLY cannot run inside one; the migrations after it are traced without its changes"
		case len(m.Unjudged) > 0:
			mr.Status, mr.Reason = NotTraced, "zdcd could not render or parse some of its SQL ("+m.Unjudged[0].Rule+"); the migrations after it are traced without its changes"
		case controlsTransaction(m.Stmts) != "":
			mr.Status, mr.Reason = NotTraced, "its SQL runs "+controlsTransaction(m.Stmts)+" itself, which would end the trace's transaction; the migrations after it are traced without its changes"
		default:
			if err := t.migration(ctx, m, &mr); err != nil {
				return nil, err
			}
			if mr.Status == Failed {
				stopped = "not run: " + m.Key() + " failed on the scratch database, and migrations build on each other"
			}
		}
		res.Migrations = append(res.Migrations, mr)
	}
	return res, nil
}

// controlsTransaction names the first transaction-control statement (BEGIN, COMMIT...) among
// stmts, "" when none.
func controlsTransaction(stmts []*analysis.Stmt) string {
	for _, st := range stmts {
		if tx, ok := st.Statement.(*sqlparse.Transaction); ok {
			return tx.Action
		}
	}
	return ""
}

// savepoint isolates one migration inside the trace's transaction.
const savepoint = "zdcd_trace_migration"

// commitChecks is run after a migration's statements: it fires the deferred constraint checks
// (Django creates foreign keys DEFERRABLE INITIALLY DEFERRED) that COMMIT would fire, so their
// locks and failures are seen. It leaves those constraints immediate for the migrations after.
const commitChecks = "SET CONSTRAINTS ALL IMMEDIATE"

type tracer struct {
	conn  *pgx.Conn
	scans bool
	// inherited are the locks the transaction held when the current migration began: the
	// earlier migrations'.
	inherited map[lockKey]bool
}

func (t *tracer) migration(ctx context.Context, m Migration, mr *MigrationResult) error {
	if _, err := t.conn.Exec(ctx, "SAVEPOINT "+savepoint); err != nil {
		return fmt.Errorf("trace %s: %w", m.Key(), err)
	}
	start, err := takeSnapshot(ctx, t.conn)
	if err != nil {
		return fmt.Errorf("trace %s: %w", m.Key(), err)
	}
	t.inherited = start.locks
	fail := func(sr StatementResult) error {
		mr.Status = Failed
		mr.Reason = "the statement failed on the scratch database: " + sr.Error
		if _, err := t.conn.Exec(ctx, "ROLLBACK TO SAVEPOINT "+savepoint); err != nil {
			return fmt.Errorf("trace %s: %w", m.Key(), err)
		}
		return nil
	}
	for _, st := range m.Stmts {
		sr, err := t.statement(ctx, st.Info().Text, st.Effects)
		if err != nil {
			return fmt.Errorf("trace %s: %w", m.Key(), err)
		}
		sr.Operation, sr.Line, sr.Deferred = st.Op.Class, st.Op.Line, st.Deferred
		mr.Statements = append(mr.Statements, sr)
		if sr.Error != "" {
			return fail(sr)
		}
	}
	sr, err := t.statement(ctx, commitChecks, nil)
	if err != nil {
		return fmt.Errorf("trace %s: %w", m.Key(), err)
	}
	sr.Operation = "COMMIT"
	if sr.Error != "" || len(sr.Tables) > 0 {
		sr.SQL = "COMMIT (deferred constraint checks, run by " + commitChecks + ")"
		mr.Statements = append(mr.Statements, sr)
	}
	if sr.Error != "" {
		return fail(sr)
	}
	if _, err := t.conn.Exec(ctx, "RELEASE SAVEPOINT "+savepoint); err != nil {
		return fmt.Errorf("trace %s: %w", m.Key(), err)
	}
	mr.Status = Traced
	return nil
}

// statement runs one statement between two snapshots and compares. A statement's own failure is
// in the result's Error, and leaves the transaction aborted.
func (t *tracer) statement(ctx context.Context, sql string, claims []analysis.Effect) (StatementResult, error) {
	sr := StatementResult{SQL: sql, Tables: []TableResult{}}
	before, err := takeSnapshot(ctx, t.conn)
	if err != nil {
		return sr, err
	}
	if _, err := t.conn.Exec(ctx, sql); err != nil {
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) {
			return sr, fmt.Errorf("run %q: %w", oneLine(sql, 60), err)
		}
		sr.Error = pgErr.Message
		switch pgErr.Code {
		case "55P03":
			sr.Error += " (another session on the scratch database holds a conflicting lock: nothing else should use it while tracing)"
		case "57014":
			sr.Error += " (statement_timeout)"
		}
		return sr, nil
	}
	after, err := takeSnapshot(ctx, t.conn)
	if err != nil {
		return sr, err
	}
	compare(&sr, claims, before, after, t.scans, t.inherited)
	return sr, nil
}
