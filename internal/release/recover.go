package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/migrate"
	"github.com/zdcd/zdcd/internal/plan"
)

// Platform is the part of the Heroku Platform API recovery uses (*heroku.Client).
type Platform interface {
	AppInfo(ctx context.Context, app string) (heroku.App, error)
	SetMaintenance(ctx context.Context, app string, on bool) (heroku.App, error)
	Formation(ctx context.Context, app string) ([]heroku.Formation, error)
	Scale(ctx context.Context, app, processType string, quantity int) (heroku.Formation, error)
}

var _ Platform = (*heroku.Client)(nil)

// DefaultRecoveryTimeout bounds recovery after a SIGTERM (Heroku stops a release phase at one
// hour; a restore of a large database can take a while).
const DefaultRecoveryTimeout = 15 * time.Minute

// statementTimeout bounds the statement printed (and recorded) after the recovery's own time ran
// out.
const statementTimeout = 30 * time.Second

// recoveryContext is recovery's context: not cancelled with the run's (SIGTERM), bounded by the
// release deadline (at least a minute from now, or half the recovery reserve if less, when it is
// that close or past: to say what happened), or by RecoveryTimeout without one.
func (f *Flow) recoveryContext(ctx context.Context) (context.Context, context.CancelFunc) {
	rctx := context.WithoutCancel(ctx)
	if !f.Deadline.IsZero() {
		d := f.Deadline
		floor := min(time.Minute, RecoveryReserve(f.Config.ReleaseDeadline)/2)
		if least := time.Now().Add(floor); d.Before(least) {
			d = least
		}
		return context.WithDeadline(rctx, d)
	}
	timeout := f.RecoveryTimeout
	if timeout <= 0 {
		timeout = DefaultRecoveryTimeout
	}
	return context.WithTimeout(rctx, timeout)
}

// appState is what recovery did to the app, for the statement printed when a human must act.
type appState struct {
	app string
	// maintenanceOn: zdcd switched maintenance mode on; wasOn: it was on before.
	maintenanceOn, wasOn bool
	// scaled are the process types zdcd scaled to 0, with their quantity before.
	scaled map[string]int
	// restored is true once the database was restored from the backup.
	restored bool
	// scaleUnknown is true when the hand instructions could not list the process types to stop.
	scaleUnknown bool
	// restoreUnconfirmed is true when a restore was requested but its outcome is not known;
	// restoreFailed when it ran and failed midway (the database is partly restored).
	restoreUnconfirmed, restoreFailed bool
	// restoreRunning is the restore Heroku still ran when the time budget ended: not failed.
	restoreRunning *heroku.StillRunningError
}

// recover runs after the migrate command failed (or was interrupted): decide whether the database
// changed in a way the old code cannot survive, and restore it if so.
func (f *Flow) recover(ctx context.Context, runErr error) error {
	rctx, cancel := f.recoveryContext(ctx)
	defer cancel()

	what := what(runErr)
	f.say("The migration %s: %v", what, runErr)

	after, err := f.DB.AppliedMigrations(rctx)
	if err != nil {
		return f.humanMustAct(rctx, runErr, appState{}, "the database's applied migrations cannot be read ("+err.Error()+"), so whether it changed is unknown", nil)
	}
	if err := f.Ledger.RecordApplied(rctx, f.runID, f.before, after); err != nil {
		f.say("warning: could not record the applied migrations in the ledger: %v", err)
	}
	applied := plan.Minus(after, f.before)
	touched := append([]plan.MigrationKey(nil), applied...)
	if k, ok := f.inFlight(after); ok {
		touched = append(touched, k)
	}
	bad := f.incompatible(touched)
	outcome := ledger.OutcomeMigrationFailed
	if errors.Is(runErr, migrate.ErrInterrupted) {
		outcome = ledger.OutcomeInterrupted
	}
	switch {
	case len(touched) == 0 && errors.Is(runErr, migrate.ErrSessionUnverified):
		// A setup zdcd cannot make safe, stopped at the gate before any migration ran: exit 2.
		fmt.Fprintln(f.Out, "Nothing was applied: the database is as it was before the release, and the old release keeps running.")
		return f.closeWindow(rctx, f.finishFailed(ctx, outcome, 2, fmt.Errorf("refused before the first migration, nothing was applied: %w", runErr)))
	case len(touched) == 0:
		fmt.Fprintln(f.Out, "Nothing was applied: the database is as it was before the release, and the old release keeps running.")
		return f.closeWindow(rctx, f.finishFailed(ctx, outcome, ExitFailed, fmt.Errorf("migration %s; nothing was applied, the database is unchanged: %w", what, runErr)))
	case len(bad) == 0:
		fmt.Fprintf(f.Out, "Applied before the failure: %s.\n", orNone(applied))
		if k, ok := f.inFlight(after); ok {
			fmt.Fprintf(f.Out, "Partly run (not atomic, not recorded): %s.\n", k)
		}
		fmt.Fprintln(f.Out, "Every one of them is backward compatible: the old release keeps working with them, so no restore")
		fmt.Fprintln(f.Out, "(and no downtime). They stay applied; fix the failing migration and push again.")
		return f.closeWindow(rctx, f.finishFailed(ctx, outcome, ExitFailed, fmt.Errorf("migration %s after applying backward-compatible migrations only (%s); no restore needed: %w", what, orNone(applied), runErr)))
	}
	if f.backup == nil {
		fmt.Fprintf(f.Out, "Changes the old release may not survive reached the database: %s, and there is no backup to restore.\n", plan.JoinKeys(bad))
	} else {
		fmt.Fprintf(f.Out, "Changes the old release may not survive reached the database: %s. Restoring the backup.\n", plan.JoinKeys(bad))
	}
	return f.restore(rctx, ctx, runErr, bad)
}

