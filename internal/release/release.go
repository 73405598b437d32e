// Package release is `zdcd-release release`, the command Heroku's release phase runs on every
// push (DESIGN.md, "Release phase"): take the release lock, plan and judge the pending
// migrations, refuse what the old code cannot survive, back up, migrate under short lock
// timeouts, and recover when a migration fails.
//
// Decisions (where DESIGN.md is silent):
//
//   - A migration is backward compatible when it has no unsafe finding at all — approved ones
//     included: an approval (ZDCD_ALLOW, zdcd_exempt, `zdcd-release approve`, NIGHTLY_BUILD) lets
//     a migration run, it does not make the old code survive it. ZDCD_BACKUP=unsafe-only and the
//     restore decision both use this.
//   - The migration in flight when the command failed counts as touched when it is not atomic:
//     its first statements may have run although django_migrations has no row for it.
//   - A restore runs only behind maintenance mode with the worker dynos scaled to 0. If
//     maintenance mode cannot be switched on, zdcd does not restore under live traffic: it stops
//     (exit 4) and says how to finish. Without Heroku credentials (local runs) there is no
//     maintenance mode to switch and the restore runs directly.
//   - Maintenance mode that was already on when the run started (the nightly flow, or a human)
//     is left on; mode zdcd switched on is switched off, or the exit-4 statement says it is on.
//   - Steps after a restore are rewritten into the ledger with Put: the restore rolled the
//     ledger back with the rest of the database.
//   - SIGTERM (Heroku's time limit) cancels the context: the migrate command is interrupted and
//     the same recovery runs on a context of its own, bounded by RecoveryTimeout.
//   - Schema ahead of code (ahead.go): when the database holds applied migrations this code does
//     not contain (Heroku ran the release phase for a rollback, a config-var change or a
//     promotion of older code), the ledger decides. One recorded with an unsafe finding, approved
//     or not, refuses the release (exit 1, whatever NIGHTLY_BUILD or the approvals say: they let
//     a migration run, they do not make older code survive it), naming the migration, the release
//     and run that applied it, the rules, and `zdcd-release rollback --to vN`; the refusal is
//     superseded at once, since no nightly window can ship it. One recorded as safe passes with a
//     line saying so. One no recorded plan holds (applied by hand, before zdcd, marked applied
//     without running) is unprovable: a warning naming it, not a refusal — refusing would brick
//     every config-var change of an app that adopted zdcd mid-life. Rows recorded before every
//     migration the code knows (an app removed from INSTALLED_APPS, or files deleted after a
//     squash) are the code moving on, not a rollback: one line, not judged. Pending migrations
//     are then judged as always.
//   - A busy release lock past ZDCD_RELEASE_LOCK_WAIT, and a failed backup, end the run with
//     exit 3 (failed, nothing changed); a plan that cannot be made is exit 2 as in check.
//   - Time budget (Flow.Deadline, ZDCD_RELEASE_DEADLINE from the process start): the backup and
//     the migrate command must end a recovery reserve before the deadline (RecoveryReserve);
//     recovery runs until the deadline. A backup still running on Heroku at its bound ends the
//     run with exit 3 (interrupted, nothing changed: retry once it finished); a restore still
//     running at the deadline is exit 4 stating that Heroku still restores, never "failed".
package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/database"
	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/journal"
	"github.com/zdcd/zdcd/internal/judge"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/migrate"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/report"
	"github.com/zdcd/zdcd/internal/window"
)

// Judge plans and judges the pending migrations with the approvals given (*judge.Judge).
type Judge interface {
	Judge(ctx context.Context, approvals judge.Approvals) (*judge.Judged, error)
}

var _ Judge = (*judge.Judge)(nil)

