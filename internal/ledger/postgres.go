package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/plan"
)

// Options tune the Postgres store. Zero values take the defaults.
type Options struct {
	// Now is the clock (time.Now by default).
	Now func() time.Time
	// LockTimeout and StatementTimeout bound every ledger transaction (defaults 2s and 10s): a
	// ledger write that cannot get its lock gives up rather than stall a release.
	LockTimeout      time.Duration
	StatementTimeout time.Duration
	// UpgradeLockTimeout bounds the wait for another process upgrading the ledger schema
	// (default 30s).
	UpgradeLockTimeout time.Duration
	// Secrets are values never to store (the HEROKU_API_KEY, the database password): every text
	// the ledger stores has them replaced, in every encoding config.Redactor knows, on top of
	// Scrub.
	Secrets []string
	// Redactor, when set, redacts too (the CLI passes the one built from the environment).
	Redactor *config.Redactor
}

// Postgres is the ledger in the application's database. Like the *pgx.Conn it wraps, it is not
// safe for concurrent use.
type Postgres struct {
	conn    *pgx.Conn
	opts    Options
	red     *config.Redactor
	version int
}

// Open ensures the ledger schema exists and is up to date (creating or upgrading it with the
// embedded ledger migrations) and returns the store. A role that may not create the zdcd schema
// gets a *PermissionError naming the GRANT that fixes it.
func Open(ctx context.Context, conn *pgx.Conn) (*Postgres, error) {
	return OpenWith(ctx, conn, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, conn *pgx.Conn, opts Options) (*Postgres, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 2 * time.Second
	}
	if opts.StatementTimeout <= 0 {
		opts.StatementTimeout = 10 * time.Second
	}
	if opts.UpgradeLockTimeout <= 0 {
		opts.UpgradeLockTimeout = 30 * time.Second
	}
	p := &Postgres{conn: conn, opts: opts, red: opts.Redactor.With(opts.Secrets...)}
	if err := p.ensureSchema(ctx); err != nil {
		return nil, fmt.Errorf("open the ledger: %w", err)
	}
	return p, nil
}

// SchemaVersion is the ledger schema version found (it may exceed LatestVersion after a
// rollback to an older zdcd-release).
func (p *Postgres) SchemaVersion() int { return p.version }

func (p *Postgres) now() time.Time { return p.opts.Now().UTC() }

// scrub is Scrub plus the configured secrets.
func (p *Postgres) scrub(s string) string {
	return Scrub(p.red.Redact(s))
}

// tx runs f in one short transaction bounded by lockTimeout and the statement timeout.
func (p *Postgres) tx(ctx context.Context, lockTimeout time.Duration, f func(pgx.Tx) error) error {
	if err := p.idle(); err != nil {
		return err
	}
	return pgx.BeginTxFunc(ctx, p.conn, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d; SET LOCAL statement_timeout = %d",
			lockTimeout.Milliseconds(), p.opts.StatementTimeout.Milliseconds())); err != nil {
			return err
		}
		return f(tx)
	})
}

// ErrInTransaction is returned when the connection is inside a transaction: the ledger's own
// commit would commit (or its failure abort) the caller's work.
var ErrInTransaction = errors.New("the connection is inside a transaction: the ledger needs it idle")

func (p *Postgres) idle() error {
	if st := p.conn.PgConn().TxStatus(); st != 'I' {
		return ErrInTransaction
	}
	return nil
}

func (p *Postgres) write(ctx context.Context, what string, f func(pgx.Tx) error) error {
	if err := p.tx(ctx, p.opts.LockTimeout, f); err != nil {
		return fmt.Errorf("ledger: %s: %w", what, err)
	}
	return nil
}

