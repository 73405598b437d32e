package cli

import (
	"context"
	"errors"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/django"
)

// The Django settings module: zdcd plans with the module the migrate command will use
// (docs/configuration.md, DJANGO_SETTINGS_MODULE). From strongest to weakest: the --settings of
// ZDCD_MIGRATE_COMMAND (Django applies it over everything), a leading `env
// DJANGO_SETTINGS_MODULE=…` of that command, DJANGO_SETTINGS_MODULE in the environment (a Heroku
// config var), manage.py's own choice. The helper reads manage.py and refuses (exit 2) what it
// cannot tell statically: an if/else between modules, a computed value, an assignment over the
// config var.

// djangoSource is the django.Source of the project cfg describes, with the settings module the
// migrate command will use.
func djangoSource(cfg *config.Config, io IO, env []string) *django.Source {
	ms := config.CommandSettings(cfg.MigrateCommand)
	settings := cfg.DjangoSettings
	if ms.Env != "" {
		settings = ms.Env
	}
	return &django.Source{
		ProjectDir:      cfg.ProjectDir,
		Python:          cfg.Python,
		Settings:        settings,
		CommandSettings: ms.Option,
		Alias:           cfg.DatabaseAlias,
		Env:             env,
		Stderr:          io.Err,
	}
}

// settingsOrigin says where the settings module of a plan made by djangoSource(cfg) came from.
func settingsOrigin(cfg *config.Config) string {
	ms := config.CommandSettings(cfg.MigrateCommand)
	switch {
	case ms.Option != "":
		return "the --settings of ZDCD_MIGRATE_COMMAND"
	case ms.Env != "":
		return "the env of ZDCD_MIGRATE_COMMAND"
	case cfg.DjangoSettings != "":
		return "DJANGO_SETTINGS_MODULE in the environment"
	}
	return "manage.py"
}

// settingsLine is the line that tells which settings module the plan used.
func settingsLine(cfg *config.Config, module string) string {
	return "Django settings: " + module + " (from " + settingsOrigin(cfg) + ")"
}

// preflightSettings resolves the settings module before a flow touches anything (the ledger, a
// backup, maintenance mode): a project whose settings module zdcd cannot tell, or cannot find,
// is exit 2 with nothing changed, not a failed run in the ledger. It starts Python once, reads
// manage.py with ast and imports nothing of the project. It returns the module ("" on error).
func preflightSettings(ctx context.Context, cfg *config.Config, io IO) (string, error) {
	st, err := djangoSource(cfg, io, io.Environ).ResolveSettings(ctx)
	if err != nil {
		return "", err
	}
	return st.Module, nil
}

// isAmbiguousSettings tells whether err is the helper's ambiguity about the settings module.
func isAmbiguousSettings(err error) bool {
	var de *django.Error
	return errors.As(err, &de) && de.Kind == django.KindAmbiguousSettings
}
