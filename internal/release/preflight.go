package release

import (
	"context"
	"errors"
	"fmt"

	"github.com/zdcd/zdcd/internal/journal"
	"github.com/zdcd/zdcd/internal/judge"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/migrate"
)

// migrations are the plan's pending migrations as the runner takes them, and whether they are
// applied one at a time. The first deploy has no traffic to protect: one command for all, one
// Python start.
func migrations(a *judge.Judged) ([]migrate.Migration, bool) {
	migs := migrate.FromPlan(a.Plan, a.Context)
	return migs, !a.Result.Initial && migrate.OneAtATimeFor(migs)
}

// preflight verifies, before the maintenance window, the backup and any change, that the migrate
// command's sessions will run under zdcd's lock_timeout and statement_timeout, with the settings
// module the plan was computed with, on this database (migrate/probe.go): issue 15 asks zdcd to
// refuse "before touching anything" when it cannot make them hold. The gate still checks every
// attempt when the migrations run.
//
// A refusal is exit 2 (a setup to change) with nothing changed: no backup, no maintenance mode, no
// migration, and the run recorded as failed, not as a refusal for unsafe migrations (which the
// nightly window would try to ship). A probe that cannot run (the database unreachable) is exit 3,
// nothing changed.
func (f *Flow) preflight(ctx context.Context, a *judge.Judged) error {
	migs, oneAtATime := migrations(a)
	f.say("Pre-flight: checking that the migrate command's sessions run under lock_timeout %s and statement_timeout %s, with settings %s, on this database",
		f.Config.LockTimeout, f.Config.StatementTimeout, orWord(a.Plan.Settings, "(the environment's)"))
	started := f.now()
	pctx, cancel := f.forward(ctx)
	res, err := f.Migrator.Probe(pctx, migs, oneAtATime, a.Plan.Settings)
	cancel()
	detail := "verified"
	switch {
	case err != nil:
		detail = err.Error()
	case res != nil && res.Skipped:
		detail = "skipped: first deploy"
	}
	f.step(ctx, journal.StepPreflight, started, err == nil, detail)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, migrate.ErrSessionUnverified):
		fmt.Fprintln(f.Out, "Nothing was changed: no backup, no maintenance mode, no migration; the old release keeps running.")
		return f.finishFailed(ctx, ledger.OutcomeFailed, 2, fmt.Errorf("refused before anything was touched: %w", err))
	case ctx.Err() != nil:
		return f.finishFailed(ctx, ledger.OutcomeInterrupted, journal.ExitFailed, fmt.Errorf("interrupted during the pre-flight check; nothing was changed: %w", err))
	}
	return f.finishFailed(ctx, ledger.OutcomeFailed, journal.ExitFailed, fmt.Errorf("pre-flight check of the migrate command failed; nothing was changed: %w", err))
}

func orWord(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
