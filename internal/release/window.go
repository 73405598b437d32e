package release

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/plan"
)

// The maintenance window of the release phase (ZDCD_MAINTENANCE=unsafe, the default). A plan
// holding a migration the old release may not survive is restored when it fails; a restore brings
// the whole database back to the backup, so every write committed after the backup started would
// be lost. The release phase therefore switches maintenance mode on and stops the worker dynos
// before the backup, applies the plan with nothing writing, and brings the app back once the plan
// is applied, or once the recovery restored the backup: no committed write is lost either way.
// The old release would fail against such a plan anyway; maintenance mode answers its requests
// with Heroku's maintenance page instead of errors. The nightly flow switches maintenance mode
// on before it re-releases, so its release phase finds it on and leaves it to the nightly flow.

// needsWindow reports whether the plan runs behind maintenance mode: with Heroku credentials, a
// backup to restore (ZDCD_BACKUP), and a migration the old release may not survive.
func (f *Flow) needsWindow() bool {
	return f.Platform != nil && f.Config.Maintenance == config.MaintenanceUnsafe &&
		!f.result.Initial && f.needsBackup() && len(f.incompatible(f.pending)) > 0
}

// openWindow switches maintenance mode on and stops the worker dynos. When either fails, it
// brings back what it changed and the run stops, nothing migrated (exit 3).
func (f *Flow) openWindow(ctx context.Context) error {
	st := &appState{app: f.Config.AppName, scaled: map[string]int{}}
	bad := f.incompatible(f.pending)
	f.say("%s may break the old release: maintenance mode on and workers stopped before the backup, so a restore would lose no write (ZDCD_MAINTENANCE=unsafe).", plan.JoinKeys(bad))
	if _, err := f.takeDown(ctx, st); err != nil {
		if f.noMaintenance(err) && !st.maintenanceOn && len(st.scaled) == 0 {
			// A Fir app whose generation could not be read up front: Heroku refused the switch,
			// so nothing changed; the plan is refused as the preflight would have.
			var apiErr *heroku.APIError
			if errors.As(err, &apiErr) {
				f.say("Heroku refused to switch maintenance mode on (%d %s: %s): the app has none.", apiErr.Status, apiErr.ID, apiErr.Message)
			}
			return f.refuseOnFir(ctx)
		}
		return f.abandonWindow(ctx, st, err)
	}
	f.window = st
	return nil
}

// abandonWindow brings the app back after the window could not be opened, and stops the run:
// nothing was migrated.
func (f *Flow) abandonWindow(ctx context.Context, st *appState, cause error) error {
	err := fmt.Errorf("%v before the migrations the old release may not survive; nothing was migrated", cause)
	if berr := f.bringBack(ctx, st); berr != nil {
		return f.windowLeftOpen(ctx, st, err, berr)
	}
	return f.finishFailed(ctx, ledger.OutcomeFailed, ExitFailed, fmt.Errorf("%w: retry the release once the Platform API answers", err))
}

// closeWindow brings the app back after the run stopped before migrating (a failed backup, an
// unreadable applied set), the database untouched. A failure to bring it back is exit 4, stated.
func (f *Flow) closeWindow(ctx context.Context, stop error) error {
	st := f.window
	if st == nil {
		return stop
	}
	f.window = nil
	// The run may have stopped on SIGTERM: bringing the app back must not be cancelled with it.
	ctx = context.WithoutCancel(ctx)
	if err := f.bringBack(ctx, st); err != nil {
		return f.windowLeftOpen(ctx, st, stop, err)
	}
	return stop
}

// windowLeftOpen states an app zdcd could not bring back after a run that migrated nothing.
func (f *Flow) windowLeftOpen(ctx context.Context, st *appState, stop, err error) error {
	w := f.Out
	fmt.Fprintln(w)
	fmt.Fprintln(w, "!!!!!! RECOVERY FAILED: a human must act.")
	fmt.Fprintf(w, "  Problem:   %v; then the app could not be brought back (%v).\n", stop, err)
	fmt.Fprintln(w, "  Database:  unchanged: no migration ran.")
	WriteAppState(w, st.maintenanceOn, st.wasOn, st.scaled, "maintenance mode is off")
	fmt.Fprintln(w, "  Release:   this release failed, so Heroku keeps the previous one live.")
	fmt.Fprintln(w, "  To finish by hand:")
	writeComeBack(w, st)
	fmt.Fprintf(w, "  Then: `zdcd-release history %d` shows this run.\n", f.runID)
	e := &Error{Code: ExitRecoveryFailed, Err: fmt.Errorf("recovery failed, a human must act: the app could not be brought back (%v) after: %v", err, stop)}
	f.finish(ctx, ledger.OutcomeRecoveryFailed, ExitRecoveryFailed, e)
	return e
}

// endWindow brings the app back once the plan is applied. The release then goes live; should
// the app not come back, the release still must (only the new code works with the new schema):
// a warning says what is left to do, and the run stays a success.
func (f *Flow) endWindow(ctx context.Context) {
	st := f.window
	if st == nil {
		return
	}
	f.window = nil
	if err := f.bringBack(context.WithoutCancel(ctx), st); err != nil {
		fmt.Fprintln(f.Out)
		fmt.Fprintf(f.Out, "!!!!!! ACTION NEEDED: the migrations are applied, but the app could not be brought back: %v.\n", err)
		WriteAppState(f.Out, st.maintenanceOn, st.wasOn, st.scaled, "maintenance mode is off")
		fmt.Fprintln(f.Out, "  Once the new release is up:")
		writeComeBack(f.Out, st)
	}
}

// writeComeBack writes the commands that bring the app back from st: the process types zdcd
// stopped scaled back, then maintenance mode off when zdcd switched it on.
func writeComeBack(w io.Writer, st *appState) {
	for _, c := range ScaleCommands(st.app, st.scaled) {
		fmt.Fprintf(w, "    %s\n", c)
	}
	if st.maintenanceOn {
		fmt.Fprintf(w, "    heroku maintenance:off --app %s\n", st.app)
	}
}
