package release

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/journal"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/window"
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

// newWindow is the app's maintenance window, its steps recorded in this run's journal.
func (f *Flow) newWindow() *window.Window {
	return window.New(f.Platform, f.Config.AppName, flowJournal{f}, f.Out)
}

// flowJournal is the run's journal as a window records into it.
type flowJournal struct{ f *Flow }

func (j flowJournal) Clock() time.Time { return j.f.now() }
func (j flowJournal) Step(ctx context.Context, s journal.Step, started time.Time, ok bool, detail string) {
	j.f.step(ctx, s, started, ok, detail)
}

// openWindow switches maintenance mode on and stops the worker dynos. When either fails, it
// brings back what it changed and the run stops, nothing migrated (exit 3).
func (f *Flow) openWindow(ctx context.Context) error {
	w := f.newWindow()
	bad := f.incompatible(f.pending)
	f.say("%s may break the old release: maintenance mode on and workers stopped before the backup, so a restore would lose no write (ZDCD_MAINTENANCE=unsafe).", plan.JoinKeys(bad))
	if err := w.Open(ctx); err != nil {
		if f.noMaintenance(err) && !w.Changed() {
			// A Fir app whose generation could not be read up front: Heroku refused the switch,
			// so nothing changed; the plan is refused as the preflight would have.
			var apiErr *heroku.APIError
			if errors.As(err, &apiErr) {
				f.say("Heroku refused to switch maintenance mode on (%d %s: %s): the app has none.", apiErr.Status, apiErr.ID, apiErr.Message)
			}
			return f.refuseOnFir(ctx)
		}
		return f.abandonWindow(ctx, w, err)
	}
	f.window = w
	return nil
}

// abandonWindow brings the app back after the window could not be opened, and stops the run:
// nothing was migrated.
func (f *Flow) abandonWindow(ctx context.Context, w *window.Window, cause error) error {
	err := fmt.Errorf("%v before the migrations the old release may not survive; nothing was migrated", cause)
	if berr := w.Close(ctx); berr != nil {
		return f.windowLeftOpen(ctx, w, err, berr)
	}
	return f.finishFailed(ctx, ledger.OutcomeFailed, journal.ExitFailed, fmt.Errorf("%w: retry the release once the Platform API answers", err))
}

// closeWindow brings the app back after the run stopped before migrating (a failed backup, an
// unreadable applied set), the database untouched. A failure to bring it back is exit 4, stated.
func (f *Flow) closeWindow(ctx context.Context, stop error) error {
	w := f.window
	if w == nil {
		return stop
	}
	f.window = nil
	// The run may have stopped on SIGTERM: bringing the app back must not be cancelled with it.
	ctx = context.WithoutCancel(ctx)
	if err := w.Close(ctx); err != nil {
		return f.windowLeftOpen(ctx, w, stop, err)
	}
	return stop
}

// windowLeftOpen states an app zdcd could not bring back after a run that migrated nothing.
func (f *Flow) windowLeftOpen(ctx context.Context, w *window.Window, stop, err error) error {
	s := journal.Statement{
		Problem: fmt.Sprintf("%v; then the app could not be brought back (%v)", stop, err),
		Facts: append(append([]journal.Fact{{Label: "Database", Text: "unchanged: no migration ran."}},
			w.Facts("maintenance mode is off")...),
			journal.Fact{Label: "Release", Text: "this release failed, so Heroku keeps the previous one live."}),
		Commands: w.Commands(),
		RunID:    f.runID,
	}
	s.Print(f.Out)
	e := journal.Exit(journal.ExitRecoveryFailed, fmt.Errorf("recovery failed, a human must act: the app could not be brought back (%v) after: %v", err, stop))
	f.finish(ctx, ledger.OutcomeRecoveryFailed, journal.ExitRecoveryFailed, e)
	return e
}

// endWindow brings the app back once the plan is applied. The release then goes live; should
// the app not come back, the release still must (only the new code works with the new schema):
// a warning says what is left to do, and the run stays a success.
func (f *Flow) endWindow(ctx context.Context) {
	w := f.window
	if w == nil {
		return
	}
	f.window = nil
	if err := w.Close(context.WithoutCancel(ctx)); err != nil {
		fmt.Fprintln(f.Out)
		fmt.Fprintf(f.Out, "!!!!!! ACTION NEEDED: the migrations are applied, but the app could not be brought back: %v.\n", err)
		journal.WriteFacts(f.Out, w.Facts("maintenance mode is off"))
		fmt.Fprintln(f.Out, "  Once the new release is up:")
		journal.WriteCommands(f.Out, w.Commands())
	}
}