// restore puts the app in maintenance, stops the workers, restores the backup, checks the applied
// set is back, then brings the app back.
func (f *Flow) restore(rctx, ctx context.Context, runErr error, bad []plan.MigrationKey) error {
	st := appState{app: f.Config.AppName, scaled: map[string]int{}}
	window := f.window != nil
	if window {
		// Maintenance mode is on and the workers stopped since before the backup.
		st, f.window = *f.window, nil
	}
	if f.backup == nil {
		return f.humanMustAct(rctx, runErr, st, fmt.Sprintf("migrations the old release may not survive were applied (%s) and there is no backup to restore (ZDCD_BACKUP=%s)", plan.JoinKeys(bad), f.Config.Backup), bad)
	}
	// Keep the run as recorded so far: the restore rolls the ledger back with the database.
	if d, err := f.Ledger.Run(rctx, f.runID); err == nil {
		f.restored = d
	} else {
		f.say("warning: could not read this run back from the ledger before the restore: %v", err)
	}

	switch {
	case window:
		f.say("Maintenance mode is on and the workers are stopped since before the backup: nothing wrote since.")
	case f.Platform != nil && f.Generation.Fir():
		return f.humanMustAct(rctx, runErr, st, "Heroku's Fir generation has no maintenance mode, so the backup was not restored under live traffic; restoring it by hand (below) loses the writes since the backup, a new release that fixes forward does not", bad)
	case f.Platform != nil:
		if workers, err := f.takeDown(rctx, &st); err != nil {
			f.noMaintenance(err)
			why := ", so the backup was not restored under live traffic"
			if workers {
				why = ", so the backup was not restored while they write"
			}
			return f.humanMustAct(rctx, runErr, st, err.Error()+why, bad)
		}
	default:
		f.say("No Heroku credentials: restoring without maintenance mode.")
	}

	f.say("Restoring backup %s", f.backup.ID)
	started := f.now()
	err := f.Backups.Restore(rctx, *f.backup)
	if still := (*heroku.StillRunningError)(nil); errors.As(err, &still) && !still.Blocking {
		// The budget ended, not the restore: Heroku goes on restoring. What follows needs a
		// context of its own, the recovery's being over.
		st.restoreRunning = still
		sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), statementTimeout)
		defer scancel()
		f.ensureSession(sctx, "during the restore")
		f.step(sctx, "restore", started, false, err.Error())
		return f.humanMustAct(sctx, runErr, st, "the restore of backup "+f.backup.ID+" did not finish within this release's time budget (ZDCD_RELEASE_DEADLINE="+f.Config.ReleaseDeadline.String()+" from the start): "+still.Status()+"; it has not failed", bad)
	}
	// A restore may end the database's other sessions, this one included: reconnect if so.
	f.ensureSession(rctx, "during the restore")
	f.step(rctx, "restore", started, err == nil, errText(err))
	if err != nil {
		var failed *heroku.TransferError
		if errors.As(err, &failed) {
			// Heroku says the restore ran and failed: whatever it loaded is a partial database.
			st.restoreFailed = true
		} else if now, aerr := f.DB.AppliedMigrations(rctx); aerr == nil && plan.SameSet(now, f.before) {
			// Heroku did not confirm the restore, but the database can tell whether it ran.
			st.restoreUnconfirmed = true
		}
		return f.humanMustAct(rctx, runErr, st, "the restore of backup "+f.backup.ID+" failed ("+err.Error()+"): the database may hold the failed migration's changes or be partly restored", bad)
	}
	st.restored = true

	started = f.now()
	now, err := f.DB.AppliedMigrations(rctx)
	if err == nil && !plan.SameSet(now, f.before) {
		err = fmt.Errorf("after the restore the database has %d applied migrations, before the release it had %d", len(now), len(f.before))
	}
	f.step(rctx, "verify", started, err == nil, errText(err))
	if err != nil {
		return f.humanMustAct(rctx, runErr, st, "the restored database does not match the backup ("+err.Error()+")", bad)
	}
	f.rewriteLedger(rctx, now)
	f.say("Restored: the database is back to where it was before the release (%d applied migrations).", len(now))

	if f.Platform != nil {
		if err := f.bringBack(rctx, &st); err != nil {
			return f.humanMustAct(rctx, runErr, st, err.Error(), bad)
		}
	}
	fmt.Fprintln(f.Out, "The database is restored and the old release keeps running. Fix the migration and push again.")
	where := ", the app is out of maintenance"
	if f.Platform == nil {
		where = ""
	} else if st.wasOn {
		where = ", maintenance mode is on as it was before this run"
	}
	err = &Error{Code: ExitFailed, Err: fmt.Errorf("migration %s; backup %s restored%s: %w", what(runErr), f.backup.ID, where, runErr)}
	f.finish(ctx, ledger.OutcomeRestored, ExitFailed, err)
	return err
}

