// Package rollback is `zdcd-release rollback`: roll the app back to an earlier release through
// the Platform API and, when the releases being undone applied migrations the target's code
// cannot run against, restore the backup taken before the first of them, under maintenance mode.
//
// Decisions:
//
//   - Dry run by default: it prints what it would do (the target, the migrations being undone,
//     whether a restore is needed, which backup, what data a restore discards) and changes
//     nothing. `--confirm <app>` acts, as Heroku's CLI asks for destructive commands.
//   - Which migrations were applied by which release comes from the ledger: the applied sets of
//     the release phase (and nightly) runs of the releases being undone. A migration is
//     backward compatible when its recorded plan had no unsafe finding that outlasts the run
//     (judge.BreaksOlderCode: a blocking index build was a hazard while it ran, not for the
//     target's code afterwards); when all of them are,
//     the target's code runs against the current schema: no restore, no downtime.
//   - Otherwise the backup of the first undone release's run (taken before its migrations) is
//     restored: maintenance on → every non-web process type to 0 → restore → the applied set
//     checked against that run's set before → the ledger's later runs written back (the restore
//     rolled them back too) → the Platform API rollback, whose release phase (the target's code)
//     finds nothing pending → workers back → maintenance off. Writes since that backup are lost,
//     and the dry run says so with the backup's time.
//   - No ledger record of a plan, or no backup where a restore is needed: refused (exit 1),
//     nothing changed, with the manual route.
//   - A failure before the restore is asked of Heroku (maintenance mode, scaling down, the
//     release lock): the database and the code are untouched, so the app is brought back
//     (workers, maintenance off; a PATCH that acted although it answered an error included) and
//     the run fails with exit 3. Any failure once the restore was asked for, or while bringing
//     the app back: exit 4 with the state and the commands to finish.
package rollback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/database"
	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/journal"
	"github.com/zdcd/zdcd/internal/judge"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/release"
	"github.com/zdcd/zdcd/internal/window"
)

// Releases is the part of the Platform API a rollback uses (*heroku.Client).
type Releases interface {
	Releases(ctx context.Context, app string, max int) ([]heroku.Release, error)
	Rollback(ctx context.Context, app, target string) (heroku.Release, error)
	WaitRelease(ctx context.Context, app, id string, poll time.Duration) (heroku.Release, error)
}

var _ Releases = (*heroku.Client)(nil)

// Ledger is the part of the ledger a rollback reads and writes (*ledger.Postgres).
type Ledger interface {
	History(ctx context.Context, limit int) ([]ledger.RunSummary, error)
	Run(ctx context.Context, id int64) (*ledger.Detail, error)
	StartRun(ctx context.Context, info ledger.RunInfo) (int64, error)
	RecordStep(ctx context.Context, runID int64, s ledger.Step) error
	FinishRun(ctx context.Context, runID int64, outcome ledger.Outcome, exitCode int, errText string) error
	Put(ctx context.Context, d *ledger.Detail) error
}

// Flow is one rollback.
type Flow struct {
	Config   *config.Config
	DB       *database.DB
	Ledger   Ledger
	Platform window.Platform
	Releases Releases
	Backups  release.Backuper
	// To is the target release ("v41" or "41"); empty means the release before the current one.
	To string
	// Confirm is the app name typed back: acting needs it; anything else is a dry run.
	Confirm string
	Out     io.Writer
	// Reopen opens a new session and ledger when a restore ended this one (nil: no reconnection).
	Reopen func(ctx context.Context) (*database.DB, Ledger, error)
	// ReleaseTimeout bounds the wait for the rollback release's release phase.
	ReleaseTimeout time.Duration
	Info           ledger.RunInfo
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Generation is the app's platform generation (release.ReadGeneration); on Fir a rollback
	// that must restore is refused (fir.go).
	Generation heroku.Generation
}

// Plan is what a rollback will do.
type Plan struct {
	Current, Target heroku.Release
	// Undone are the migrations the releases after the target applied, in order, and
	// Incompatible those the target's code may not run against.
	Undone, Incompatible []plan.MigrationKey
	// Backup is the backup to restore (nil when no restore is needed), taken by run BackupRun
	// before its migrations; Expected is the applied set it holds.
	Backup    *release.Backup
	BackupRun *ledger.Detail
	Expected  []plan.MigrationKey
}

