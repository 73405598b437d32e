package cli

import (
	"context"
	"fmt"
	stdio "io"
	"os"
	"time"

	"github.com/zdcd/zdcd/internal/childenv"
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/database"
	"github.com/zdcd/zdcd/internal/heroku"
	"github.com/zdcd/zdcd/internal/journal"
	"github.com/zdcd/zdcd/internal/ledger"
	"github.com/zdcd/zdcd/internal/migrate"
	"github.com/zdcd/zdcd/internal/pgbackup"
	"github.com/zdcd/zdcd/internal/release"
	"github.com/zdcd/zdcd/internal/report"
	"github.com/zdcd/zdcd/internal/version"
)

// ReleaseOptions are the flags of `zdcd-release release`.
type ReleaseOptions struct {
	ProjectDir string
}

func runRelease(ctx context.Context, args []string, io IO) error {
	var opts ReleaseOptions
	fs := newFlags("release", io)
	fs.StringVar(&opts.ProjectDir, "project-dir", "", "the Django project directory, holding manage.py (default $ZDCD_PROJECT_DIR, else .)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return runReleaseFlow(ctx, opts, io)
}

func runReleaseFlow(ctx context.Context, opts ReleaseOptions, io IO) (runErr error) {
	cfg, err := loadConfig(io)
	if err != nil {
		return err
	}
	if opts.ProjectDir != "" {
		cfg.ProjectDir = opts.ProjectDir
	}
	if err := requireHerokuApp(cfg); err != nil {
		return err
	}
	if _, err := cfg.RequireDatabase(); err != nil {
		return err
	}
	j := newJudge(cfg, io)
	// Before the ledger, a backup or maintenance mode: a settings module zdcd cannot tell is
	// exit 2 with nothing changed.
	if _, err := j.ResolveSettings(ctx); err != nil {
		return err
	}
	start := io.Start
	if start.IsZero() {
		start = time.Now()
	}
	var hc *heroku.Client
	var gen heroku.Generation
	if cfg.APIKey.IsSet() {
		// A backup's or restore's progress: a line on each change of state, and at most every ten
		// polls in between (30 s at the default 3 s).
		hopts := heroku.Options{Log: io.Out, PollInterval: cfg.APIPollInterval, ProgressInterval: 10 * cfg.APIPollInterval}
		if hc, err = heroku.New(cfg, hopts); err != nil {
			return err
		}
		gen = release.ReadGeneration(ctx, hc, cfg.AppName, io.Out, release.FirRelease)
	}
	s, err := openSession(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.close(ctx)
	serverVersion, err := s.db.ServerVersion(ctx)
	if err != nil {
		return err
	}
	wd, _ := io.Getwd()
	flow := &release.Flow{
		Config:   cfg,
		DB:       s.db,
		Ledger:   s.store,
		Judge:    j,
		Report:   report.Options{ProjectDir: cfg.ProjectDir, WorkDir: wd},
		Migrator: release.RunnerMigrator{Runner: migrate.New(cfg, io.Environ, io.Out)},
		Reopen: func(ctx context.Context) (*database.DB, release.Ledger, error) {
			return s.reopen(ctx, cfg)
		},
		Out:      io.Out,
		Deadline: start.Add(cfg.ReleaseDeadline),
	}
	flow.Info, flow.Description = releaseInfo(ctx, cfg, hc, serverVersion, io)
	if hc != nil {
		flow.Platform = hc
		flow.Generation = gen
		flow.Backups = release.NewHerokuBackuper(hc, cfg.AppName, cfg.DatabaseVar, io.Out)
	} else {
		var tmpDir string
		if flow.Backups, tmpDir, err = localBackups(cfg, s.url, serverVersion, io); err != nil {
			return err
		}
		if tmpDir != "" {
			defer func() { removeBackupDir(tmpDir, runErr, io.Out) }()
		}
		if childenv.Value(io.Environ, "DYNO") != "" {
			fmt.Fprintln(io.Out, "-----> warning: HEROKU_API_KEY is not set: backups go to a pg_dump file on this dyno, and a restore cannot switch on maintenance mode. Set HEROKU_API_KEY and HEROKU_APP_NAME (docs/configuration.md).")
		}
	}
	return flow.Run(ctx)
}

// releaseInfo is what is known about the release for the ledger, and its Heroku description
// ("Rollback to v41": the release to roll back to when the schema is ahead), "" when unknown.
func releaseInfo(ctx context.Context, cfg *config.Config, hc *heroku.Client, serverVersion int, io IO) (ledger.RunInfo, string) {
	info := ledger.RunInfo{
		Command:       ledger.CommandRelease,
		AppName:       cfg.AppName,
		ServerVersion: serverVersion,
		ZdcdVersion:   version.String(),
	}
	description := ""
	if v, ok := ledger.ParseReleaseVersion(childenv.Value(io.Environ, "HEROKU_RELEASE_VERSION")); ok {
		info.ReleaseVersion = v
		if hc != nil {
			// The slug lets the nightly window release this very code again. Best effort: the
			// release goes on without it.
			if r, err := hc.ReleaseInfo(ctx, cfg.AppName, fmt.Sprintf("%d", v)); err == nil {
				info.SlugID, description = r.SlugID, r.Description
			} else {
				fmt.Fprintf(io.Out, "-----> warning: could not read release v%d from the Platform API: %v\n", v, err)
			}
		}
	}
	return info, description
}

// removeBackupDir deletes the temporary directory of a run's local backup (ZDCD_BACKUP_DIR
// unset) once the run is over: the dump is needed only while the run may restore it. It is kept
// when a human must act (exit 4), whose instructions name it.
func removeBackupDir(dir string, runErr error, out stdio.Writer) {
	if code, ok := journal.Code(runErr); ok && code == journal.ExitRecoveryFailed {
		fmt.Fprintf(out, "-----> The backup stays in %s for the recovery by hand; delete it afterwards.\n", dir)
		return
	}
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintf(out, "-----> warning: could not delete the temporary backup directory %s: %v\n", dir, err)
	}
}

// requireHeroku refuses to run without an API key and an app name; why says what needs them.
func requireHeroku(cfg *config.Config, why string) error {
	if !cfg.APIKey.IsSet() {
		return &config.Error{Var: "HEROKU_API_KEY", Problem: "is not set: " + why + "; set it to the API key of an account with deploy and operate access to the app (docs/nightly.md)"}
	}
	return requireHerokuApp(cfg)
}

// requireHerokuApp refuses an API key without an app name: zdcd would not know which app to back
// up, put in maintenance, or scale.
func requireHerokuApp(cfg *config.Config) error {
	if cfg.APIKey.IsSet() && cfg.AppName == "" {
		return &config.Error{Var: "HEROKU_APP_NAME", Problem: "is not set, but HEROKU_API_KEY is: set it (heroku config:set HEROKU_APP_NAME=<app>), or enable dyno metadata (heroku labs:enable runtime-dyno-metadata), which sets it"}
	}
	return nil
}

// localBackups backs up with pg_dump to ZDCD_BACKUP_DIR, or to a new temporary directory; tmpDir is the temporary directory it made when
// ZDCD_BACKUP_DIR is unset (the caller deletes it at the end of the run), else "".
func localBackups(cfg *config.Config, dbURL *config.DatabaseURL, serverVersion int, io IO) (_ release.Backuper, tmpDir string, _ error) {
	dir := cfg.BackupDir
	if dir == "" {
		d, err := os.MkdirTemp("", "zdcd-backup-")
		if err != nil {
			return nil, "", fmt.Errorf("ZDCD_BACKUP_DIR is not set and a temporary directory cannot be made: %w", err)
		}
		dir, tmpDir = d, d
	}
	label := childenv.Value(io.Environ, "HEROKU_RELEASE_VERSION")
	if label == "" {
		label = "release"
	}
	return release.NewLocalBackuper(&pgbackup.Dumper{
		ConnString:    dbURL.ConnString(),
		Dir:           dir,
		Env:           io.Environ,
		Log:           io.Out,
		ServerVersion: serverVersion,
	}, label), tmpDir, nil
}

// reopen replaces *db, whose session a restore ended, with a new session and its ledger.
func reopen(ctx context.Context, cfg *config.Config, dbURL *config.DatabaseURL, opts ledger.Options, db **database.DB) (*database.DB, *ledger.Postgres, error) {
	fresh, err := database.Connect(ctx, dbURL.ConnString(), cfg.DatabaseVar)
	if err != nil {
		return nil, nil, err
	}
	l, err := ledger.OpenWith(ctx, fresh.Conn, opts)
	if err != nil {
		fresh.Close(ctx)
		return nil, nil, err
	}
	(*db).Close(ctx)
	*db = fresh
	return fresh, l, nil
}

// session is what the commands that act on the app open: the database (its own session, for the
// release lock and the ledger), the ledger, and the options that keep the secrets out of it.
type session struct {
	url   *config.DatabaseURL
	db    *database.DB
	store *ledger.Postgres
	opts  ledger.Options
}

// openSession connects to the configuration's database and opens (creating or upgrading) the
// ledger. Close it with close.
func openSession(ctx context.Context, cfg *config.Config) (*session, error) {
	s, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// A read-only database (hot standby, default_transaction_read_only) is a configuration error
	// (exit 2) named before the ledger is touched, whether or not it exists yet.
	if err := database.CheckWritable(ctx, s.db.Conn, cfg.DatabaseVar); err != nil {
		s.db.Close(ctx)
		return nil, err
	}
	if s.store, err = ledger.OpenWith(ctx, s.db.Conn, s.opts); err != nil {
		s.db.Close(ctx)
		return nil, err
	}
	return s, nil
}

// connect opens the session's connection without touching the ledger (readers open it with
// ledger.OpenExisting, which creates nothing).
func connect(ctx context.Context, cfg *config.Config) (*session, error) {
	dbURL, err := cfg.RequireDatabase()
	if err != nil {
		return nil, err
	}
	db, err := database.Connect(ctx, dbURL.ConnString(), cfg.DatabaseVar)
	if err != nil {
		return nil, err
	}
	return &session{url: dbURL, db: db, opts: ledger.Options{Redactor: cfg.Redactor(), Secrets: []string{cfg.APIKey.Reveal(), dbURL.Password.Reveal()}}}, nil
}

// close closes the session's current connection (reopen may have replaced it).
func (s *session) close(ctx context.Context) { s.db.Close(context.WithoutCancel(ctx)) }

// reopen replaces the session's connection, which a restore ended, with a new one and its ledger.
func (s *session) reopen(ctx context.Context, cfg *config.Config) (*database.DB, *ledger.Postgres, error) {
	return reopen(ctx, cfg, s.url, s.opts, &s.db)
}