// Ledger is the part of the ledger a release writes (*ledger.Postgres).
type Ledger interface {
	StartRun(ctx context.Context, info ledger.RunInfo) (int64, error)
	RecordPlan(ctx context.Context, runID int64, r *analysis.Result) error
	RecordBackup(ctx context.Context, runID int64, id, location string) error
	RecordStep(ctx context.Context, runID int64, s ledger.Step) error
	RecordApplied(ctx context.Context, runID int64, before, after []plan.MigrationKey) error
	FinishRun(ctx context.Context, runID int64, outcome ledger.Outcome, exitCode int, errText string) error
	FinishAbandoned(ctx context.Context, current int64) (int, error)
	Put(ctx context.Context, d *ledger.Detail) error
	Run(ctx context.Context, id int64) (*ledger.Detail, error)
	ApprovalsFor(ctx context.Context, migrations []plan.MigrationKey) ([]ledger.Approval, error)
	ConsumeApprovals(ctx context.Context, ids []int64, runID int64) error
	// For the schema ahead of code (ahead.go).
	Provenance(ctx context.Context, keys []plan.MigrationKey) ([]ledger.Provenance, error)
	LastSucceededBefore(ctx context.Context, version int) (int, error)
	MarkSuperseded(ctx context.Context, refusedID, byRunID int64, reason string) error
}

var _ Ledger = (*ledger.Postgres)(nil)

// Migrator applies the pending migrations, all in one command or one at a time (the release
// decides per plan), with the settings module the plan was computed with. Probe runs the command
// as Run's first attempt would, in probe mode, before anything is touched (preflight.go).
// RunnerMigrator adapts a *migrate.Runner.
type Migrator interface {
	Probe(ctx context.Context, migs []migrate.Migration, oneAtATime bool, settings string) (*migrate.ProbeResult, error)
	Run(ctx context.Context, migs []migrate.Migration, oneAtATime bool, settings string) (*migrate.Result, error)
}

// RunnerMigrator is a *migrate.Runner as a Migrator.
type RunnerMigrator struct{ Runner *migrate.Runner }

// Probe runs the runner's pre-flight probe.
func (m RunnerMigrator) Probe(ctx context.Context, migs []migrate.Migration, oneAtATime bool, settings string) (*migrate.ProbeResult, error) {
	m.Runner.OneAtATime, m.Runner.Settings = oneAtATime, settings
	return m.Runner.Probe(ctx, migs)
}

// Run applies migs with the runner, one at a time when asked.
func (m RunnerMigrator) Run(ctx context.Context, migs []migrate.Migration, oneAtATime bool, settings string) (*migrate.Result, error) {
	m.Runner.OneAtATime, m.Runner.Settings = oneAtATime, settings
	return m.Runner.Run(ctx, migs)
}

// Flow is one release run. Every field but Platform is required.
type Flow struct {
	Config *config.Config
	// DB is the release's own session: the release lock, the ledger, the applied sets.
	DB     *database.DB
	Ledger Ledger
	// Judge plans and judges the pending migrations, with the ledger's approvals.
	Judge Judge
	// Report is how the judged plan's text report is rendered (its paths' directories).
	Report   report.Options
	Backups  Backuper
	Migrator Migrator
	// Platform switches maintenance mode and scales dynos; nil without Heroku credentials.
	Platform window.Platform
	// Generation is the app's platform generation, read once by the command (ReadGeneration);
	// the zero value behaves as Cedar. On Fir there is no maintenance mode (generation.go).
	Generation heroku.Generation
	// Info is what is known about the release (app, version, slug).
	Info ledger.RunInfo
	// Description is the Heroku release's description ("Rollback to v41"), "" when unknown.
	Description string
	// Out is the release log.
	Out io.Writer
	// Reopen opens a new session and ledger, for when a restore ended the release's session (a
	// restore may terminate the database's connections). Nil: no reconnection.
	Reopen func(ctx context.Context) (*database.DB, Ledger, error)
	// RecoveryTimeout bounds recovery once the run's context is cancelled (default 15 minutes)
	// when there is no Deadline.
	RecoveryTimeout time.Duration
	// Deadline is when the whole run must be over, recovery included (the process start plus
	// ZDCD_RELEASE_DEADLINE); zero: none beyond the context's and RecoveryTimeout.
	Deadline time.Time
	// Now is the clock (nil: time.Now).
	Now func() time.Time

	runID  int64
	backup *Backup
	// window is the maintenance window while the plan runs behind maintenance mode (window.go);
	// nil when it does not, or once the app is brought back.
	window  *window.Window
	result  *analysis.Result
	pending []plan.MigrationKey
	before  []plan.MigrationKey
	// restored is the run as recorded before a restore rolled the ledger back (nil until then).
	restored *ledger.Detail
	// approvals are the ledger approvals in force that match the pending migrations; stale those
	// whose migration changed since.
	approvals map[plan.MigrationKey][]ledger.Approval
	stale     []ledger.Approval
}

