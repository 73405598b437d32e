package judge

import (
	"context"
	"errors"

	"github.com/zdcd/zdcd/internal/childenv"
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/django"
	"github.com/zdcd/zdcd/internal/plan"
)

// The Django settings module: zdcd plans with the module the migrate command will use
// (docs/configuration.md, DJANGO_SETTINGS_MODULE). From strongest to weakest: the --settings of
// ZDCD_MIGRATE_COMMAND (Django applies it over everything), a leading `env
// DJANGO_SETTINGS_MODULE=…` of that command, DJANGO_SETTINGS_MODULE in the environment (a Heroku
// config var), manage.py's own choice. The helper reads manage.py and refuses (exit 2) what it
// cannot tell statically: an if/else between modules, a computed value, an assignment over the
// config var.

// Source is the django.Source of the project the configuration describes, with the settings
// module the migrate command will use, running in env.
func (j *Judge) Source(env []string) *django.Source {
	cfg := j.Config
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
		Stderr:          j.Stderr,
	}
}

// SettingsOrigin says where the settings module of a plan made by Source came from.
func (j *Judge) SettingsOrigin() string {
	ms := config.CommandSettings(j.Config.MigrateCommand)
	switch {
	case ms.Option != "":
		return "the --settings of ZDCD_MIGRATE_COMMAND"
	case ms.Env != "":
		return "the env of ZDCD_MIGRATE_COMMAND"
	case j.Config.DjangoSettings != "":
		return "DJANGO_SETTINGS_MODULE in the environment"
	}
	return "manage.py"
}

// ResolveSettings resolves the settings module before a flow touches anything (the ledger, a
// backup, maintenance mode): a project whose settings module zdcd cannot tell, or cannot find,
// is exit 2 with nothing changed, not a failed run in the ledger. It starts Python once, reads
// manage.py with ast and imports nothing of the project. It returns the module ("" on error).
func (j *Judge) ResolveSettings(ctx context.Context) (string, error) {
	st, err := j.Source(j.Env).ResolveSettings(ctx)
	if err != nil {
		return "", err
	}
	return st.Module, nil
}

// IsAmbiguousSettings tells whether err is the helper's ambiguity about the settings module.
func IsAmbiguousSettings(err error) bool {
	var de *django.Error
	return errors.As(err, &de) && de.Kind == django.KindAmbiguousSettings
}

// offlinePlaceholderURL stands in for the database URL when the plan is made without one:
// settings that read DATABASE_URL (dj-database-url, django-environ) still load, and the helper
// never connects.
const offlinePlaceholderURL = "postgres://zdcd-lint@127.0.0.1:1/zdcd-lint"

// OfflinePlan renders every migration of the project without a database (`lint`).
func (j *Judge) OfflinePlan(ctx context.Context) (*plan.Plan, error) {
	env := append([]string(nil), j.Env...)
	if childenv.Value(env, j.Config.DatabaseVar) == "" {
		env = append(env, j.Config.DatabaseVar+"="+offlinePlaceholderURL)
	}
	src := j.Source(env)
	src.Offline = true
	return src.Plan(ctx)
}
