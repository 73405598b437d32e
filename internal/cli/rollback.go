package cli

import (
	"context"
	"fmt"

	"github.com/zdcd/zdcd/internal/config"
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
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if err := requireHeroku(cfg, "rollback goes through the Platform API"); err != nil {
		return err
	}
	dbURL, err := cfg.RequireDatabase()
	if err != nil {
		return err
	}
	hc, err := heroku.New(cfg, heroku.Options{Log: io.Out, PollInterval: cfg.APIPollInterval})
	if err != nil {
		return err
	}
	db, err := database.Connect(ctx, dbURL.ConnString(), cfg.DatabaseVar)
	if err != nil {
		return err
	}
	defer func() { db.Close(context.WithoutCancel(ctx)) }()
	opts := ledger.Options{Secrets: []string{cfg.APIKey.Reveal(), dbURL.Password.Reveal()}}
	store, err := ledger.OpenWith(ctx, db.Conn, opts)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	f.Config, f.DB, f.Ledger, f.Platform, f.Releases = cfg, db, store, hc, hc
	f.Backups = release.NewHerokuBackuper(hc, cfg.AppName, cfg.DatabaseVar, io.Out)
	f.Reopen = func(ctx context.Context) (*database.DB, rollback.Ledger, error) {
		return reopen(ctx, cfg, dbURL, opts, &db)
	}
	f.Info = ledger.RunInfo{Command: ledger.CommandRollback, AppName: cfg.AppName, ZdcdVersion: version.String()}
	return f.Run(ctx)
}