// Restore reports whether the rollback restores the database.
func (p *Plan) Restore() bool { return len(p.Incompatible) > 0 }

// Run plans the rollback, prints it, and acts when confirmed.
func (f *Flow) Run(ctx context.Context) error {
	p, err := f.plan(ctx)
	if err != nil {
		return err
	}
	f.print(p)
	if err := f.refuseOnFir(p); err != nil {
		return err
	}
	if f.Confirm != f.Config.AppName {
		if f.Confirm != "" {
			return journal.Exit(journal.ExitUsage, fmt.Errorf("--confirm %q does not match the app %s: nothing was done", f.Confirm, f.Config.AppName))
		}
		fmt.Fprintf(f.Out, "\nDry run: nothing was changed. To do it: zdcd-release rollback --to v%d --confirm %s\n", p.Target.Version, f.Config.AppName)
		return nil
	}
	return f.act(ctx, p)
}

// plan finds the target, the migrations undone, and the backup a restore needs.
func (f *Flow) plan(ctx context.Context) (*Plan, error) {
	app := f.Config.AppName
	rels, err := f.Releases.Releases(ctx, app, 200)
	if err != nil {
		return nil, err
	}
	p := &Plan{}
	for _, r := range rels {
		if r.Current {
			p.Current = r
			break
		}
	}
	if p.Current.ID == "" {
		return nil, fmt.Errorf("app %s has no current release", app)
	}
	want := 0
	if f.To != "" {
		v, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(f.To), "v"))
		if err != nil || v <= 0 {
			return nil, journal.Exit(journal.ExitUsage, fmt.Errorf("--to %q: use a release version such as v41", f.To))
		}
		want = v
	}
	for _, r := range rels { // newest first
		if r.Version >= p.Current.Version || (want != 0 && r.Version != want) {
			continue
		}
		if want == 0 && r.Status != "succeeded" {
			continue
		}
		p.Target = r
		break
	}
	switch {
	case p.Target.ID == "" && want != 0:
		return nil, journal.Exit(journal.ExitUsage, fmt.Errorf("--to v%d: no such release before the current v%d of %s (`heroku releases --app %s`)", want, p.Current.Version, app, app))
	case p.Target.ID == "":
		return nil, journal.Exit(journal.ExitRefused, fmt.Errorf("%s has no succeeded release before v%d to roll back to", app, p.Current.Version))
	case p.Target.Status != "succeeded":
		return nil, journal.Exit(journal.ExitRefused, fmt.Errorf("v%d is %s: Heroku rolls back only to a succeeded release (expired releases have lost their slug)", p.Target.Version, p.Target.Status))
	}
	return p, f.planDatabase(ctx, p)
}

// planDatabase reads from the ledger what the releases after the target applied.
func (f *Flow) planDatabase(ctx context.Context, p *Plan) error {
	runs, err := f.Ledger.History(ctx, 0)
	if err != nil {
		return err
	}
	// Oldest first: the first run that applied something holds the backup to restore.
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		if r.ReleaseVersion <= p.Target.Version || r.ReleaseVersion > p.Current.Version || r.Applied == 0 ||
			(r.Command != ledger.CommandRelease && r.Command != ledger.CommandNightly) {
			continue
		}
		d, err := f.Ledger.Run(ctx, r.ID)
		if err != nil {
			return err
		}
		applied := d.Applied()
		if len(applied) == 0 {
			continue
		}
		unsafe := map[plan.MigrationKey]bool{}
		for _, m := range d.Migrations {
			for _, fd := range m.Findings {
				if judge.BreaksOlderCode(fd) {
					unsafe[m.Key()] = true
				}
			}
		}
		for _, k := range applied {
			p.Undone = append(p.Undone, k)
			if unsafe[k] {
				if p.BackupRun == nil {
					p.BackupRun = d
				}
				p.Incompatible = append(p.Incompatible, k)
			}
		}
	}
	if !p.Restore() {
		return nil
	}
	// Restore from the backup taken before the first migration being undone, not merely before
	// the first incompatible one: the target's schema is the one before all of them.
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		if r.ReleaseVersion > p.Target.Version && r.ReleaseVersion <= p.Current.Version && r.Applied > 0 &&
			(r.Command == ledger.CommandRelease || r.Command == ledger.CommandNightly) {
			d, err := f.Ledger.Run(ctx, r.ID)
			if err != nil {
				return err
			}
			p.BackupRun = d
			break
		}
	}
	if p.BackupRun.BackupID == "" {
		return journal.Exit(journal.ExitRefused, fmt.Errorf("rolling back to v%d needs a restore (%s cannot run under the old code), but run %d of v%d took no backup (ZDCD_BACKUP): nothing was changed; restore by hand from a backup of your choice, then roll back",
			p.Target.Version, plan.JoinKeys(p.Incompatible), p.BackupRun.ID, p.BackupRun.ReleaseVersion))
	}
	b, err := f.Backups.Find(ctx, p.BackupRun.BackupID)
	if err != nil {
		return journal.Exit(journal.ExitRefused, fmt.Errorf("rolling back to v%d needs backup %s, which cannot be used: %v; nothing was changed", p.Target.Version, p.BackupRun.BackupID, err))
	}
	p.Backup = &b
	p.Expected = p.BackupRun.Before
	return nil
}