func nullInt(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

// StartRun records a new run.
func (p *Postgres) StartRun(ctx context.Context, info RunInfo) (int64, error) {
	if err := validCommand(info.Command); err != nil {
		return 0, err
	}
	if info.StartedAt.IsZero() {
		info.StartedAt = p.now()
	}
	var id int64
	err := p.write(ctx, "start run", func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO zdcd_ledger.runs
			(command, started_at, app_name, release_version, slug_id, server_version, zdcd_version, backend_pid, backend_start)
			VALUES ($1, $2, $3, $4, $5, $6, $7, pg_backend_pid(), (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()))
			RETURNING id`,
			string(info.Command), info.StartedAt, info.AppName, nullInt(info.ReleaseVersion), info.SlugID,
			info.ServerVersion, info.ZdcdVersion).Scan(&id)
	})
	return id, err
}

// mustUpdate runs an UPDATE of one run and reports ErrNotFound when it matched none.
func mustUpdate(ctx context.Context, tx pgx.Tx, runID int64, sql string, args ...any) error {
	tag, err := tx.Exec(ctx, sql, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("run %d: %w", runID, ErrNotFound)
	}
	return nil
}

// RecordPlan records the plan, replacing any plan recorded before for the run.
func (p *Postgres) RecordPlan(ctx context.Context, runID int64, r *analysis.Result) error {
	if r == nil {
		return errors.New("ledger: record plan: no result")
	}
	return p.write(ctx, "record plan", func(tx pgx.Tx) error {
		if err := mustUpdate(ctx, tx, runID, `UPDATE zdcd_ledger.runs SET verdict = $2,
			server_version = CASE WHEN $3::int = 0 THEN server_version ELSE $3::int END WHERE id = $1`,
			runID, string(VerdictOf(r)), r.ServerVersion); err != nil {
			return err
		}
		ms := make([]Migration, len(r.Migrations))
		for i := range r.Migrations {
			m := &r.Migrations[i]
			ms[i] = Migration{App: m.Migration.App, Name: m.Migration.Name, File: m.Migration.File,
				Digest: m.Migration.Digest(), Safe: m.Safe, Findings: m.Findings}
		}
		return p.writePlan(ctx, tx, runID, ms)
	})
}

// writePlan replaces the run's migrations and findings.
func (p *Postgres) writePlan(ctx context.Context, tx pgx.Tx, runID int64, ms []Migration) error {
	if _, err := tx.Exec(ctx, "DELETE FROM zdcd_ledger.run_migrations WHERE run_id = $1", runID); err != nil {
		return err
	}
	b := &pgx.Batch{}
	for i, m := range ms {
		b.Queue(`INSERT INTO zdcd_ledger.run_migrations (run_id, position, app, name, file, safe, digest)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			runID, i, m.App, m.Name, m.File, m.Safe, nullString(m.Digest))
		for j, f := range m.Findings {
			var by any
			var entry, reason string
			if f.Approval != nil {
				by, entry, reason = f.Approval.By, p.scrub(f.Approval.Entry), p.scrub(f.Approval.Reason)
			}
			b.Queue(`INSERT INTO zdcd_ledger.findings (run_id, position, seq, rule, severity, operation, line, statement,
				message, fix, approved_by, approval_entry, approval_reason)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
				runID, i, j, f.Rule, string(f.Severity), f.Operation, f.Line, p.scrub(f.Statement),
				p.scrub(f.Message), p.scrub(f.Fix), by, entry, reason)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

// RecordBackup records the backup taken before migrating. location must not be a signed URL
// (pass the backup's name or path); it is scrubbed of passwords all the same.
func (p *Postgres) RecordBackup(ctx context.Context, runID int64, id, location string) error {
	return p.write(ctx, "record backup", func(tx pgx.Tx) error {
		return mustUpdate(ctx, tx, runID, "UPDATE zdcd_ledger.runs SET backup_id = $2, backup_location = $3 WHERE id = $1",
			runID, p.scrub(id), p.scrub(location))
	})
}

// RecordStep appends a timed step to the run.
func (p *Postgres) RecordStep(ctx context.Context, runID int64, s Step) error {
	if s.Started.IsZero() {
		s.Started = p.now()
	}
	if s.Finished.IsZero() {
		s.Finished = p.now()
	}
	return p.write(ctx, "record step "+s.Name, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO zdcd_ledger.steps (run_id, name, started_at, finished_at, ok, detail)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			runID, s.Name, s.Started, s.Finished, s.OK, p.scrub(s.Detail))
		return notFoundOnFK(err, runID)
	})
}

// notFoundOnFK maps a foreign-key violation on run_id to ErrNotFound.
func notFoundOnFK(err error, runID int64) error {
	if isCode(err, "23503") {
		return fmt.Errorf("run %d: %w", runID, ErrNotFound)
	}
	return err
}

func keysJSON(keys []plan.MigrationKey) ([]byte, error) {
	if keys == nil {
		keys = []plan.MigrationKey{}
	}
	return json.Marshal(keys)
}

// RecordApplied records the applied sets before and after the migrate step (replacing any
// recorded before for the run).
func (p *Postgres) RecordApplied(ctx context.Context, runID int64, before, after []plan.MigrationKey) error {
	return p.write(ctx, "record applied migrations", func(tx pgx.Tx) error {
		return writeApplied(ctx, tx, runID, before, after)
	})
}

func writeApplied(ctx context.Context, tx pgx.Tx, runID int64, before, after []plan.MigrationKey) error {
	b, err := keysJSON(before)
	if err != nil {
		return err
	}
	a, err := keysJSON(after)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO zdcd_ledger.run_applied (run_id, before, after) VALUES ($1, $2, $3)
		ON CONFLICT (run_id) DO UPDATE SET before = excluded.before, after = excluded.after`, runID, string(b), string(a))
	return notFoundOnFK(err, runID)
}

// FinishRun records the outcome. A successful release or nightly run supersedes, in the same
// transaction, every earlier refusal of the same or an older release version or of the same slug
// (when either version is unknown, every earlier refusal): the database now holds a newer
// schema, and deploying the refused release again is no longer what anyone wants.
func (p *Postgres) FinishRun(ctx context.Context, runID int64, outcome Outcome, exitCode int, errText string) error {
	if !outcomes[outcome] {
		return fmt.Errorf("ledger: unknown outcome %q", outcome)
	}
	now := p.now()
	return p.write(ctx, "finish run", func(tx pgx.Tx) error {
		if err := mustUpdate(ctx, tx, runID, `UPDATE zdcd_ledger.runs SET finished_at = $2, outcome = $3, exit_code = $4, error = $5
			WHERE id = $1`, runID, now, string(outcome), exitCode, p.scrub(errText)); err != nil {
			return err
		}
		return supersede(ctx, tx, runID, now)
	})
}

// supersede marks the refusals a successful run supersedes; it does nothing for other runs.
func supersede(ctx context.Context, tx pgx.Tx, runID int64, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE zdcd_ledger.runs r
		SET superseded_by = s.id, superseded_at = $2,
		    superseded_reason = 'run ' || s.id || ' (' || s.command ||
		        coalesce(' of release v' || s.release_version, '') || ') finished: ' || s.outcome
		FROM zdcd_ledger.runs s
		WHERE s.id = $1 AND s.outcome IN ('applied', 'nothing-pending') AND s.command IN ('release', 'nightly')
		  AND r.outcome = 'refused' AND r.superseded_at IS NULL AND r.id < s.id
		  AND (s.release_version IS NULL OR r.release_version IS NULL OR r.release_version <= s.release_version
		       OR (r.slug_id <> '' AND r.slug_id = s.slug_id))`, runID, now)
	return err
}

// Put writes a whole run as given, id included, replacing the ledger's copy. The release calls
// it after a restore rolled the ledger back with the rest of the database. The run sequence is
// moved past the id so later runs never reuse it.
func (p *Postgres) Put(ctx context.Context, d *Detail) error {
	if d == nil || d.ID <= 0 {
		return errors.New("ledger: put: a run needs its id")
	}
	if err := validCommand(d.Command); err != nil {
		return err
	}
	if d.Outcome != "" && !outcomes[d.Outcome] {
		return fmt.Errorf("ledger: unknown outcome %q", d.Outcome)
	}
	return p.write(ctx, fmt.Sprintf("put run %d", d.ID), func(tx pgx.Tx) error {
		var exit any
		if d.Outcome != "" {
			exit = d.ExitCode
		}
		var supersededBy, supersededAt any
		if d.SupersededBy != 0 {
			supersededBy = d.SupersededBy
		}
		if !d.SupersededAt.IsZero() {
			supersededAt = d.SupersededAt
		}
		_, err := tx.Exec(ctx, `INSERT INTO zdcd_ledger.runs (id, command, started_at, finished_at, app_name, release_version,
			slug_id, server_version, zdcd_version, verdict, outcome, exit_code, error, backup_id, backup_location,
			superseded_by, superseded_at, superseded_reason)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
			        (SELECT id FROM zdcd_ledger.runs WHERE id = $16), $17, $18)
			ON CONFLICT (id) DO UPDATE SET command = excluded.command, started_at = excluded.started_at,
			  finished_at = excluded.finished_at, app_name = excluded.app_name,
			  release_version = excluded.release_version, slug_id = excluded.slug_id,
			  server_version = excluded.server_version, zdcd_version = excluded.zdcd_version,
			  verdict = excluded.verdict, outcome = excluded.outcome, exit_code = excluded.exit_code,
			  error = excluded.error, backup_id = excluded.backup_id, backup_location = excluded.backup_location,
			  superseded_by = excluded.superseded_by, superseded_at = excluded.superseded_at,
			  superseded_reason = excluded.superseded_reason`,
			d.ID, string(d.Command), d.StartedAt, nullTime(d.FinishedAt), d.AppName, nullInt(d.ReleaseVersion),
			d.SlugID, d.ServerVersion, d.ZdcdVersion, string(d.Verdict), string(d.Outcome), exit, p.scrub(d.Error),
			p.scrub(d.BackupID), p.scrub(d.BackupLocation), supersededBy, supersededAt, d.SupersededReason)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT setval('zdcd_ledger.runs_id_seq',
			greatest((SELECT max(id) FROM zdcd_ledger.runs), (SELECT last_value FROM zdcd_ledger.runs_id_seq)))`); err != nil {
			return err
		}
		if err := p.writePlan(ctx, tx, d.ID, d.Migrations); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM zdcd_ledger.steps WHERE run_id = $1", d.ID); err != nil {
			return err
		}
		for _, s := range d.Steps {
			if _, err := tx.Exec(ctx, `INSERT INTO zdcd_ledger.steps (run_id, name, started_at, finished_at, ok, detail)
				VALUES ($1, $2, $3, $4, $5, $6)`, d.ID, s.Name, s.Started, s.Finished, s.OK, p.scrub(s.Detail)); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "DELETE FROM zdcd_ledger.run_applied WHERE run_id = $1", d.ID); err != nil {
			return err
		}
		if d.Before != nil || d.After != nil {
			if err := writeApplied(ctx, tx, d.ID, d.Before, d.After); err != nil {
				return err
			}
		}
		return supersede(ctx, tx, d.ID, p.now())
	})
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// OpenExisting returns the store without creating or upgrading anything, for readers such as
// `zdcd-release history`: ok=false when the database has no ledger yet. It writes nothing.
func OpenExisting(ctx context.Context, conn *pgx.Conn, opts Options) (p *Postgres, ok bool, err error) {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", Schema+".schema_version").Scan(&exists); err != nil {
		return nil, false, fmt.Errorf("read the ledger: %w", err)
	}
	if !exists {
		return nil, false, nil
	}
	var version *int
	if err := conn.QueryRow(ctx, "SELECT max(version) FROM "+Schema+".schema_version").Scan(&version); err != nil {
		return nil, false, fmt.Errorf("read the ledger: %w", err)
	}
	if version == nil {
		return nil, false, nil
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.StatementTimeout <= 0 {
		opts.StatementTimeout = 10 * time.Second
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 2 * time.Second
	}
	return &Postgres{conn: conn, opts: opts, red: opts.Redactor.With(opts.Secrets...), version: *version}, true, nil
}
