package django

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/childenv"
	"github.com/zdcd/zdcd/internal/pgtest"
)

// manage.py bodies for the settings resolution table. Line numbers matter: the errors name them.
const (
	managePySingle = `import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
`
	// The manage.py: prod on Heroku (DYNO is set on every dyno), dev elsewhere.
	managePyIfElse = `import os
import sys


def main():
    if os.environ.get("DYNO"):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings.prod")
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings.dev")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
`
	managePyIfElseSame = `import os
if os.environ.get("DYNO"):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
else:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
`
	managePyAssign = `import os
os.environ["DJANGO_SETTINGS_MODULE"] = "proj.settings.dev"
`
	managePyFString = `import os
stage = os.environ.get("STAGE", "dev")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"proj.settings.{stage}")
`
	managePyNone = `import sys
print(sys.argv)
`
	// Aliases of os.environ, update() and a conditional expression.
	managePyAliases = `from os import environ as env
env.update({"DJANGO_SETTINGS_MODULE": "proj.a"})
env.setdefault("DJANGO_SETTINGS_MODULE", "proj.b" if env.get("X") else "proj.a")
`
)

func TestResolveSettings(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := []struct {
		name     string
		managePy string
		env      string // DJANGO_SETTINGS_MODULE in the environment (a config var)
		command  string // the --settings of the migrate command
		// want is the module and its source; or kind and contain for an error.
		want, source string
		writes       []SettingsWrite
		kind         string
		contain      []string
	}{
		{name: "single setdefault", managePy: managePySingle,
			want: "proj.settings", source: "manage.py",
			writes: []SettingsWrite{{Kind: "setdefault", Line: 6, Value: str("proj.settings"), Conditional: false}}},
		{name: "if/else between two modules is ambiguous", managePy: managePyIfElse,
			kind:    KindAmbiguousSettings,
			contain: []string{"manage.py chooses DJANGO_SETTINGS_MODULE at run time (line 7: proj.settings.prod, line 9: proj.settings.dev): zdcd cannot tell which one migrate will use; set it as a config var: heroku config:set DJANGO_SETTINGS_MODULE=<module>"}},
		{name: "if/else with the same module is fine", managePy: managePyIfElseSame,
			want: "proj.settings", source: "manage.py",
			writes: []SettingsWrite{{Kind: "setdefault", Line: 3, Value: str("proj.settings"), Conditional: true}, {Kind: "setdefault", Line: 5, Value: str("proj.settings"), Conditional: true}}},
		{name: "the environment wins over setdefault", managePy: managePyIfElse, env: "proj.settings.prod",
			want: "proj.settings.prod", source: "environment",
			writes: []SettingsWrite{{Kind: "setdefault", Line: 7, Value: str("proj.settings.prod"), Conditional: true}, {Kind: "setdefault", Line: 9, Value: str("proj.settings.dev"), Conditional: true}}},
		{name: "the environment wins over setdefault even of another module", managePy: managePySingle, env: "proj.settings.prod",
			want: "proj.settings.prod", source: "environment"},
		{name: "an unconditional assignment of another module overrides the environment", managePy: managePyAssign, env: "proj.settings.prod",
			kind:    KindAmbiguousSettings,
			contain: []string{"manage.py overrides DJANGO_SETTINGS_MODULE=proj.settings.prod at run time (line 2: proj.settings.dev)", "os.environ.setdefault", "--settings=<module> in ZDCD_MIGRATE_COMMAND"}},
		{name: "an assignment of the environment's module is fine", managePy: managePyAssign, env: "proj.settings.dev",
			want: "proj.settings.dev", source: "environment"},
		{name: "an assignment alone", managePy: managePyAssign,
			want: "proj.settings.dev", source: "manage.py"},
		{name: "an f-string is ambiguous", managePy: managePyFString,
			kind:    KindAmbiguousSettings,
			contain: []string{`(line 3: f"proj.settings.{stage}" (computed at run time))`, "heroku config:set DJANGO_SETTINGS_MODULE=<module>"}},
		{name: "an f-string does not matter when the environment sets it", managePy: managePyFString, env: "proj.settings.prod",
			want: "proj.settings.prod", source: "environment"},
		{name: "aliases, update and a conditional expression", managePy: managePyAliases,
			kind:    KindAmbiguousSettings,
			contain: []string{"(line 2: proj.a, line 3:", "computed at run time", "and in manage.py with os.environ.setdefault"}},
		{name: "nothing sets it", managePy: managePyNone,
			kind: KindNoSettings, contain: []string{"DJANGO_SETTINGS_MODULE is not set and manage.py does not set it"}},
		{name: "--settings in the migrate command wins over manage.py", managePy: managePyIfElse, command: "proj.settings.prod",
			want: "proj.settings.prod", source: "command"},
		{name: "--settings in the migrate command wins over the environment and an assignment", managePy: managePyAssign, env: "proj.settings.staging", command: "proj.settings.prod",
			want: "proj.settings.prod", source: "command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "manage.py", tt.managePy)
			s := newSource(t, dir, "")
			if tt.env != "" {
				s.Settings = tt.env
			}
			s.CommandSettings = tt.command
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			got, err := s.ResolveSettings(ctx)
			if tt.kind != "" {
				var de *Error
				if !errors.As(err, &de) || de.Kind != tt.kind {
					t.Fatalf("ResolveSettings = %+v, %v; want a %s error", got, err, tt.kind)
				}
				msg := de.Error()
				if strings.Contains(msg, "\n") {
					t.Errorf("error is not one line: %q", msg)
				}
				for _, c := range tt.contain {
					if !strings.Contains(msg, c) {
						t.Errorf("error %q does not contain %q", msg, c)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("ResolveSettings: %v", err)
			}
			if got.Module != tt.want || got.Source != tt.source {
				t.Errorf("ResolveSettings = %s from %s, want %s from %s", got.Module, got.Source, tt.want, tt.source)
			}
			if tt.writes != nil {
				if len(got.Writes) != len(tt.writes) {
					t.Fatalf("writes = %+v, want %+v", got.Writes, tt.writes)
				}
				for i, w := range tt.writes {
					g := got.Writes[i]
					if g.Kind != w.Kind || g.Line != w.Line || g.Conditional != w.Conditional || (g.Value == nil) != (w.Value == nil) || (g.Value != nil && *g.Value != *w.Value) {
						t.Errorf("write %d = %+v, want %+v", i, g, w)
					}
				}
			}
		})
	}
}

// addProdOnlyApp turns the sample project into one whose manage.py picks prod or dev settings
// with if/else, and whose prod settings add an app with one migration.
func addProdOnlyApp(t testing.TB, dir string) {
	t.Helper()
	replaceInFile(t, dir, "manage.py", `    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sampleproject.settings")`,
		`    if os.environ.get("DYNO"):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sampleproject.settings_prod")
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sampleproject.settings")`)
	writeFile(t, dir, "sampleproject/settings_prod.py", "from .settings import *  # noqa\n\nINSTALLED_APPS = INSTALLED_APPS + [\"prodonly\"]\n")
	writeFile(t, dir, "prodonly/__init__.py", "")
	writeFile(t, dir, "prodonly/models.py", `from django.db import models


class Flag(models.Model):
    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=20)
`)
	writeFile(t, dir, "prodonly/migrations/__init__.py", "")
	writeFile(t, dir, "prodonly/migrations/0001_initial.py", `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Flag",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=20)),
            ],
        ),
    ]
`)
}

// The plan is made with the module migrate will use, on the real sample project and database.
func TestPlanSettingsModule(t *testing.T) {
	dir := copySample(t)
	addProdOnlyApp(t, dir)
	db := pgtest.NewDatabase(t)
	prodOnly := func(t *testing.T, s *Source) bool {
		p := mustPlan(t, s)
		if p.Settings != "sampleproject.settings_prod" {
			t.Errorf("plan settings = %q, want sampleproject.settings_prod", p.Settings)
		}
		return indexOf(p, "prodonly", "0001_initial") >= 0
	}

	t.Run("ambiguous manage.py is an error", func(t *testing.T) {
		s := newSource(t, dir, db)
		_, err := s.Plan(context.Background())
		var de *Error
		if !errors.As(err, &de) || de.Kind != KindAmbiguousSettings {
			t.Fatalf("Plan error = %v, want %s", err, KindAmbiguousSettings)
		}
		if de.File != "manage.py" || de.Line == 0 {
			t.Errorf("error at %s:%d, want manage.py and a line", de.File, de.Line)
		}
	})
	t.Run("DJANGO_SETTINGS_MODULE in the environment", func(t *testing.T) {
		s := newSource(t, dir, db)
		s.Settings = "sampleproject.settings_prod"
		if !prodOnly(t, s) {
			t.Error("the prod-only migration is not in the plan")
		}
	})
	t.Run("DYNO does not decide for zdcd", func(t *testing.T) {
		// On Heroku DYNO is set: manage.py would pick prod, but zdcd does not run manage.py's
		// logic and must not guess.
		s := newSource(t, dir, db)
		s.Env = childenv.Set(s.Env, "DYNO", "release.1")
		if _, err := s.Plan(context.Background()); !isKind(err, KindAmbiguousSettings) {
			t.Fatalf("Plan error = %v, want %s", err, KindAmbiguousSettings)
		}
	})
	t.Run("--settings of the migrate command over a different environment", func(t *testing.T) {
		s := newSource(t, dir, db)
		s.Settings = "sampleproject.settings"
		s.CommandSettings = "sampleproject.settings_prod"
		if !prodOnly(t, s) {
			t.Error("the prod-only migration is not in the plan")
		}
	})
	t.Run("the same as migrate --settings", func(t *testing.T) {
		// Django's own answer: showmigrations with the same --settings lists the app.
		out := manage(t, dir, db, "showmigrations", "--settings=sampleproject.settings_prod", "prodonly")
		if !strings.Contains(out, "[ ] 0001_initial") {
			t.Errorf("showmigrations --settings: %s", out)
		}
	})
}

func isKind(err error, kind string) bool {
	var de *Error
	return errors.As(err, &de) && de.Kind == kind
}