func (f *Flow) print(p *Plan) {
	w := f.Out
	fmt.Fprintf(w, "Rollback of %s: v%d (current) → v%d (%s).\n", f.Config.AppName, p.Current.Version, p.Target.Version, p.Target.Description)
	switch {
	case len(p.Undone) == 0:
		fmt.Fprintln(w, "No migration was applied since v"+strconv.Itoa(p.Target.Version)+" (per the ledger): the code is rolled back, the database stays as it is.")
	case !p.Restore():
		fmt.Fprintf(w, "Migrations applied since: %s.\n", plan.JoinKeys(p.Undone))
		fmt.Fprintln(w, "All of them are backward compatible: v"+strconv.Itoa(p.Target.Version)+"'s code runs against the current schema. No restore, no downtime; they stay applied.")
	default:
		fmt.Fprintf(w, "Migrations applied since: %s.\n", plan.JoinKeys(p.Undone))
		fmt.Fprintf(w, "v%d's code may not run against: %s. The database must go back too:\n", p.Target.Version, plan.JoinKeys(p.Incompatible))
		fmt.Fprintf(w, "  restore backup %s, taken by run %d (v%d) at %s before its migrations,\n", p.Backup.ID, p.BackupRun.ID, p.BackupRun.ReleaseVersion, p.BackupRun.StartedAt.UTC().Format(time.RFC3339))
		fmt.Fprintln(w, "  behind maintenance mode with the worker dynos stopped.")
		fmt.Fprintln(w, "  EVERYTHING WRITTEN TO THE DATABASE SINCE THAT BACKUP IS LOST.")
	}
}

// act does the rollback.
func (f *Flow) act(ctx context.Context, p *Plan) error {
	app := f.Config.AppName
	id, err := f.Ledger.StartRun(ctx, f.Info)
	if err != nil {
		return err
	}
	j := &journal.Journal{Ledger: f.Ledger, RunID: id, Out: f.Out, Now: f.Now}
	st := &state{flow: f, j: j, win: window.New(f.Platform, app, j, f.Out)}
	if p.Restore() {
		if err := f.restore(ctx, p, st); err != nil {
			if !st.restoreStarted {
				// Nothing was restored and the code was not touched: vN still runs against its own
				// schema, a consistent state. Bring the app back rather than leave it down.
				return st.abandon(ctx, p, err)
			}
			return st.humanMustAct(ctx, p, err)
		}
	}
	started := st.j.Clock()
	r, err := f.Releases.Rollback(ctx, app, strconv.Itoa(p.Target.Version))
	if err == nil {
		fmt.Fprintf(f.Out, "-----> Rollback release v%d created; waiting for its release phase.\n", r.Version)
		wctx, cancel := context.WithTimeout(ctx, f.releaseTimeout())
		r, err = f.Releases.WaitRelease(wctx, app, r.ID, 0)
		cancel()
		if err == nil && r.Status != "succeeded" {
			err = fmt.Errorf("release v%d is %s (`heroku releases:output v%d --app %s` shows why)", r.Version, r.Status, r.Version, app)
		}
	}
	st.j.StepErr(ctx, journal.StepRollback, started, err)
	if err != nil {
		if !p.Restore() {
			running := fmt.Sprintf("v%d keeps running", p.Current.Version)
			if errors.Is(err, heroku.ErrOutcomeUnknown) {
				// Either code runs against the current schema; only which one is unknown.
				running = fmt.Sprintf("Heroku may or may not have created the rollback release (`heroku releases --app %s` shows which code runs)", app)
			}
			return st.j.Finish(ctx, ledger.OutcomeFailed, journal.ExitFailed, fmt.Errorf("rollback to v%d failed, %s and the database was not touched: %w", p.Target.Version, running, err))
		}
		return st.humanMustAct(ctx, p, fmt.Errorf("the database was restored, but the rollback release failed: %w", err))
	}
	st.rolledBack = true
	if err := st.bringBack(ctx); err != nil {
		return st.humanMustAct(ctx, p, err)
	}
	fmt.Fprintf(f.Out, "Rolled back to v%d's code", p.Target.Version)
	if p.Restore() {
		fmt.Fprintf(f.Out, " and backup %s", p.Backup.ID)
	}
	fmt.Fprintln(f.Out, ".")
	return st.j.Finish(ctx, ledger.OutcomeRolledBack, journal.ExitOK, nil)
}

