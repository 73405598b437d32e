package cli

import (
	"context"
	"fmt"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/database"
	"github.com/zdcd/zdcd/internal/django"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/report"
)

// CheckOptions are the flags of `zdcd-release check`.
type CheckOptions struct {
	Format     string
	ProjectDir string
}

func runCheck(ctx context.Context, args []string, io IO) error {
	var opts CheckOptions
	fs := newFlags("check", io)
	fs.StringVar(&opts.Format, "format", "text", "report format: text, json or github")
	fs.StringVar(&opts.ProjectDir, "project-dir", "", "the Django project directory, holding manage.py (default $ZDCD_PROJECT_DIR, else .)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return check(ctx, opts, io)
}

func check(ctx context.Context, opts CheckOptions, io IO) error {
	format, err := report.ParseFormat(opts.Format)
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if opts.ProjectDir != "" {
		cfg.ProjectDir = opts.ProjectDir
	}
	res, err := analyse(ctx, cfg, io)
	if err != nil {
		return err
	}
	wd, _ := io.Getwd()
	if err := report.Render(io.Out, format, res, report.Options{Color: io.OutIsTTY && format == report.Text, ProjectDir: cfg.ProjectDir, WorkDir: wd}); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if !res.Allowed() {
		return errRefused
	}
	return nil
}

// analyse connects to the database, asks Django for the pending plan and judges it. It changes
// nothing: the Django helper even runs with read-only transactions.
func analyse(ctx context.Context, cfg *config.Config, io IO) (*analysis.Result, error) {
	dbURL, err := cfg.RequireDatabase()
	if err != nil {
		return nil, err
	}
	db, err := database.Connect(ctx, dbURL.ConnString(), cfg.DatabaseVar)
	if err != nil {
		return nil, err
	}
	defer db.Close(context.WithoutCancel(ctx))
	serverVersion, err := db.ServerVersion(ctx)
	if err != nil {
		return nil, err
	}
	applied, err := db.AppliedMigrations(ctx)
	if err != nil {
		return nil, err
	}

	src := &django.Source{
		ProjectDir: cfg.ProjectDir,
		Python:     cfg.Python,
		Settings:   cfg.DjangoSettings,
		Alias:      cfg.DatabaseAlias,
		Env:        io.Environ,
		Stderr:     io.Err,
	}
	pl, err := src.Plan(ctx)
	if err != nil {
		return nil, err
	}
	if err := sameDatabase(cfg, pl, applied); err != nil {
		return nil, err
	}
	return judge(pl, cfg, serverVersion, nil)
}

// sameDatabase checks that Django's settings and the database URL zdcd uses name the same
// database, by comparing the applied migrations both see: zdcd must never judge (or, later,
// back up and restore) one database while Django migrates another.
func sameDatabase(cfg *config.Config, pl *plan.Plan, applied []plan.MigrationKey) error {
	django := append([]plan.MigrationKey(nil), pl.Applied...)
	database.SortKeys(django)
	if equalKeys(django, applied) {
		return nil
	}
	return &config.Error{
		Var: cfg.DatabaseVar,
		Problem: fmt.Sprintf("names a different database than Django's DATABASES[%q] in %s (Django sees %d applied migrations, %s's database %d): make the settings read %s, or set ZDCD_DATABASE_VAR / ZDCD_DATABASE_ALIAS",
			pl.Alias, pl.Settings, len(django), cfg.DatabaseVar, len(applied), cfg.DatabaseVar),
	}
}

func equalKeys(a, b []plan.MigrationKey) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
