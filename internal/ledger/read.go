package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
)

func isCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

const runColumns = `r.id, r.command, r.started_at, r.finished_at, r.app_name, coalesce(r.release_version, 0), r.slug_id,
	r.server_version, r.zdcd_version, r.verdict, r.outcome, coalesce(r.exit_code, -1), r.error, r.backup_id,
	r.backup_location, coalesce(r.superseded_by, 0), r.superseded_at, r.superseded_reason`

func scanRun(row pgx.Row, extra ...any) (Run, error) {
	var r Run
	var command, verdict, outcome string
	var finished, superseded *time.Time
	dest := append([]any{&r.ID, &command, &r.StartedAt, &finished, &r.AppName, &r.ReleaseVersion, &r.SlugID,
		&r.ServerVersion, &r.ZdcdVersion, &verdict, &outcome, &r.ExitCode, &r.Error, &r.BackupID,
		&r.BackupLocation, &r.SupersededBy, &superseded, &r.SupersededReason}, extra...)
	if err := row.Scan(dest...); err != nil {
		return Run{}, err
	}
	r.Command, r.Verdict, r.Outcome = Command(command), Verdict(verdict), Outcome(outcome)
	r.StartedAt = r.StartedAt.UTC()
	if finished != nil {
		r.FinishedAt = finished.UTC()
	}
	if superseded != nil {
		r.SupersededAt = superseded.UTC()
	}
	return r, nil
}

func (p *Postgres) read(ctx context.Context, what string, f func(pgx.Tx) error) error {
	if err := p.idle(); err != nil {
		return fmt.Errorf("ledger: %s: %w", what, err)
	}
	err := pgx.BeginTxFunc(ctx, p.conn, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d; SET LOCAL statement_timeout = %d",
			p.opts.LockTimeout.Milliseconds(), p.opts.StatementTimeout.Milliseconds())); err != nil {
			return err
		}
		return f(tx)
	})
	if err != nil {
		return fmt.Errorf("ledger: %s: %w", what, err)
	}
	return nil
}

// History returns the latest limit runs (all when limit <= 0), newest first.
func (p *Postgres) History(ctx context.Context, limit int) ([]RunSummary, error) {
	var out []RunSummary
	err := p.read(ctx, "history", func(tx pgx.Tx) error {
		q := `SELECT ` + runColumns + `,
			(SELECT count(*) FROM zdcd_ledger.run_migrations m WHERE m.run_id = r.id),
			(SELECT count(*) FROM zdcd_ledger.run_migrations m WHERE m.run_id = r.id AND NOT m.safe),
			coalesce((SELECT count(*) FROM zdcd_ledger.run_applied a, jsonb_array_elements(a.after) e
			          WHERE a.run_id = r.id AND NOT a.before @> jsonb_build_array(e)), 0)
			FROM zdcd_ledger.runs r ORDER BY r.started_at DESC, r.id DESC`
		args := []any{}
		if limit > 0 {
			q += " LIMIT $1"
			args = append(args, limit)
		}
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (RunSummary, error) {
			var s RunSummary
			r, err := scanRun(row, &s.Migrations, &s.Unsafe, &s.Applied)
			s.Run = r
			return s, err
		})
		return err
	})
	if out == nil {
		out = []RunSummary{}
	}
	return out, err
}

