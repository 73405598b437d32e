package release

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/journal"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/plan"
)

// Heroku's Fir generation has no maintenance mode yet (internal/heroku/generation.go cites where
// that is said and how the generation is read). Every command that uses the Platform API reads
// the app's generation once, first, and says what works there. What the release phase does on
// Fir (docs/release.md, "Fir"):
//
//   - A plan the old release survives (or the first deploy) runs as on Cedar: backup, migrate;
//     a failure after backward-compatible migrations needs no restore.
//   - A plan that would run behind maintenance mode (ZDCD_MAINTENANCE=unsafe, the default, a
//     migration the old release may not survive, approved, and a backup to restore) is refused
//     before anything is touched: exit 1, as for any plan the release cannot apply safely — it is
//     neither a configuration error (the same settings work on Cedar, and safe plans deploy on
//     this app) nor a failure (nothing ran). Heroku keeps the old release live.
//   - The explicit way through is the existing ZDCD_MAINTENANCE=recovery, whose meaning is
//     "such a plan runs under live traffic": the run says so, naming it, before the backup.
//     There is no separate Fir setting: one name for one decision.
//   - A restore never runs under live traffic: on Fir, a failure that needs one stops with exit 4
//     and the statement of what to do, as when maintenance mode cannot be switched on at all.
//   - If the generation could not be read, the run goes on as on Cedar; should Heroku then refuse
//     the maintenance switch (heroku.ErrMaintenanceUnsupported), the window is not opened and the
//     plan is refused the same way, and a restore is not attempted.

// GenerationReader reads the app's generation (*heroku.Client).
type GenerationReader interface {
	Generation(ctx context.Context, app string) (heroku.Generation, error)
}

var _ GenerationReader = (*heroku.Client)(nil)

// What works on Fir, per command, for ReadGeneration's line.
const (
	FirRelease  = "Plans the old release survives deploy as usual; a plan that needs the maintenance window is refused (ZDCD_MAINTENANCE=recovery runs it under live traffic), and a failed migration is never restored under live traffic."
	FirNightly  = "The nightly window needs maintenance mode: `zdcd-release nightly` cannot run here."
	FirRollback = "A rollback the target's code survives works; one that must restore the database needs maintenance mode and is refused."
)

// ReadGeneration reads the app's generation once, at the start of a command that uses the
// Platform API, and on Fir says so with what works there (one of the Fir* lines). When it cannot
// be read, a warning says so and the zero Generation (Cedar's behaviour) is returned: a maintenance
// switch Heroku refuses is still recognised later.
func ReadGeneration(ctx context.Context, r GenerationReader, app string, out io.Writer, onFir string) heroku.Generation {
	g, err := r.Generation(ctx, app)
	if err != nil {
		fmt.Fprintf(out, "-----> warning: could not read the generation of %s (%v): going on as on Cedar, with maintenance mode.\n", app, err)
		return heroku.Generation{}
	}
	if g.Fir() {
		fmt.Fprintf(out, "-----> %s runs on Heroku's Fir generation (%s), which has no maintenance mode yet.\n", app, g.Evidence())
		fmt.Fprintf(out, "       %s\n", onFir)
	}
	return g
}

// firPreflight runs once the plan is judged and allowed, before the window, the backup and any
// change: on Fir, a plan that needs the maintenance window is refused.
func (f *Flow) firPreflight(ctx context.Context) error {
	if f.Platform == nil || !f.Generation.Fir() {
		return nil
	}
	if f.needsWindow() {
		return f.refuseOnFir(ctx)
	}
	if bad := f.incompatible(f.pending); len(bad) > 0 && !f.result.Initial && f.Config.Maintenance == config.MaintenanceRecovery {
		f.say("Fir, ZDCD_MAINTENANCE=recovery: applying %s under live traffic, without maintenance mode; if it fails, nothing is restored under live traffic (exit 4, with what to do).", plan.JoinKeys(bad))
	}
	return nil
}

// refuseOnFir refuses a plan that needs the maintenance window on an app that has no maintenance
// mode. Nothing was changed.
func (f *Flow) refuseOnFir(ctx context.Context) error {
	bad := f.incompatible(f.pending)
	fmt.Fprintf(f.Out, "Refused on Fir: %s may break the old release, and ZDCD_MAINTENANCE=unsafe applies such a plan only behind maintenance mode, which Heroku's Fir generation does not have.\n", plan.JoinKeys(bad))
	fmt.Fprintln(f.Out, "Nothing was changed: no backup, no migration; the old release keeps running.")
	fmt.Fprintln(f.Out, "To ship it, either:")
	fmt.Fprintln(f.Out, "  - split each change into backward-compatible steps (`zdcd-release explain <rule>` shows the recipe);")
	fmt.Fprintln(f.Out, "  - or set ZDCD_MAINTENANCE=recovery to apply it under live traffic without maintenance mode: the old")
	fmt.Fprintln(f.Out, "    release may fail while it runs, and a failure is not restored automatically (exit 4, with the commands).")
	fmt.Fprintf(f.Out, "Recorded as run %d: `zdcd-release history %d`.\n", f.runID, f.runID)
	err := journal.Exit(journal.ExitRefused, fmt.Errorf("refused on Fir: %s needs the maintenance window, and Fir apps have no maintenance mode; nothing was changed", plan.JoinKeys(bad)))
	f.finish(ctx, ledger.OutcomeRefused, journal.ExitRefused, err)
	return err
}

// noMaintenance reports whether err says the app has no maintenance mode; it then remembers the
// app is Fir, so that what follows (the statement of what to do) does not suggest switching it on.
func (f *Flow) noMaintenance(err error) bool {
	if !errors.Is(err, heroku.ErrMaintenanceUnsupported) {
		return false
	}
	f.Generation.Name = heroku.GenerationFir
	return true
}
