package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/journal"
	"github.com/zdcd/zdcd/internal/judge"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/migrate"
	"github.com/zdcd/zdcd/internal/nightly"
	"github.com/zdcd/zdcd/internal/release"
	"github.com/zdcd/zdcd/internal/version"
)

// runNightly is `zdcd-release nightly`, the Heroku Scheduler job (docs/nightly.md).
func runNightly(ctx context.Context, args []string, io IO) error {
	fs := newFlags("nightly", io)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(io)
	if err != nil {
		return err
	}
	if err := requireHeroku(cfg, "the nightly run releases through the Platform API"); err != nil {
		return err
	}
	if _, err := cfg.RequireDatabase(); err != nil {
		return err
	}
	// Outside the window nothing is touched, not even the database.
	if ok, line := nightly.InWindow(cfg, time.Now()); !ok {
		fmt.Fprintln(io.Out, line)
		return nil
	}

	// The release phase the window triggers plans with this settings module: if zdcd cannot
	// tell which one migrate will use, that release would stop at exit 2 inside the window.
	// Refuse before maintenance mode. (Other problems of the project are the release phase's to
	// report; this run does not plan.)
	settings, err := newJudge(cfg, io).ResolveSettings(ctx)
	if judge.IsAmbiguousSettings(err) {
		return err
	}
	hc, err := heroku.New(cfg, heroku.Options{Log: io.Out, PollInterval: cfg.APIPollInterval})
	if err != nil {
		return err
	}
	// The window needs maintenance mode: on Fir, stop before the database and the ledger. Exit 2:
	// this Scheduler job cannot work on this app whatever is pending, a setup to change.
	if gen := release.ReadGeneration(ctx, hc, cfg.AppName, io.Out, release.FirNightly); gen.Fir() {
		return journal.Exit(journal.ExitUsage, fmt.Errorf("nightly: %s runs on Heroku's Fir generation, which has no maintenance mode, so the nightly window cannot open; nothing was done. Remove this Scheduler job, and ship unsafe migrations as backward-compatible steps (zdcd-release explain <rule>)", cfg.AppName))
	}
	s, err := openSession(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.close(ctx)
	db, store := s.db, s.store
	serverVersion, err := db.ServerVersion(ctx)
	if err != nil {
		return err
	}
	flow := &nightly.Flow{
		Config:   cfg,
		Ledger:   store,
		Platform: hc,
		Restorer: nightly.NewRestorer(release.NewHerokuBackuper(hc, cfg.AppName, cfg.DatabaseVar, io.Out)),
		Lock: func(ctx context.Context) (func(context.Context) error, error) {
			if err := release.AcquireLock(ctx, db.Conn, cfg.ReleaseLockWait, io.Out); err != nil {
				return nil, err
			}
			return func(ctx context.Context) error { return release.ReleaseLock(ctx, db.Conn) }, nil
		},
		Info: ledger.RunInfo{ServerVersion: serverVersion, ZdcdVersion: version.String()},
		Out:  io.Out,
		Preflight: func(ctx context.Context) error {
			r := migrate.New(cfg, io.Environ, io.Out)
			// The Scheduler dyno computes no plan: the settings module checked is the one the
			// release phase will plan with, as resolved above ("" when it could not be resolved:
			// then the release phase reports why, and only the session settings are checked here).
			r.Settings = settings
			_, err := r.ProbeCommand(ctx)
			return err
		},
	}
	return flow.Run(ctx)
}