// Run returns everything recorded about one run.
func (p *Postgres) Run(ctx context.Context, id int64) (*Detail, error) {
	var d *Detail
	err := p.read(ctx, fmt.Sprintf("read run %d", id), func(tx pgx.Tx) error {
		var err error
		d, err = p.detail(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// LatestPlanOf returns the newest run (by start, then id) whose recorded plan contains the
// migration, whatever its command and outcome: `zdcd-release approve app.name` reads the digest
// the release phase recorded there. Its Migrations[i].Digest is empty when a zdcd-release older
// than ledger version 2 recorded that plan. ErrNotFound when no recorded plan contains it.
func (p *Postgres) LatestPlanOf(ctx context.Context, key plan.MigrationKey) (*Detail, error) {
	return p.newestDetail(ctx, "find the latest plan of "+key.String(), "a plan with "+key.String(),
		`SELECT r.id FROM zdcd_ledger.runs r
			WHERE EXISTS (SELECT 1 FROM zdcd_ledger.run_migrations m WHERE m.run_id = r.id AND m.app = $1 AND m.name = $2)
			ORDER BY r.started_at DESC, r.id DESC LIMIT 1`, key.App, key.Name)
}

// RunByRelease returns the newest run (by start, then id) of command for the Heroku release
// version (42 for v42): the nightly flow reads the outcome of the release phase it triggered.
// ErrNotFound when there is none.
func (p *Postgres) RunByRelease(ctx context.Context, command Command, version int) (*Detail, error) {
	if err := validCommand(command); err != nil {
		return nil, err
	}
	if version <= 0 {
		return nil, fmt.Errorf("ledger: release version %d: must be positive", version)
	}
	return p.newestDetail(ctx, fmt.Sprintf("find the %s run of release v%d", command, version), fmt.Sprintf("%s run of release v%d", command, version),
		`SELECT r.id FROM zdcd_ledger.runs r WHERE r.release_version = $1 AND r.command = $2
			ORDER BY r.started_at DESC, r.id DESC LIMIT 1`, version, string(command))
}

// newestDetail reads the run whose id query selects, whole; ErrNotFound (wrapped with what) when
// it selects none.
func (p *Postgres) newestDetail(ctx context.Context, op, what, query string, args ...any) (*Detail, error) {
	var d *Detail
	err := p.read(ctx, op, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, query, args...).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%s: %w", what, ErrNotFound)
		}
		if err != nil {
			return err
		}
		d, err = p.detail(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// detail reads one run whole inside a read transaction.
func (p *Postgres) detail(ctx context.Context, tx pgx.Tx, id int64) (*Detail, error) {
	d := &Detail{Migrations: []Migration{}, Approvals: []UsedApproval{}, Steps: []Step{}}
	err := func() error {
		r, err := scanRun(tx.QueryRow(ctx, "SELECT "+runColumns+" FROM zdcd_ledger.runs r WHERE r.id = $1", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		d.Run = r

		digest := "''"
		if p.version >= versionDigests {
			digest = "coalesce(digest, '')"
		}
		rows, err := tx.Query(ctx, `SELECT app, name, file, safe, `+digest+`
			FROM zdcd_ledger.run_migrations WHERE run_id = $1 ORDER BY position`, id)
		if err != nil {
			return err
		}
		d.Migrations, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Migration, error) {
			m := Migration{Findings: []analysis.Finding{}}
			return m, row.Scan(&m.App, &m.Name, &m.File, &m.Safe, &m.Digest)
		})
		if err != nil {
			return err
		}

		rows, err = tx.Query(ctx, `SELECT position, rule, severity, operation, line, statement, message, fix,
			approved_by, approval_entry, approval_reason FROM zdcd_ledger.findings WHERE run_id = $1 ORDER BY position, seq`, id)
		if err != nil {
			return err
		}
		seen := map[UsedApproval]bool{}
		for rows.Next() {
			var pos int
			var f analysis.Finding
			var sev string
			var by *string
			var entry, reason string
			if err := rows.Scan(&pos, &f.Rule, &sev, &f.Operation, &f.Line, &f.Statement, &f.Message, &f.Fix, &by, &entry, &reason); err != nil {
				rows.Close()
				return err
			}
			f.Severity = analysis.Severity(sev)
			if pos < 0 || pos >= len(d.Migrations) {
				continue
			}
			if by != nil {
				f.Approval = &analysis.Approval{By: *by, Entry: entry, Reason: reason}
				u := UsedApproval{App: d.Migrations[pos].App, Name: d.Migrations[pos].Name, Rule: f.Rule, By: *by, Entry: entry, Reason: reason}
				if !seen[u] {
					seen[u] = true
					d.Approvals = append(d.Approvals, u)
				}
			}
			d.Migrations[pos].Findings = append(d.Migrations[pos].Findings, f)
		}
		if err := rows.Err(); err != nil {
			return err
		}

		rows, err = tx.Query(ctx, `SELECT name, started_at, finished_at, ok, detail FROM zdcd_ledger.steps WHERE run_id = $1 ORDER BY seq`, id)
		if err != nil {
			return err
		}
		d.Steps, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Step, error) {
			var s Step
			err := row.Scan(&s.Name, &s.Started, &s.Finished, &s.OK, &s.Detail)
			s.Started, s.Finished = s.Started.UTC(), s.Finished.UTC()
			return s, err
		})
		if err != nil {
			return err
		}

		var before, after []byte
		err = tx.QueryRow(ctx, "SELECT before, after FROM zdcd_ledger.run_applied WHERE run_id = $1", id).Scan(&before, &after)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(before, &d.Before); err != nil {
			return fmt.Errorf("applied before: %w", err)
		}
		if err := json.Unmarshal(after, &d.After); err != nil {
			return fmt.Errorf("applied after: %w", err)
		}
		return nil
	}()
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Refused returns refusals started at or after since and not superseded, newest first. The
// nightly flow deploys the first (the newest release wins; its success then supersedes the
// older ones).
func (p *Postgres) Refused(ctx context.Context, since time.Time) ([]Run, error) {
	var out []Run
	err := p.read(ctx, "list refused runs", func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, "SELECT "+runColumns+` FROM zdcd_ledger.runs r
			WHERE r.outcome = 'refused' AND r.superseded_at IS NULL AND r.started_at >= $1
			ORDER BY r.started_at DESC, r.id DESC`, since)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Run, error) { return scanRun(row) })
		return err
	})
	if out == nil {
		out = []Run{}
	}
	return out, err
}

