package cli

import (
	"context"

	"github.com/zdcd/zdcd/internal/childenv"
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/plan"
)

// offlinePlaceholderURL stands in for the database URL when lint runs without one: settings that
// read DATABASE_URL (dj-database-url, django-environ) still load, and the helper never connects.
const offlinePlaceholderURL = "postgres://zdcd-lint@127.0.0.1:1/zdcd-lint"

// offlineDjangoPlan renders every migration of the project without a database.
func offlineDjangoPlan(ctx context.Context, cfg *config.Config, io IO) (*plan.Plan, error) {
	env := append([]string(nil), io.Environ...)
	if childenv.Value(env, cfg.DatabaseVar) == "" {
		env = append(env, cfg.DatabaseVar+"="+offlinePlaceholderURL)
	}
	src := djangoSource(cfg, io, env)
	src.Offline = true
	return src.Plan(ctx)
}