func (f *Flow) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// say writes one line of the release log, Heroku-style.
func (f *Flow) say(format string, args ...any) {
	fmt.Fprintf(f.Out, "-----> "+format+"\n", args...)
}

// Run runs the release. The error is nil (exit 0), a *Error (1, 3, 4), or a configuration or
// plan error (exit 2) that changed nothing.
func (f *Flow) Run(ctx context.Context) error {
	if err := AcquireLock(ctx, f.DB.Conn, f.Config.ReleaseLockWait, f.Out); err != nil {
		switch {
		case ctx.Err() != nil:
			return journal.Exit(journal.ExitFailed, errors.New("interrupted while waiting for the release lock: nothing was changed"))
		case errors.Is(err, ErrLockBusy):
			// Recorded only now, finished at once: an unfinished run would be closed as
			// interrupted by the holder's FinishAbandoned while this one still waited.
			if id, serr := f.Ledger.StartRun(context.WithoutCancel(ctx), f.Info); serr == nil {
				f.runID = id
			}
			return f.finishFailed(ctx, ledger.OutcomeFailed, journal.ExitFailed, err)
		}
		return err
	}
	defer func() { ReleaseLock(context.WithoutCancel(ctx), f.DB.Conn) }()

	id, err := f.Ledger.StartRun(ctx, f.Info)
	if err != nil {
		// Nothing ran yet; the ledger's own error says which write and why (a lock timeout
		// when another session holds its tables).
		return journal.Exit(journal.ExitFailed, fmt.Errorf("%w; nothing was changed: retry the release once the ledger is free", err))
	}
	f.runID = id
	// A migrate command whose zdcd died is not supervised: end its sessions before the dead run
	// is judged, so that nothing it does from now on is credited to that run (migrate/orphans.go).
	if pids, err := migrate.TerminateOrphans(ctx, f.DB.Conn, 10*time.Second); err != nil {
		return f.finishFailed(ctx, ledger.OutcomeFailed, journal.ExitFailed, fmt.Errorf("%w; nothing was changed", err))
	} else if len(pids) > 0 {
		f.say("Ended %d database session(s) of a migrate command left running by an earlier run (pid %v).", len(pids), pids)
	}
	if n, err := f.Ledger.FinishAbandoned(ctx, id); err != nil {
		return f.finishFailed(ctx, ledger.OutcomeFailed, journal.ExitFailed, err)
	} else if n > 0 {
		f.say("Closed %d earlier run(s) that ended without recording an outcome (dyno killed, or the ledger locked); see `zdcd-release history`.", n)
	}

	started := f.now()
	a, err := f.Judge.Judge(ctx, f.ledgerApprovals)
	if err != nil {
		f.step(ctx, journal.StepPlan, started, false, err.Error())
		code := 2
		if ctx.Err() != nil {
			code = journal.ExitFailed
			err = journal.Exit(code, fmt.Errorf("interrupted while planning: nothing was changed"))
		}
		f.finish(ctx, ledger.OutcomeFailed, code, err)
		return err
	}
	f.say("%s", a.SettingsLine())
	f.result = a.Result
	for _, m := range a.Plan.Migrations {
		f.pending = append(f.pending, m.Key())
	}
	if err := f.Ledger.RecordPlan(ctx, id, a.Result); err != nil {
		return f.finishFailed(ctx, ledger.OutcomeFailed, journal.ExitFailed, err)
	}
	f.step(ctx, journal.StepPlan, started, true, fmt.Sprintf("%d pending, %d unsafe", len(f.pending), a.Result.Unsafe()))
	if err := f.judgeAhead(ctx, a); err != nil {
		return err
	}

	if len(f.pending) == 0 {
		fmt.Fprintln(f.Out, "No migrations to apply.")
		f.finish(ctx, ledger.OutcomeNothingPending, 0, nil)
		return nil
	}
	if err := report.Render(f.Out, report.Text, a.Result, f.Report); err != nil {
		return f.finishFailed(ctx, ledger.OutcomeFailed, journal.ExitFailed, fmt.Errorf("write report: %w", err))
	}
	fmt.Fprintln(f.Out)
	f.reportStale()
	if !a.Result.Allowed() {
		return f.refuse(ctx)
	}
	if err := f.firPreflight(ctx); err != nil {
		return err
	}
	if err := f.preflight(ctx, a); err != nil {
		return err
	}
	f.consumeNightly(ctx)
	if a.Result.Initial && !a.Result.Safe && !a.Result.Nightly {
		f.say("First deploy: the database has no applied migration, so no release serves from it and nothing can break; applying everything.")
	}
	if a.Result.Nightly && !a.Result.Safe {
		f.say("NIGHTLY_BUILD=true: applying %d migration(s) the old code may not survive, in the maintenance window.", a.Result.Unsafe())
	}

	if f.needsWindow() {
		if err := f.openWindow(ctx); err != nil {
			return err
		}
	}
	if err := f.takeBackup(ctx); err != nil {
		return f.closeWindow(ctx, err)
	}
	return f.migrate(ctx, a)
}