// MarkSuperseded marks a refusal superseded, by a run (byRunID) or by a decision (byRunID 0),
// with the reason. Marking an already superseded refusal keeps the first mark.
func (p *Postgres) MarkSuperseded(ctx context.Context, refusedID, byRunID int64, reason string) error {
	return p.write(ctx, fmt.Sprintf("mark run %d superseded", refusedID), func(tx pgx.Tx) error {
		var outcome string
		err := tx.QueryRow(ctx, "SELECT outcome FROM zdcd_ledger.runs WHERE id = $1 FOR UPDATE", refusedID).Scan(&outcome)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("run %d: %w", refusedID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if Outcome(outcome) != OutcomeRefused {
			return fmt.Errorf("run %d was not refused (outcome %q)", refusedID, outcome)
		}
		var by any
		if byRunID != 0 {
			by = byRunID
		}
		_, err = tx.Exec(ctx, `UPDATE zdcd_ledger.runs SET superseded_by = $2, superseded_at = $3, superseded_reason = $4
			WHERE id = $1 AND superseded_at IS NULL`, refusedID, by, p.now(), p.scrub(reason))
		return notFoundOnFK(err, byRunID)
	})
}

// Superseded reports whether a refusal is superseded.
func (p *Postgres) Superseded(ctx context.Context, refusedID int64) (bool, error) {
	var ok bool
	err := p.read(ctx, fmt.Sprintf("read run %d", refusedID), func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, "SELECT superseded_at IS NOT NULL FROM zdcd_ledger.runs WHERE id = $1", refusedID).Scan(&ok)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("run %d: %w", refusedID, ErrNotFound)
		}
		return err
	})
	return ok, err
}

