package release

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/journal"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/migrate"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/window"
)

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
		timeout = journal.DefaultRecoveryTimeout
	}
	return context.WithTimeout(rctx, timeout)
}

// appState is what recovery did to the app and the database, for the statement printed when a
// human must act.
type appState struct {
	// win is the maintenance window recovery opened or took over from the release (nil when it
	// opened none).
	win *window.Window
	// restored is true once the database was restored from the backup.
	restored bool
	// restoreUnconfirmed is true when a restore was requested but its outcome is not known;
	// restoreFailed when it ran and failed midway (the database is partly restored).
	restoreUnconfirmed, restoreFailed bool
	// restoreRunning is the restore Heroku still ran when the time budget ended: not failed.
	restoreRunning *heroku.StillRunningError
}

// app is what the window changed (nothing without one).
func (st appState) app(name string) window.State {
	if st.win == nil {
		return window.State{App: name}
	}
	return st.win.State
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
	f.journal().Write(rctx, "record the applied migrations", func(ctx context.Context) error {
		return f.Ledger.RecordApplied(ctx, f.runID, f.before, after)
	})
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
		return f.closeWindow(rctx, f.finishFailed(ctx, outcome, journal.ExitFailed, fmt.Errorf("migration %s; nothing was applied, the database is unchanged: %w", what, runErr)))
	case len(bad) == 0:
		fmt.Fprintf(f.Out, "Applied before the failure: %s.\n", orNone(applied))
		if k, ok := f.inFlight(after); ok {
			fmt.Fprintf(f.Out, "Partly run (not atomic, not recorded): %s.\n", k)
		}
		fmt.Fprintln(f.Out, "Every one of them is backward compatible: the old release keeps working with them, so no restore")
		fmt.Fprintln(f.Out, "(and no downtime). They stay applied; fix the failing migration and push again.")
		return f.closeWindow(rctx, f.finishFailed(ctx, outcome, journal.ExitFailed, fmt.Errorf("migration %s after applying backward-compatible migrations only (%s); no restore needed: %w", what, orNone(applied), runErr)))
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
	var st appState
	opened := f.window != nil
	if opened {
		// Maintenance mode is on and the workers stopped since before the backup.
		st.win, f.window = f.window, nil
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
	case opened:
		f.say("Maintenance mode is on and the workers are stopped since before the backup: nothing wrote since.")
	case f.Platform != nil && f.Generation.Fir():
		return f.humanMustAct(rctx, runErr, st, "Heroku's Fir generation has no maintenance mode, so the backup was not restored under live traffic; restoring it by hand (below) loses the writes since the backup, a new release that fixes forward does not", bad)
	case f.Platform != nil:
		st.win = f.newWindow()
		if err := st.win.Open(rctx); err != nil {
			f.noMaintenance(err)
			why := ", so the backup was not restored under live traffic"
			if oe := (*window.OpenError)(nil); errors.As(err, &oe) && oe.Workers {
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
		f.step(sctx, journal.StepRestore, started, false, err.Error())
		return f.humanMustAct(sctx, runErr, st, "the restore of backup "+f.backup.ID+" did not finish within this release's time budget (ZDCD_RELEASE_DEADLINE="+f.Config.ReleaseDeadline.String()+" from the start): "+still.Status()+"; it has not failed", bad)
	}
	// A restore may end the database's other sessions, this one included: reconnect if so.
	f.ensureSession(rctx, "during the restore")
	f.step(rctx, journal.StepRestore, started, err == nil, errText(err))
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
	f.step(rctx, journal.StepVerify, started, err == nil, errText(err))
	if err != nil {
		return f.humanMustAct(rctx, runErr, st, "the restored database does not match the backup ("+err.Error()+")", bad)
	}
	f.rewriteLedger(rctx, now)
	f.say("Restored: the database is back to where it was before the release (%d applied migrations).", len(now))

	if st.win != nil {
		if err := st.win.Close(rctx); err != nil {
			return f.humanMustAct(rctx, runErr, st, err.Error(), bad)
		}
	}
	fmt.Fprintln(f.Out, "The database is restored and the old release keeps running. Fix the migration and push again.")
	where := ", the app is out of maintenance"
	if f.Platform == nil {
		where = ""
	} else if st.app(f.Config.AppName).WasOn {
		where = ", maintenance mode is on as it was before this run"
	}
	err = journal.Exit(journal.ExitFailed, fmt.Errorf("migration %s; backup %s restored%s: %w", what(runErr), f.backup.ID, where, runErr))
	f.finish(ctx, ledger.OutcomeRestored, journal.ExitFailed, err)
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
	d := f.restored
	f.journal().Write(ctx, "rewrite this run after the restore", func(ctx context.Context) error { return f.Ledger.Put(ctx, d) })
	// The restore also brought back the nightly approvals this run had consumed.
	f.consumeNightly(ctx)
}

// humanMustAct prints exactly what state the app and the database are in and the commands that
// finish the recovery, records it, and returns exit 4.
func (f *Flow) humanMustAct(ctx context.Context, runErr error, st appState, problem string, bad []plan.MigrationKey) error {
	lead := "recovery failed"
	if st.restoreRunning != nil {
		// Exit 4 all the same (a human must act), but nothing failed: Heroku still restores.
		lead = "recovery not finished"
	}
	app := st.app(f.Config.AppName)
	s := journal.Statement{Running: st.restoreRunning != nil, Problem: problem, RunID: f.runID}
	s.Facts = append(s.Facts, journal.Fact{Label: "Database", Text: f.databaseState(st, bad)})
	if f.backup != nil {
		s.Facts = append(s.Facts, journal.Fact{Label: "Backup", Text: fmt.Sprintf("%s (%s), taken before migrating.", f.backup.ID, f.backup.Location)})
	}
	if f.Platform == nil {
		s.Facts = append(s.Facts, journal.Fact{Label: "App", Text: "no Heroku credentials, so maintenance mode and dynos were not touched."})
	} else {
		s.Facts = append(s.Facts, app.Facts("maintenance mode is off; the old release is serving traffic")...)
	}
	s.Facts = append(s.Facts, journal.Fact{Label: "Release", Text: "this release failed, so Heroku keeps the previous one live."})
	s.Commands = f.finishCommands(ctx, st, app, bad)
	s.Print(f.Out)
	if st.restored {
		f.rewriteLedger(ctx, f.before)
	}
	err := journal.Exit(journal.ExitRecoveryFailed, fmt.Errorf("%s, a human must act: %s (after: %v)", lead, problem, runErr))
	f.finish(ctx, ledger.OutcomeRecoveryFailed, journal.ExitRecoveryFailed, err)
	return err
}

// databaseState is the Database line of the statement.
func (f *Flow) databaseState(st appState, bad []plan.MigrationKey) string {
	switch {
	case st.restored:
		return fmt.Sprintf("restored from backup %s.", f.backup.ID)
	case st.restoreRunning != nil:
		return fmt.Sprintf("being restored: %s. When it completes, the database is back to before the release; until then it is partly restored.", st.restoreRunning.Status())
	case st.restoreFailed:
		return fmt.Sprintf("partly restored: Heroku reports the restore of backup %s failed midway, so the database matches neither the backup nor the release; restore it again before anything else.", f.backup.ID)
	case st.restoreUnconfirmed:
		return fmt.Sprintf("probably restored: Heroku did not confirm the restore of backup %s, but the applied migrations are back to those before the release. `heroku pg:backups --app %s` shows the restore.", f.backup.ID, f.Config.AppName)
	case len(bad) > 0:
		return fmt.Sprintf("NOT restored; it holds changes the old release may not survive (%s).", plan.JoinKeys(bad))
	}
	return "state unknown."
}

// finishCommands are the commands of the statement: the restore still to do (behind maintenance
// mode, with the workers stopped), then the window closed by hand.
func (f *Flow) finishCommands(ctx context.Context, st appState, app window.State, bad []plan.MigrationKey) []string {
	var cmds []string
	stopped := maps.Clone(app.Stopped)
	unknown, toldOn := false, false
	if !st.restored && f.backup != nil && len(bad) > 0 {
		if f.Platform != nil && !app.On && !app.WasOn && !f.Generation.Fir() {
			cmds = append(cmds, window.MaintenanceOn(app.App))
			toldOn = true
		}
		if f.Platform != nil && len(stopped) == 0 {
			// A restore runs with nothing writing: stop the workers first, and say how to bring
			// them back.
			var hint []string
			hint, stopped, unknown = f.stopHint(ctx, app.App)
			cmds = append(cmds, hint...)
		}
		switch {
		case st.restoreRunning != nil:
			c := st.restoreRunning.Commands()
			cmds = append(cmds, c[0]+"   # wait until it says Completed (do not restore again while it runs)",
				"# if it fails, or you stop it ("+c[1]+"), restore again:",
				"#   "+f.Backups.RestoreCommand(*f.backup))
		case st.restoreUnconfirmed:
			cmds = append(cmds, fmt.Sprintf("heroku pg:backups --app %s   # if the restore of %s did not finish, run the next line", app.App, f.backup.ID),
				f.Backups.RestoreCommand(*f.backup))
		default:
			cmds = append(cmds, f.Backups.RestoreCommand(*f.backup))
		}
	}
	if f.Platform != nil {
		cmds = append(cmds, window.ScaleCommands(app.App, stopped)...)
		if unknown {
			cmds = append(cmds, fmt.Sprintf("heroku ps:scale <type>=<quantity before> --app %s   # each process type stopped above", app.App))
		}
		if app.On || toldOn {
			cmds = append(cmds, window.MaintenanceOff(app.App))
		}
	}
	return cmds
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

// stopHint is the commands that stop every process type but web before a restore by hand, read
// from the formation when the Platform API answers, with the quantities to scale them back to;
// unknown when it does not.
func (f *Flow) stopHint(ctx context.Context, app string) (cmds []string, stopped map[string]int, unknown bool) {
	fctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	fs, err := f.Platform.Formation(fctx, app)
	if err != nil {
		return []string{fmt.Sprintf("heroku ps --app %s   # then scale every process type but web to 0, e.g. heroku ps:scale worker=0", app)}, nil, true
	}
	stopped = map[string]int{}
	for _, p := range window.Workers(fs) {
		cmds = append(cmds, fmt.Sprintf("heroku ps:scale %s=0 --app %s", p.Type, app))
		stopped[p.Type] = p.Quantity
	}
	return cmds, stopped, false
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