// ledgerApprovals reads the approvals `zdcd-release approve` and `zdcd-release nightly` recorded.
// An approval covers a migration only while its digest is the pending migration's: a migration
// edited after review is a different plan, and its approval is reported as stale instead.
func (f *Flow) ledgerApprovals(ctx context.Context, pl *plan.Plan) ([]analysis.Allow, error) {
	keys := make([]plan.MigrationKey, 0, len(pl.Migrations))
	digests := map[plan.MigrationKey]string{}
	for i := range pl.Migrations {
		m := &pl.Migrations[i]
		keys = append(keys, m.Key())
		digests[m.Key()] = m.Digest()
	}
	found, err := f.Ledger.ApprovalsFor(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("ledger: read approvals: %w", err)
	}
	out := make([]analysis.Allow, 0, len(found))
	f.approvals = map[plan.MigrationKey][]ledger.Approval{}
	for _, ap := range found {
		if ap.Digest != digests[ap.Key()] {
			f.stale = append(f.stale, ap)
			continue
		}
		by := analysis.ByLedger
		if ap.Source == ledger.ApprovalByNightly {
			by = analysis.ByNightlyWindow
		}
		out = append(out, analysis.Allow{App: ap.App, Migration: ap.Name, Rule: ap.Rule, By: by,
			Reason: fmt.Sprintf("%s (approval #%d by %s, until %s)", ap.Reason, ap.ID, ap.ApprovedBy, ap.ExpiresAt.UTC().Format(time.RFC3339))})
		f.approvals[ap.Key()] = append(f.approvals[ap.Key()], ap)
	}
	return out, nil
}

// reportStale says which approvals no longer match their migration.
func (f *Flow) reportStale() {
	for _, ap := range f.stale {
		fmt.Fprintf(f.Out, "Approval #%d of %s (by %s) does not cover it: the migration changed since it was approved. Review it again and approve the new version.\n",
			ap.ID, ap.Key(), ap.ApprovedBy)
	}
}

