package cli

import (
	"context"

	"github.com/zdcd/zdcd/internal/database"
	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/release"
	"github.com/zdcd/zdcd/internal/rollback"
	"github.com/zdcd/zdcd/internal/version"
)

func runRollback(ctx context.Context, args []string, io IO) error {
	f := &rollback.Flow{Out: io.Out}
	fs := newFlags("rollback", io)
	fs.StringVar(&f.To, "to", "", "the release to roll back to (v41); default: the one before the current release")
	fs.StringVar(&f.Confirm, "confirm", "", "the app's name, to act; without it the rollback is only described")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(io)
	if err != nil {
		return err
	}
	if err := requireHeroku(cfg, "rollback goes through the Platform API"); err != nil {
		return err
	}
	if _, err := cfg.RequireDatabase(); err != nil {
		return err
	}
	hc, err := heroku.New(cfg, heroku.Options{Log: io.Out, PollInterval: cfg.APIPollInterval})
	if err != nil {
		return err
	}
	f.Generation = release.ReadGeneration(ctx, hc, cfg.AppName, io.Out, release.FirRollback)
	s, err := openSession(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.close(ctx)
	f.Config, f.DB, f.Ledger, f.Platform, f.Releases = cfg, s.db, s.store, hc, hc
	f.Backups = release.NewHerokuBackuper(hc, cfg.AppName, cfg.DatabaseVar, io.Out)
	f.Reopen = func(ctx context.Context) (*database.DB, rollback.Ledger, error) {
		return s.reopen(ctx, cfg)
	}
	f.Info = ledger.RunInfo{Command: ledger.CommandRollback, AppName: cfg.AppName, ZdcdVersion: version.String()}
	return f.Run(ctx)
}