// digestPattern is the form of plan.Migration.Digest().
var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Approve records an approval of one migration as planned, for one rule (or every rule when
// a.Rule is empty). App, Name, Reason, ApprovedBy and Digest (plan.Migration.Digest() of the
// reviewed plan, as LatestPlanOf reads it) are required, and ExpiresAt must be later than now.
// Source defaults to ApprovalByApprove; RunID (the refused run approved) is optional. ID,
// CreatedAt (defaulting to now) and the consumption and revocation fields are the ledger's.
func (p *Postgres) Approve(ctx context.Context, a Approval) (int64, error) {
	var missing []string
	for _, f := range []struct{ name, v string }{{"app", a.App}, {"migration name", a.Name}, {"reason", a.Reason},
		{"approved by", a.ApprovedBy}, {"digest", a.Digest}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if a.ExpiresAt.IsZero() {
		missing = append(missing, "expiry")
	}
	if len(missing) > 0 {
		return 0, fmt.Errorf("ledger: an approval needs %s", strings.Join(missing, ", "))
	}
	if !digestPattern.MatchString(a.Digest) {
		return 0, fmt.Errorf("ledger: approval digest %q is not a plan digest (sha256:<64 hex>)", a.Digest)
	}
	now := p.now()
	if !a.ExpiresAt.After(now) {
		return 0, fmt.Errorf("ledger: approval expiry %s is not later than now (%s)", a.ExpiresAt.UTC().Format(time.RFC3339), now.Format(time.RFC3339))
	}
	switch a.Source {
	case "":
		a.Source = ApprovalByApprove
	case ApprovalByApprove, ApprovalByNightly:
	default:
		return 0, fmt.Errorf("ledger: unknown approval source %q (want %q or %q)", a.Source, ApprovalByApprove, ApprovalByNightly)
	}
	if a.RunID < 0 {
		return 0, fmt.Errorf("ledger: approval run id %d: must not be negative", a.RunID)
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now
	}
	var rule, runID any
	if a.Rule != "" {
		rule = a.Rule
	}
	if a.RunID != 0 {
		runID = a.RunID
	}
	var id int64
	err := p.write(ctx, "record approval", func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO zdcd_ledger.approvals (app, name, rule, reason, approved_by, created_at,
			digest, expires_at, source, run_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			a.App, a.Name, rule, p.scrub(a.Reason), a.ApprovedBy, a.CreatedAt, a.Digest, a.ExpiresAt, a.Source, runID).Scan(&id)
	})
	return id, err
}

// Revoke withdraws an approval (the row stays, with revoked_at).
func (p *Postgres) Revoke(ctx context.Context, approvalID int64) error {
	return p.write(ctx, fmt.Sprintf("revoke approval %d", approvalID), func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE zdcd_ledger.approvals SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", approvalID, p.now())
		if err == nil && tag.RowsAffected() == 0 {
			return fmt.Errorf("approval %d: %w", approvalID, ErrNotFound)
		}
		return err
	})
}

