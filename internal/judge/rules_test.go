package judge

import (
	"errors"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestContextRefusesUnknownRules(t *testing.T) {
	tests := []struct {
		name    string
		cfg     func(*config.Config)
		wantVar string // "" when valid
	}{
		{"none", func(*config.Config) {}, ""},
		{"known rule approved", func(c *config.Config) {
			c.Allow = []config.Allow{{App: "shop", Migration: "0002_x", Rule: "add-required-column"}}
		}, ""},
		{"whole migration approved", func(c *config.Config) { c.Allow = []config.Allow{{App: "shop", Migration: "0002_x"}} }, ""},
		{"unknown rule approved", func(c *config.Config) {
			c.Allow = []config.Allow{{App: "shop", Migration: "0002_x", Rule: "add-required-colum"}}
		}, "ZDCD_ALLOW"},
		{"unknown rule enabled", func(c *config.Config) { c.EnableRules = []string{"no-such-rule"} }, "ZDCD_ENABLE_RULES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Defaults()
			tt.cfg(cfg)
			ctx, all, err := Context(&plan.Plan{}, cfg, 150000, nil)
			var ce *config.Error
			switch {
			case tt.wantVar == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantVar == "":
				if len(all) == 0 || ctx.ServerVersion != 150000 || !ctx.KnownRule("add-required-column") || len(ctx.Allow) != len(cfg.Allow) {
					t.Errorf("context %+v with %d rules", ctx, len(all))
				}
			case !errors.As(err, &ce) || ce.Var != tt.wantVar:
				t.Errorf("want a configuration error of %s, got %v", tt.wantVar, err)
			}
		})
	}
}

func TestSameDatabase(t *testing.T) {
	cfg := config.Defaults()
	a := plan.MigrationKey{App: "shop", Name: "0001_initial"}
	b := plan.MigrationKey{App: "shop", Name: "0002_order"}
	pl := &plan.Plan{Alias: "default", Settings: "shop.settings", Applied: []plan.MigrationKey{a, b}}
	if err := SameDatabase(cfg, pl, []plan.MigrationKey{a, b}); err != nil {
		t.Fatalf("the same applied set: %v", err)
	}
	err := SameDatabase(cfg, pl, []plan.MigrationKey{a})
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Var != "DATABASE_URL" || !strings.Contains(err.Error(), `DATABASES["default"] in shop.settings (Django sees 2 applied migrations, DATABASE_URL's database 1)`) {
		t.Fatalf("want DATABASE_URL named as a different database: %v", err)
	}
}

func TestSettingsOrigin(t *testing.T) {
	tests := []struct {
		migrate, env, want string
	}{
		{"", "", "manage.py"},
		{"", "shop.settings", "DJANGO_SETTINGS_MODULE in the environment"},
		{"env DJANGO_SETTINGS_MODULE=shop.prod python manage.py migrate", "shop.settings", "the env of ZDCD_MIGRATE_COMMAND"},
		{"python manage.py migrate --settings=shop.prod", "shop.settings", "the --settings of ZDCD_MIGRATE_COMMAND"},
	}
	for _, tt := range tests {
		cfg := config.Defaults()
		cfg.MigrateCommand, cfg.DjangoSettings = tt.migrate, tt.env
		j := &Judge{Config: cfg}
		if got := j.SettingsOrigin(); got != tt.want {
			t.Errorf("command %q, DJANGO_SETTINGS_MODULE %q: origin %q, want %q", tt.migrate, tt.env, got, tt.want)
		}
		if tt.migrate != "" && strings.Contains(tt.migrate, "shop.prod") && j.Source(nil).Settings == "" && j.Source(nil).CommandSettings == "" {
			t.Errorf("command %q: the source does not carry its settings module", tt.migrate)
		}
	}
}