// consumeNightly marks the nightly window's approvals this run uses as consumed: each covers one
// re-release, not every later one.
func (f *Flow) consumeNightly(ctx context.Context) {
	var ids []int64
	for _, m := range f.result.Migrations {
		for _, ap := range f.approvals[m.Migration.Key()] {
			if ap.Source == ledger.ApprovalByNightly {
				ids = append(ids, ap.ID)
			}
		}
	}
	if len(ids) == 0 {
		return
	}
	f.journal().Write(ctx, "mark the nightly approvals used", func(ctx context.Context) error {
		return f.Ledger.ConsumeApprovals(ctx, ids, f.runID)
	})
}

// refuse records the refusal and says how to ship the plan.
func (f *Flow) refuse(ctx context.Context) error {
	var unsafe []string
	for _, m := range f.result.Migrations {
		if !m.Safe {
			unsafe = append(unsafe, m.Migration.Key().String())
		}
	}
	fmt.Fprintf(f.Out, "Refused: %d of %d pending migrations would break the release still serving traffic (%s).\n",
		len(unsafe), len(f.pending), strings.Join(unsafe, ", "))
	fmt.Fprintln(f.Out, "Nothing was changed: the database is untouched and the old release keeps running.")
	fmt.Fprintln(f.Out, "To ship it, either:")
	fmt.Fprintln(f.Out, "  - split each unsafe change into backward-compatible steps (expand in this release, contract in a")
	fmt.Fprintln(f.Out, "    later one): `zdcd-release explain <rule>` shows the recipe for every rule above;")
	if f.Generation.Fir() {
		fmt.Fprintln(f.Out, "  - (not the nightly maintenance window: this Fir app has no maintenance mode, see docs/release.md);")
	} else {
		fmt.Fprintln(f.Out, "  - or let the nightly maintenance window apply it: Heroku Scheduler runs `zdcd-release nightly`,")
		fmt.Fprintln(f.Out, "    which releases this slug again with maintenance mode on, a backup, and a restore on failure;")
	}
	fmt.Fprintln(f.Out, "  - or, after review, approve it: ZDCD_ALLOW=app.migration[:rule], or zdcd_exempt in the migration.")
	fmt.Fprintf(f.Out, "Recorded as run %d: `zdcd-release history %d`.\n", f.runID, f.runID)
	err := journal.Exit(journal.ExitRefused, fmt.Errorf("refused: %d unsafe migration(s) pending (%s); nothing was changed", len(unsafe), strings.Join(unsafe, ", ")))
	f.finish(ctx, ledger.OutcomeRefused, journal.ExitRefused, err)
	return err
}

// needsBackup applies ZDCD_BACKUP.
func (f *Flow) needsBackup() bool {
	switch f.Config.Backup {
	case config.BackupNever:
		return false
	case config.BackupUnsafeOnly:
		return len(f.incompatible(f.pending)) > 0
	default:
		return true
	}
}