// ConsumeApprovals records that the run used the approvals: their consumed_at becomes now and
// consumed_by runID. Approvals already consumed keep their first consumption, so consuming
// again is a no-op; unknown ids are ignored.
func (p *Postgres) ConsumeApprovals(ctx context.Context, ids []int64, runID int64) error {
	if runID <= 0 {
		return fmt.Errorf("ledger: consume approvals: run id %d: must be positive", runID)
	}
	if len(ids) == 0 {
		return nil
	}
	return p.write(ctx, fmt.Sprintf("consume approvals for run %d", runID), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE zdcd_ledger.approvals SET consumed_at = $2, consumed_by = $3
			WHERE id = ANY($1::bigint[]) AND consumed_at IS NULL`, ids, p.now(), runID)
		return err
	})
}

// inForce is the SQL condition of an approval in force at $1: not revoked, not consumed, not
// expired, and bound to a digest (rows recorded before ledger version 2 never are).
const inForce = `a.revoked_at IS NULL AND a.consumed_at IS NULL AND a.digest IS NOT NULL AND a.expires_at > $1`

const approvalColumns = `a.id, a.app, a.name, coalesce(a.rule, ''), a.reason, a.approved_by, a.created_at,
	coalesce(a.digest, ''), a.expires_at, a.consumed_at, coalesce(a.consumed_by, 0), coalesce(a.source, ''),
	coalesce(a.run_id, 0), a.revoked_at`

// approvalColumnsV1 reads a ledger of version 1 (OpenExisting does not upgrade).
const approvalColumnsV1 = `a.id, a.app, a.name, coalesce(a.rule, ''), a.reason, a.approved_by, a.created_at,
	'', NULL::timestamptz, NULL::timestamptz, 0::bigint, '', 0::bigint, a.revoked_at`

func scanApproval(row pgx.CollectableRow) (Approval, error) {
	var a Approval
	var expires, consumed, revoked *time.Time
	if err := row.Scan(&a.ID, &a.App, &a.Name, &a.Rule, &a.Reason, &a.ApprovedBy, &a.CreatedAt,
		&a.Digest, &expires, &consumed, &a.ConsumedBy, &a.Source, &a.RunID, &revoked); err != nil {
		return Approval{}, err
	}
	a.CreatedAt = a.CreatedAt.UTC()
	if expires != nil {
		a.ExpiresAt = expires.UTC()
	}
	if consumed != nil {
		a.ConsumedAt = consumed.UTC()
	}
	if revoked != nil {
		a.RevokedAt = revoked.UTC()
	}
	return a, nil
}

// ApprovalsFor returns the approvals in force for the migrations, ordered by app, name, rule:
// not revoked, not consumed, and expiring after now (the store's clock). Approvals recorded
// before ledger version 2 have no digest, so they cannot be matched to a plan and are never in
// force. The caller matches each approval's Digest against its plan's.
func (p *Postgres) ApprovalsFor(ctx context.Context, migrations []plan.MigrationKey) ([]Approval, error) {
	out := []Approval{}
	if len(migrations) == 0 || p.version < versionDigests {
		return out, nil
	}
	apps, names := make([]string, len(migrations)), make([]string, len(migrations))
	for i, k := range migrations {
		apps[i], names[i] = k.App, k.Name
	}
	now := p.now()
	err := p.read(ctx, "read approvals", func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+approvalColumns+` FROM zdcd_ledger.approvals a
			WHERE `+inForce+` AND (a.app, a.name) IN (SELECT * FROM unnest($2::text[], $3::text[]))
			ORDER BY a.app, a.name, a.rule NULLS FIRST, a.id`, now, apps, names)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanApproval)
		return err
	})
	return out, err
}

// Approvals returns the approvals newest first (by creation, then id): every one recorded when
// includeInactive, otherwise only those in force (see ApprovalsFor). For
// `zdcd-release approve --list`.
func (p *Postgres) Approvals(ctx context.Context, includeInactive bool) ([]Approval, error) {
	out := []Approval{}
	if !includeInactive && p.version < versionDigests {
		return out, nil
	}
	cols, where := approvalColumns, `WHERE `+inForce
	if p.version < versionDigests {
		cols = approvalColumnsV1
	}
	if includeInactive {
		where = `WHERE $1::timestamptz IS NOT NULL`
	}
	err := p.read(ctx, "list approvals", func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+cols+` FROM zdcd_ledger.approvals a `+where+`
			ORDER BY a.created_at DESC, a.id DESC`, p.now())
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanApproval)
		return err
	})
	return out, err
}

// FinishAbandoned closes every unfinished release, nightly or rollback run other than current
// whose database session is gone: runs whose process died (SIGKILL, dyno lost) or could not
// record their outcome (the ledger was locked when they finished). A run whose session is still
// connected is alive (the nightly flow waits, unlocked, for the release phase it triggered).
//
// A release run is judged by what its migrations left behind, read from django_migrations: when
// every migration of its recorded plan is applied, it is recorded as applied (its exit code
// unknown) and supersedes refusals as an applied run does; otherwise as interrupted, naming the
// planned migrations that are applied. Either way the applied sets are recorded when the run
// could not record them, so that `rollback` knows what the run changed. Other runs are recorded
// as interrupted.
//
// Call it only while holding the release lock, when no other release can be running and no
// migration has run since the abandoned one. It returns how many runs it closed.
func (p *Postgres) FinishAbandoned(ctx context.Context, current int64) (int, error) {
	var n int
	now := p.now()
	err := p.write(ctx, "close abandoned runs", func(tx pgx.Tx) error {
		type abandoned struct {
			id         int64
			command    string
			hasApplied bool
		}
		rows, err := tx.Query(ctx, `SELECT r.id, r.command, EXISTS (SELECT 1 FROM zdcd_ledger.run_applied a WHERE a.run_id = r.id)
			FROM zdcd_ledger.runs r
			WHERE r.outcome = '' AND r.command IN ('release', 'nightly', 'rollback') AND r.id <> $1
			  AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
			                  WHERE a.pid = r.backend_pid AND a.backend_start = r.backend_start)
			ORDER BY r.id FOR UPDATE OF r`, current)
		if err != nil {
			return err
		}
		runs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (abandoned, error) {
			var a abandoned
			return a, row.Scan(&a.id, &a.command, &a.hasApplied)
		})
		if err != nil || len(runs) == 0 {
			return err
		}
		var applied []plan.MigrationKey
		appliedRead := false
		for _, r := range runs {
			outcome, why := OutcomeInterrupted, "the run ended without recording an outcome (process killed?)"
			if r.command == string(CommandRelease) {
				planned, err := plannedKeys(ctx, tx, r.id)
				if err != nil {
					return err
				}
				if len(planned) > 0 {
					if !appliedRead {
						if applied, err = djangoApplied(ctx, tx); err != nil {
							return err
						}
						appliedRead = true
					}
					done := plan.Minus(planned, plan.Minus(planned, applied))
					switch {
					case len(done) == len(planned):
						outcome = OutcomeApplied
						why = fmt.Sprintf("the run ended without recording its outcome; every migration it planned is applied (%s)", plan.JoinKeys(done))
					case len(done) > 0:
						why = fmt.Sprintf("the run ended without recording an outcome; %d of its %d planned migrations are applied (%s)",
							len(done), len(planned), plan.JoinKeys(done))
					default:
						why = "the run ended without recording an outcome; none of its planned migrations is applied"
					}
					if !r.hasApplied {
						// Before the run: what is applied now, less what the run applied.
						if err := writeApplied(ctx, tx, r.id, plan.Minus(applied, done), applied); err != nil {
							return err
						}
					}
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE zdcd_ledger.runs SET outcome = $2,
				error = CASE WHEN error = '' THEN $3 ELSE error END, finished_at = coalesce(finished_at, $4)
				WHERE id = $1`, r.id, string(outcome), p.scrub(why), now); err != nil {
				return err
			}
			if outcome == OutcomeApplied {
				if err := supersede(ctx, tx, r.id, now); err != nil {
					return err
				}
			}
			n++
		}
		return nil
	})
	return n, err
}

// plannedKeys are the migrations of a run's recorded plan, in apply order.
func plannedKeys(ctx context.Context, tx pgx.Tx, runID int64) ([]plan.MigrationKey, error) {
	rows, err := tx.Query(ctx, `SELECT app, name FROM zdcd_ledger.run_migrations WHERE run_id = $1 ORDER BY position`, runID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (plan.MigrationKey, error) {
		var k plan.MigrationKey
		return k, row.Scan(&k.App, &k.Name)
	})
}

// djangoApplied is the set of migrations Django records as applied (none when Django has not
// created its table yet).
func djangoApplied(ctx context.Context, tx pgx.Tx) ([]plan.MigrationKey, error) {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass('django_migrations') IS NOT NULL`).Scan(&exists); err != nil || !exists {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT app, name FROM django_migrations ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (plan.MigrationKey, error) {
		var k plan.MigrationKey
		return k, row.Scan(&k.App, &k.Name)
	})
}