// ensureSession reconnects (and takes the release lock again) when the release's session did not
// survive what happened during what: a restore ends the database's sessions, so does a server
// restart or failover. A server coming back up refuses connections for a while: reopening is
// retried for up to reopenWait. Failing that, the steps after it report their own errors.
func (f *Flow) ensureSession(ctx context.Context, during string) {
	if f.Reopen == nil || f.DB.Conn.Ping(ctx) == nil {
		return
	}
	deadline := f.now().Add(reopenWait)
	for {
		db, l, err := f.Reopen(ctx)
		if err == nil {
			f.DB, f.Ledger = db, l
			f.say("The database session ended %s: reconnected.", during)
			if err := AcquireLock(ctx, db.Conn, f.Config.ReleaseLockWait, f.Out); err != nil {
				f.say("warning: reconnected, but could not take the release lock again: %v", err)
			}
			return
		}
		if f.now().After(deadline) || ctx.Err() != nil {
			f.say("warning: the database session ended %s and could not be opened again: %v", during, err)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// reopenWait bounds the reconnection after the release's database session ended.
const reopenWait = 60 * time.Second

// rewriteLedger writes the run back after the restore rolled the ledger back.
func (f *Flow) rewriteLedger(ctx context.Context, applied []plan.MigrationKey) {
	if f.restored == nil {
		return
	}
	f.restored.Before, f.restored.After = f.before, applied
	if err := f.Ledger.Put(ctx, f.restored); err != nil {
		f.say("warning: could not rewrite this run in the ledger after the restore: %v", err)
	}
	// The restore also brought back the nightly approvals this run had consumed.
	f.consumeNightly(ctx)
}

// scaleDown scales every process type but web (and release) to 0, remembering the quantities.
// takeDown switches maintenance mode on (unless it is on already) and stops every process type
// but web, for the maintenance window and for a restore. st records what it switched, a switch
// that failed included when Heroku applied it all the same (read back), so that bringBack undoes
// exactly that. workers is true when stopping the workers failed, false when maintenance mode
// did.
func (f *Flow) takeDown(ctx context.Context, st *appState) (workers bool, err error) {
	started := f.now()
	app, err := f.Platform.AppInfo(ctx, st.app)
	if err == nil {
		st.wasOn = app.Maintenance
		if !app.Maintenance {
			if _, err = f.Platform.SetMaintenance(ctx, st.app, true); err != nil {
				st.maintenanceOn = MaintenanceOnAnyway(ctx, f.Platform, st.app)
			}
		}
	}
	f.step(ctx, "maintenance-on", started, err == nil, errText(err))
	if err != nil {
		return false, fmt.Errorf("maintenance mode could not be switched on (%w)", err)
	}
	st.maintenanceOn = !st.wasOn
	if st.wasOn {
		f.say("Maintenance mode was already on: leaving it as it is.")
	} else {
		f.say("Maintenance mode on.")
	}
	started = f.now()
	err = StopWorkers(ctx, f.Platform, st.app, st.scaled)
	f.step(ctx, "scale-down", started, err == nil, ScaledText(st.scaled)+errSuffix(err))
	if err != nil {
		return true, fmt.Errorf("the worker dynos could not be stopped (%v)", err)
	}
	if len(st.scaled) > 0 {
		f.say("Stopped the worker dynos: %s.", ScaledText(st.scaled))
	}
	return false, nil
}

// StopWorkers scales every process type of app but web (and release) that runs to 0: under
// maintenance mode the router stops web traffic, but workers, clock processes and the like keep
// writing. Each type stopped goes into stopped with its quantity before, also when a later one
// fails, so that StartWorkers can bring back exactly what was stopped.
func StopWorkers(ctx context.Context, p Platform, app string, stopped map[string]int) error {
	fs, err := p.Formation(ctx, app)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if f.Type == "web" || f.Type == "release" || f.Quantity == 0 {
			continue
		}
		if _, err := p.Scale(ctx, app, f.Type, 0); err != nil {
			stoppedAnyway(ctx, p, app, fs, f.Type, stopped)
			return fmt.Errorf("scale %s to 0: %w", f.Type, err)
		}
		stopped[f.Type] = f.Quantity
	}
	return nil
}

// stoppedAnyway records in stopped the process types a failed scale-down may nevertheless have
// stopped (Heroku acted, then the answer was lost), so that they are scaled back: those the
// formation, read back, shows at 0. When it cannot be read back, the type whose scale failed
// counts as stopped: scaling it back to its quantity is harmless, leaving it at 0 silently is not.
func stoppedAnyway(ctx context.Context, p Platform, app string, before []heroku.Formation, failed string, stopped map[string]int) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readBackTimeout)
	defer cancel()
	now, err := p.Formation(rctx, app)
	for _, b := range before {
		if b.Type == "web" || b.Type == "release" || b.Quantity == 0 {
			continue
		}
		if _, ok := stopped[b.Type]; ok {
			continue
		}
		at0 := err != nil && b.Type == failed
		for _, n := range now {
			at0 = at0 || (n.Type == b.Type && n.Quantity == 0)
		}
		if at0 {
			stopped[b.Type] = b.Quantity
		}
	}
}