// takeBackup captures the pre-migration backup when the policy asks for one. A failure stops the
// release before any migration.
func (f *Flow) takeBackup(ctx context.Context) error {
	if !f.needsBackup() {
		f.say("No backup (ZDCD_BACKUP=%s).", f.Config.Backup)
		return nil
	}
	f.say("Backing up the database (%s)", f.Backups.Describe())
	started := f.now()
	bctx, cancel := f.forward(ctx)
	b, err := f.Backups.Capture(bctx)
	cancel()
	var still *heroku.StillRunningError
	if err != nil && ctx.Err() == nil && errors.As(err, &still) {
		// The budget for the forward work ended, not Heroku's backup: it goes on.
		f.step(ctx, journal.StepBackup, started, false, err.Error())
		fmt.Fprintf(f.Out, "       It did not fail: Heroku finishes it on its own. No migration ran; the database is untouched.\n")
		fmt.Fprintf(f.Out, "       Follow it: %s\n", still.Commands()[0])
		fmt.Fprintf(f.Out, "       Once it has completed, deploy again (heroku releases:retry --app %s): the next backup of a\n", f.Config.AppName)
		fmt.Fprintf(f.Out, "       database that size needs about as long, so raise ZDCD_RELEASE_DEADLINE (at most 1h on Heroku), or\n")
		fmt.Fprintf(f.Out, "       with ZDCD_BACKUP=unsafe-only back up only plans the old release may not survive (docs/release.md, Time budget).\n")
		return f.finishFailed(ctx, ledger.OutcomeInterrupted, journal.ExitFailed,
			fmt.Errorf("the backup did not finish within this release's time budget (%s); no migration ran and nothing was changed: retry the deploy once it has completed: %w", f.budgetText(), err))
	}
	if err != nil && ctx.Err() != nil {
		f.step(ctx, journal.StepBackup, started, false, err.Error())
		return f.finishFailed(ctx, ledger.OutcomeInterrupted, journal.ExitFailed,
			fmt.Errorf("interrupted (SIGTERM) while the backup ran, so no migration ran and nothing was changed (the backup may still finish on its own): %w", err))
	}
	if err != nil {
		f.step(ctx, journal.StepBackup, started, false, err.Error())
		return f.finishFailed(ctx, ledger.OutcomeBackupFailed, journal.ExitFailed,
			fmt.Errorf("backup failed, so no migration ran and nothing was changed: %w", err))
	}
	if err := f.proveRestorable(ctx, b); err != nil {
		f.step(ctx, journal.StepBackup, started, false, err.Error())
		return f.finishFailed(ctx, ledger.OutcomeBackupFailed, journal.ExitFailed,
			fmt.Errorf("backup failed, so no migration ran and nothing was changed: %w", err))
	}
	f.backup = &b
	f.step(ctx, journal.StepBackup, started, true, b.ID)
	if err := f.Ledger.RecordBackup(ctx, f.runID, b.ID, b.Location); err != nil {
		return f.finishFailed(ctx, ledger.OutcomeFailed, journal.ExitFailed, err)
	}
	f.say("Backup %s done in %s.", b.ID, f.now().Sub(started).Round(time.Millisecond))
	return nil
}

// migrate runs the migrate command and, when it fails, the recovery.
func (f *Flow) migrate(ctx context.Context, a *judge.Judged) error {
	before, err := f.DB.AppliedMigrations(ctx)
	if err != nil {
		return f.closeWindow(ctx, f.finishFailed(ctx, ledger.OutcomeFailed, journal.ExitFailed, err))
	}
	f.before = before
	migs, oneAtATime := migrations(a)
	f.say("Migrating: %d migration(s), lock_timeout %s, up to %d retries", len(migs), f.Config.LockTimeout, f.Config.LockRetries)
	started := f.now()
	mctx, cancel := f.forward(ctx)
	res, runErr := f.Migrator.Run(mctx, migs, oneAtATime, a.Plan.Settings)
	cancel()
	if runErr != nil {
		// A server restart or a failover ends this session too: the recovery needs it back.
		f.ensureSession(context.WithoutCancel(ctx), "during the migration")
	}
	f.step(ctx, journal.StepMigrate, started, runErr == nil, summarize(res, runErr))
	if res != nil && res.Watchdog.Sessions > 0 {
		f.say("Watchdog: %d session(s) waited behind the migration (at most %d at once, longest %s).",
			res.Watchdog.Sessions, res.Watchdog.MaxBlocked, res.Watchdog.LongestWait.Round(time.Millisecond))
	}
	if runErr == nil {
		after, err := f.DB.AppliedMigrations(ctx)
		if err == nil {
			err = f.Ledger.RecordApplied(ctx, f.runID, before, after)
		}
		if err != nil {
			f.say("warning: could not record the applied migrations in the ledger: %v", err)
		}
		f.say("Applied %d migration(s) in %s.", len(migs), f.now().Sub(started).Round(time.Millisecond))
		f.endWindow(ctx)
		f.finish(ctx, ledger.OutcomeApplied, 0, nil)
		return nil
	}
	return f.recover(ctx, runErr)
}

