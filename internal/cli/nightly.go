package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/database"
	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/ledger"
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
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if !cfg.APIKey.IsSet() {
		return &config.Error{Var: "HEROKU_API_KEY", Problem: "is not set: the nightly run releases through the Platform API; set it to an API key with deploy and operate access to the app (docs/nightly.md)"}
	}
	if cfg.AppName == "" {
		return &config.Error{Var: "HEROKU_APP_NAME", Problem: "is not set: set it (heroku config:set HEROKU_APP_NAME=<app>), or enable dyno metadata (heroku labs:enable runtime-dyno-metadata), which sets it"}
	}
	dbURL, err := cfg.RequireDatabase()
	if err != nil {
		return err
	}
	// Outside the window nothing is touched, not even the database.
	if ok, line := nightly.InWindow(cfg, time.Now()); !ok {
		fmt.Fprintln(io.Out, line)
		return nil
	}

	hc, err := heroku.New(cfg, heroku.Options{Log: io.Out, PollInterval: cfg.APIPollInterval})
	if err != nil {
		return err
	}
	db, err := database.Connect(ctx, dbURL.ConnString(), cfg.DatabaseVar)
	if err != nil {
		return err
	}
	defer db.Close(context.WithoutCancel(ctx))
	store, err := ledger.OpenWith(ctx, db.Conn, ledger.Options{Secrets: []string{cfg.APIKey.Reveal(), dbURL.Password.Reveal()}})
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
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
	}
	err = flow.Run(ctx)
	var ne *nightly.Error
	if errors.As(err, &ne) {
		// Main maps the release flow's errors to exit codes; the nightly's are the same codes.
		return &release.Error{Code: ne.Code, Err: ne.Err}
	}
	return err
}