// MaintenanceOnAnyway reports whether a switch of maintenance mode on that failed was applied
// nevertheless (Heroku acted, then the answer was lost), reading the app back. When it cannot be
// read, it reports true: switching maintenance mode off again is harmless when it was off before
// the run; leaving it on silently is not.
func MaintenanceOnAnyway(ctx context.Context, p Platform, app string) bool {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readBackTimeout)
	defer cancel()
	a, err := p.AppInfo(rctx, app)
	return err != nil || a.Maintenance
}

// readBackTimeout bounds reading the app or its formation back after a failed switch.
const readBackTimeout = 30 * time.Second

// StartWorkers scales the process types StopWorkers stopped back to their quantities, removing
// each one started from stopped; the error lists those that could not be.
func StartWorkers(ctx context.Context, p Platform, app string, stopped map[string]int, log io.Writer) error {
	var failed []string
	for _, t := range sortedTypes(stopped) {
		if _, err := p.Scale(ctx, app, t, stopped[t]); err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", t, err))
			continue
		}
		fmt.Fprintf(log, "-----> Started %s again: %s=%d.\n", t, t, stopped[t])
		delete(stopped, t)
	}
	if len(failed) > 0 {
		return fmt.Errorf("the worker dynos could not be scaled back (%s)", strings.Join(failed, "; "))
	}
	return nil
}

// ScaleCommands are the heroku commands that bring stopped process types back.
func ScaleCommands(app string, stopped map[string]int) []string {
	var out []string
	for _, t := range sortedTypes(stopped) {
		out = append(out, fmt.Sprintf("heroku ps:scale %s=%d --app %s", t, stopped[t], app))
	}
	return out
}