// summarize is the migrate step's ledger detail.
func summarize(res *migrate.Result, err error) string {
	if res == nil {
		return errText(err)
	}
	retries := 0
	for _, at := range res.Attempts {
		if at.LockTimedOut {
			retries++
		}
	}
	s := fmt.Sprintf("%d attempt(s), %d lock timeout(s), %d applied", len(res.Attempts), retries, len(res.Applied))
	if w := res.Watchdog; w.Sessions > 0 {
		s += fmt.Sprintf("; watchdog: %d session(s) blocked, at most %d at once, longest %s", w.Sessions, w.MaxBlocked, w.LongestWait.Round(time.Millisecond))
	}
	if err != nil {
		s += "; " + err.Error()
	}
	return s
}

// incompatible returns the migrations among keys the old code may not survive: any unsafe
// finding, approved or not.
func (f *Flow) incompatible(keys []plan.MigrationKey) []plan.MigrationKey {
	bad := map[plan.MigrationKey]bool{}
	for _, m := range f.result.Migrations {
		for _, fd := range m.Findings {
			if fd.Severity == analysis.Unsafe {
				bad[m.Migration.Key()] = true
			}
		}
	}
	var out []plan.MigrationKey
	for _, k := range keys {
		if bad[k] {
			out = append(out, k)
		}
	}
	return out
}

// journal is the run's journal: its steps and outcome under the one policy for ledger writes
// (internal/journal). After a restore, steps also go into the in-memory copy of the run.
func (f *Flow) journal() *journal.Journal {
	return &journal.Journal{Ledger: f.Ledger, RunID: f.runID, Out: f.Out, Now: f.Now, Copy: f.restored}
}

// step records a timed step.
func (f *Flow) step(ctx context.Context, s journal.Step, started time.Time, ok bool, detail string) {
	f.journal().Step(ctx, s, started, ok, detail)
}

// finish records the outcome.
func (f *Flow) finish(ctx context.Context, o ledger.Outcome, code int, err error) {
	_ = f.journal().Finish(ctx, o, code, err)
}

// finishFailed records a failure that changed nothing and returns it as an exit code.
func (f *Flow) finishFailed(ctx context.Context, o ledger.Outcome, code int, err error) error {
	return f.journal().Finish(ctx, o, code, err)
}

func errText(err error) string { return journal.ErrText(err) }

// DefaultRecoveryReserve is the part of ZDCD_RELEASE_DEADLINE kept for recovery: the backup and
// the migrations must be over that long before the deadline, so that a restore (as long as the
// backup, give or take) can run and the app be brought back. A third of the deadline when that is
// less (short deadlines, in tests).
const DefaultRecoveryReserve = 15 * time.Minute

// RecoveryReserve is the reserve kept for recovery out of a release deadline of total.
func RecoveryReserve(total time.Duration) time.Duration {
	return min(DefaultRecoveryReserve, total/3)
}

// forward bounds the forward work (the backup, the migrate command) by the deadline less the
// recovery reserve.
func (f *Flow) forward(ctx context.Context) (context.Context, context.CancelFunc) {
	if f.Deadline.IsZero() {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, f.Deadline.Add(-RecoveryReserve(f.Config.ReleaseDeadline)))
}

// budgetText says what the time budget is, for messages.
func (f *Flow) budgetText() string {
	return fmt.Sprintf("ZDCD_RELEASE_DEADLINE=%s from the start, less %s kept for recovery",
		f.Config.ReleaseDeadline, RecoveryReserve(f.Config.ReleaseDeadline))
}