func (f *Flow) releaseTimeout() time.Duration {
	if f.ReleaseTimeout > 0 {
		return f.ReleaseTimeout
	}
	return time.Hour
}

// state is what the rollback did to the app so far.
type state struct {
	flow *Flow
	j    *journal.Journal
	// win is the maintenance window of the restore.
	win                  *window.Window
	restored, rolledBack bool
	// restoreStarted: the restore was asked of Heroku, so the database may have changed.
	restoreStarted bool
	// restoreRunning is set when the restore outlived this run's bound: Heroku is still
	// restoring, which is neither done nor failed.
	restoreRunning *heroku.StillRunningError
	// later are the ledger's runs the restore rolled back, written again afterwards.
	later []*ledger.Detail
}

// restore brings the database back to the backup, behind maintenance mode.
func (f *Flow) restore(ctx context.Context, p *Plan, st *state) error {
	// The release lock keeps a release phase from migrating while the database is replaced.
	if err := release.AcquireLock(ctx, f.DB.Conn, f.Config.ReleaseLockWait, f.Out); err != nil {
		return err
	}
	defer func() { release.ReleaseLock(context.WithoutCancel(ctx), f.DB.Conn) }()

	if err := st.win.Open(ctx); err != nil {
		return fmt.Errorf("%w, so nothing was restored", err)
	}

	// The restore rolls the ledger back to the backup's moment: keep the runs since, to write
	// them back.
	runs, err := f.Ledger.History(ctx, 0)
	if err != nil {
		return err
	}
	for _, r := range runs {
		if r.ID < p.BackupRun.ID {
			continue
		}
		d, err := f.Ledger.Run(ctx, r.ID)
		if err != nil {
			return err
		}
		st.later = append(st.later, d)
	}

	fmt.Fprintf(f.Out, "-----> Restoring backup %s\n", p.Backup.ID)
	started := st.j.Clock()
	st.restoreStarted = true
	err = f.Backups.Restore(ctx, *p.Backup)
	if errors.Is(err, heroku.ErrNotStarted) {
		// Heroku refused the restore: the database was not touched.
		st.restoreStarted = false
	}
	if f.Reopen != nil && f.DB.Conn.Ping(ctx) != nil {
		// The restore ended this session: open another, and take the release lock again.
		db, l, rerr := f.Reopen(ctx)
		if rerr == nil {
			f.DB, f.Ledger, st.j.Ledger = db, l, l
			rerr = release.AcquireLock(ctx, db.Conn, f.Config.ReleaseLockWait, f.Out)
		}
		if rerr != nil && err == nil {
			err = fmt.Errorf("reconnect after the restore: %w", rerr)
		}
	}
	if err == nil {
		var now []plan.MigrationKey
		if now, err = f.DB.AppliedMigrations(ctx); err == nil && !plan.SameSet(now, p.Expected) {
			err = fmt.Errorf("after the restore the database has %d applied migrations, the backup's run started with %d", len(now), len(p.Expected))
		}
	}
	if still := (*heroku.StillRunningError)(nil); errors.As(err, &still) {
		// Not failed: Heroku goes on restoring after this run's bound (HEROKU.md 5.4).
		st.restoreRunning = still
		st.j.StepErr(ctx, journal.StepRestore, started, err)
		return fmt.Errorf("the restore of backup %s has not finished and has not failed (wait for it to say Completed before anything else): %w", p.Backup.ID, err)
	}
	if err != nil {
		st.j.StepErr(ctx, journal.StepRestore, started, err)
		return fmt.Errorf("the restore of backup %s failed: %w", p.Backup.ID, err)
	}
	st.restored = true
	for i := len(st.later) - 1; i >= 0; i-- {
		d := st.later[i]
		st.j.Write(ctx, fmt.Sprintf("write run %d back", d.ID), func(ctx context.Context) error { return f.Ledger.Put(ctx, d) })
	}
	st.j.StepErr(ctx, journal.StepRestore, started, nil)
	fmt.Fprintf(f.Out, "-----> Restored backup %s; the database holds v%d's schema.\n", p.Backup.ID, p.Target.Version)
	return nil
}