// bringBack scales the workers back and switches maintenance mode off (unless it was on before).
func (f *Flow) bringBack(ctx context.Context, st *appState) error {
	started := f.now()
	err := StartWorkers(ctx, f.Platform, st.app, st.scaled, f.Out)
	f.step(ctx, "scale-up", started, err == nil, errText(err))
	if err != nil {
		return err
	}
	if !st.maintenanceOn {
		if st.wasOn {
			f.say("Maintenance mode was on before this run: leaving it on.")
		}
		return nil
	}
	started = f.now()
	_, err = f.Platform.SetMaintenance(ctx, st.app, false)
	f.step(ctx, "maintenance-off", started, err == nil, errText(err))
	if err != nil {
		return fmt.Errorf("maintenance mode could not be switched off (%v)", err)
	}
	st.maintenanceOn = false
	f.say("Maintenance mode off.")
	return nil
}

// humanMustAct prints exactly what state the app and the database are in and the commands that
// finish the recovery, records it, and returns exit 4.
func (f *Flow) humanMustAct(ctx context.Context, runErr error, st appState, problem string, bad []plan.MigrationKey) error {
	w := f.Out
	fmt.Fprintln(w)
	headline, lead := "RECOVERY FAILED", "recovery failed"
	if st.restoreRunning != nil {
		// Exit 4 all the same (a human must act), but nothing failed: Heroku still restores.
		headline, lead = "RECOVERY NOT FINISHED (the restore is still running on Heroku)", "recovery not finished"
	}
	fmt.Fprintf(w, "!!!!!! %s: a human must act.\n", headline)
	fmt.Fprintf(w, "  Problem:   %s.\n", problem)
	switch {
	case st.restored:
		fmt.Fprintf(w, "  Database:  restored from backup %s.\n", f.backup.ID)
	case st.restoreRunning != nil:
		fmt.Fprintf(w, "  Database:  being restored: %s. When it completes, the database is back to before the release; until then it is partly restored.\n", st.restoreRunning.Status())
	case st.restoreFailed:
		fmt.Fprintf(w, "  Database:  partly restored: Heroku reports the restore of backup %s failed midway, so the database matches neither the backup nor the release; restore it again before anything else.\n", f.backup.ID)
	case st.restoreUnconfirmed:
		fmt.Fprintf(w, "  Database:  probably restored: Heroku did not confirm the restore of backup %s, but the applied migrations are back to those before the release. `heroku pg:backups --app %s` shows the restore.\n", f.backup.ID, st.app)
	case len(bad) > 0:
		fmt.Fprintf(w, "  Database:  NOT restored; it holds changes the old release may not survive (%s).\n", plan.JoinKeys(bad))
	default:
		fmt.Fprintln(w, "  Database:  state unknown.")
	}
	if f.backup != nil {
		fmt.Fprintf(w, "  Backup:    %s (%s), taken before migrating.\n", f.backup.ID, f.backup.Location)
	}
	app := st.app
	if f.Platform == nil {
		fmt.Fprintln(w, "  App:       no Heroku credentials, so maintenance mode and dynos were not touched.")
	} else {
		WriteAppState(w, st.maintenanceOn, st.wasOn, st.scaled, "maintenance mode is off; the old release is serving traffic")
	}
	fmt.Fprintf(w, "  Release:   this release failed, so Heroku keeps the previous one live.\n")
	fmt.Fprintln(w, "  To finish by hand:")
	toldOn := false
	if !st.restored && f.backup != nil && len(bad) > 0 {
		if f.Platform != nil && !st.maintenanceOn && !st.wasOn && !f.Generation.Fir() {
			fmt.Fprintf(w, "    heroku maintenance:on --app %s\n", app)
			toldOn = true
		}
		if f.Platform != nil && len(st.scaled) == 0 {
			// A restore runs with nothing writing: stop the workers first, and say how to bring
			// them back.
			f.stopHint(ctx, w, &st)
		}
		switch {
		case st.restoreRunning != nil:
			c := st.restoreRunning.Commands()
			fmt.Fprintf(w, "    %s   # wait until it says Completed (do not restore again while it runs)\n", c[0])
			fmt.Fprintf(w, "    # if it fails, or you stop it (%s), restore again:\n", c[1])
			fmt.Fprintf(w, "    #   %s\n", f.Backups.RestoreCommand(*f.backup))
		case st.restoreUnconfirmed:
			fmt.Fprintf(w, "    heroku pg:backups --app %s   # if the restore of %s did not finish, run the next line\n", app, f.backup.ID)
			fmt.Fprintf(w, "    %s\n", f.Backups.RestoreCommand(*f.backup))
		default:
			fmt.Fprintf(w, "    %s\n", f.Backups.RestoreCommand(*f.backup))
		}
	}
	if f.Platform != nil {
		for _, c := range ScaleCommands(app, st.scaled) {
			fmt.Fprintf(w, "    %s\n", c)
		}
		if st.scaleUnknown {
			fmt.Fprintf(w, "    heroku ps:scale <type>=<quantity before> --app %s   # each process type stopped above\n", app)
		}
		if st.maintenanceOn || toldOn {
			fmt.Fprintf(w, "    heroku maintenance:off --app %s\n", app)
		}
	}
	fmt.Fprintf(w, "  Then: `zdcd-release history %d` shows this run.\n", f.runID)
	if st.restored {
		f.rewriteLedger(ctx, f.before)
	}
	err := &Error{Code: ExitRecoveryFailed, Err: fmt.Errorf("%s, a human must act: %s (after: %v)", lead, problem, runErr)}
	f.finish(ctx, ledger.OutcomeRecoveryFailed, ExitRecoveryFailed, err)
	return err
}

