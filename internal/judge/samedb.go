package judge

import (
	"fmt"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/plan"
)

// SameDatabase checks that Django's settings and the database URL zdcd uses name the same
// database, by comparing the applied migrations both see: zdcd must never judge (or, later,
// back up and restore) one database while Django migrates another.
func SameDatabase(cfg *config.Config, pl *plan.Plan, applied []plan.MigrationKey) error {
	django := pl.Applied
	if plan.SameSet(django, applied) {
		return nil
	}
	return &config.Error{
		Var: cfg.DatabaseVar,
		Problem: fmt.Sprintf("names a different database than Django's DATABASES[%q] in %s (Django sees %d applied migrations, %s's database %d): make the settings read %s, or set ZDCD_DATABASE_VAR / ZDCD_DATABASE_ALIAS",
			pl.Alias, pl.Settings, len(django), cfg.DatabaseVar, len(applied), cfg.DatabaseVar),
	}
}