// bringBack closes the maintenance window, when the rollback opened one.
func (s *state) bringBack(ctx context.Context) error {
	if !s.win.Changed() {
		return nil
	}
	return s.win.Close(ctx)
}

// abandon ends a rollback that failed before its restore started: the database and the code are
// untouched, so the app is brought back (workers, maintenance off) and the run fails with exit 3;
// exit 4 when the app cannot be brought back.
func (s *state) abandon(ctx context.Context, p *Plan, cause error) error {
	if err := s.bringBack(context.WithoutCancel(ctx)); err != nil {
		return s.humanMustAct(ctx, p, fmt.Errorf("%v; then bringing the app back failed: %w", cause, err))
	}
	return s.j.Finish(ctx, ledger.OutcomeFailed, journal.ExitFailed, fmt.Errorf("rollback to v%d failed before the restore: %w; the database and the code were not changed: v%d keeps running on its schema, and the app is back as it was (retry the rollback once the cause is fixed)",
		p.Target.Version, cause, p.Current.Version))
}

// humanMustAct states where the rollback stopped and how to finish it: exit 4.
func (s *state) humanMustAct(ctx context.Context, p *Plan, cause error) error {
	f, app := s.flow, s.flow.Config.AppName
	st := journal.Statement{Flow: "ROLLBACK", Running: s.restoreRunning != nil, Problem: cause.Error(), RunID: s.j.RunID}
	if db := s.databaseState(p); db != "" {
		st.Facts = append(st.Facts, journal.Fact{Label: "Database", Text: db})
	}
	code := fmt.Sprintf("v%d is still the current release.", p.Current.Version)
	if s.rolledBack {
		code = fmt.Sprintf("rolled back to v%d.", p.Target.Version)
	}
	st.Facts = append(st.Facts, journal.Fact{Label: "Code", Text: code})
	st.Facts = append(st.Facts, s.win.Facts("maintenance mode is off")...)
	switch {
	case s.restoreRunning != nil:
		st.Commands = append(st.Commands, s.restoreRunning.Commands()[0]+"   # until it says Completed")
	case p.Restore() && !s.restored:
		st.Commands = append(st.Commands, f.Backups.RestoreCommand(*p.Backup))
	}
	if !s.rolledBack {
		st.Commands = append(st.Commands, fmt.Sprintf("heroku rollback v%d --app %s", p.Target.Version, app))
	}
	st.Commands = append(st.Commands, s.win.Commands()...)
	st.Print(f.Out)
	return s.j.Finish(ctx, ledger.OutcomeRecoveryFailed, journal.ExitRecoveryFailed, fmt.Errorf("rollback incomplete, a human must act: %w", cause))
}

// databaseState is the Database line of the statement ("" when the database was not to change).
func (s *state) databaseState(p *Plan) string {
	switch {
	case s.restored:
		return fmt.Sprintf("restored from backup %s (v%d's schema).", p.Backup.ID, p.Target.Version)
	case s.restoreRunning != nil:
		return fmt.Sprintf("being restored: %s; wait until it says Completed, then finish below (do not restore again while it runs).", s.restoreRunning.Status())
	case s.restoreStarted:
		return fmt.Sprintf("not restored, or only partly: the restore of backup %s did not complete; restore it (below) before anything else.", p.Backup.ID)
	case p.Restore():
		return fmt.Sprintf("NOT restored (still holds %s).", plan.JoinKeys(p.Incompatible))
	}
	return ""
}