// what says how the migrate command ended, for messages.
func what(runErr error) string {
	if errors.Is(runErr, migrate.ErrInterrupted) && errors.Is(runErr, context.DeadlineExceeded) {
		return "was stopped at the release's time budget (ZDCD_RELEASE_DEADLINE less the recovery reserve)"
	}
	if errors.Is(runErr, migrate.ErrInterrupted) {
		return "was interrupted (SIGTERM)"
	}
	if errors.Is(runErr, migrate.ErrSessionUnverified) {
		return "was stopped before its first migration"
	}
	return "failed"
}

// stopHint prints the commands that stop every process type but web before a restore by hand,
// reading the formation when the Platform API answers, and records them in st.scaled so that the
// commands to scale them back follow.
func (f *Flow) stopHint(ctx context.Context, w io.Writer, st *appState) {
	fctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	fs, err := f.Platform.Formation(fctx, st.app)
	if err != nil {
		fmt.Fprintf(w, "    heroku ps --app %s   # then scale every process type but web to 0, e.g. heroku ps:scale worker=0\n", st.app)
		st.scaleUnknown = true
		return
	}
	if st.scaled == nil {
		st.scaled = map[string]int{}
	}
	for _, p := range fs {
		if p.Type == "web" || p.Type == "release" || p.Quantity == 0 {
			continue
		}
		fmt.Fprintf(w, "    heroku ps:scale %s=0 --app %s\n", p.Type, st.app)
		st.scaled[p.Type] = p.Quantity
	}
}

// WriteAppState writes the App and Workers lines of a statement for a human who must act:
// whether maintenance mode is on and who switched it, and which process types zdcd stopped.
// off is what to say when maintenance mode is off.
func WriteAppState(w io.Writer, maintenanceOn, wasOn bool, stopped map[string]int, off string) {
	switch {
	case maintenanceOn:
		fmt.Fprintln(w, "  App:       maintenance mode is ON (switched on by zdcd); visitors see the maintenance page.")
	case wasOn:
		fmt.Fprintln(w, "  App:       maintenance mode is on (it was on before this run).")
	default:
		fmt.Fprintf(w, "  App:       %s.\n", off)
	}
	if len(stopped) > 0 {
		fmt.Fprintf(w, "  Workers:   scaled to 0 by zdcd (before: %s).\n", ScaledText(stopped))
	}
}

// inFlight is the migration that was running when the command failed, when it is not atomic and
// so may have run part of its statements without being recorded.
func (f *Flow) inFlight(after []plan.MigrationKey) (plan.MigrationKey, bool) {
	done := map[plan.MigrationKey]bool{}
	for _, k := range after {
		done[k] = true
	}
	for _, m := range f.result.Migrations {
		k := m.Migration.Key()
		if done[k] {
			continue
		}
		return k, !m.Migration.Atomic
	}
	return plan.MigrationKey{}, false
}

func orNone(keys []plan.MigrationKey) string {
	if len(keys) == 0 {
		return "none"
	}
	return plan.JoinKeys(keys)
}

func sortedTypes(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for t := range m {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// ScaledText lists process types and quantities: "clock=1 worker=2".
func ScaledText(m map[string]int) string {
	var s []string
	for _, t := range sortedTypes(m) {
		s = append(s, fmt.Sprintf("%s=%d", t, m[t]))
	}
	if len(s) == 0 {
		return "no worker dynos running"
	}
	return strings.Join(s, " ")
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return "; " + err.Error()
}
