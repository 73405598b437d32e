package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/pgtest"
)

// settingsAmbiguity is the one line for the sample's manage.py made by prodDevApp.
const settingsAmbiguity = "zdcd-release: manage.py chooses DJANGO_SETTINGS_MODULE at run time (line 10: sampleproject.settings_prod, line 12: sampleproject.settings): zdcd cannot tell which one migrate will use; set it as a config var: heroku config:set DJANGO_SETTINGS_MODULE=<module>"

// prodDevApp is the sample project at its baseline, whose manage.py picks its settings with
// if/else — prod on a Heroku dyno (DYNO is set), dev elsewhere — and whose prod settings add an
// app, prodonly, with one migration that the dev settings do not know.
func prodDevApp(t testing.TB) string {
	t.Helper()
	dir := sampleVersion(t) // the baseline: nothing pending
	edit := func(rel, old, new string) {
		p := filepath.Join(dir, rel)
		b, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(b), old) {
			t.Fatalf("%s: %v, or no %q in it", rel, err, old)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit("manage.py", `    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sampleproject.settings")`,
		`    if os.environ.get("DYNO"):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sampleproject.settings_prod")
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sampleproject.settings")`)
	write("sampleproject/settings_prod.py", "from .settings import *  # noqa\n\nINSTALLED_APPS = INSTALLED_APPS + [\"prodonly\"]\n")
	write("prodonly/__init__.py", "")
	write("prodonly/models.py", "from django.db import models\n\n\nclass Flag(models.Model):\n    id = models.BigAutoField(primary_key=True)\n    name = models.CharField(max_length=20)\n")
	write("prodonly/migrations/__init__.py", "")
	write("prodonly/migrations/0001_initial.py", `from django.db import migrations, models


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
	return dir
}

// A manage.py that picks its settings module with if/else: zdcd cannot tell which one migrate
// will use, so check, release, lint and nightly stop at once with exit 2 and one line, and
// nothing is changed — no ledger, no backup, no migration (before, release planned with the
// first setdefault, missed the prod-only migration and said "No migrations to apply.").
// Once DJANGO_SETTINGS_MODULE is a config var (or the migrate command says --settings), the plan
// is the prod settings' plan, and the release applies exactly that.
func TestSettingsModuleChosenAtRunTime(t *testing.T) {
	dir := prodDevApp(t)
	dbURL := pgtest.NewDatabase(t)
	migrateBaseline(t, dir, dbURL) // with the dev settings, as a developer would
	before := snapshot(t, dbURL)
	backups := t.TempDir()
	const prodSettings = "DJANGO_SETTINGS_MODULE=sampleproject.settings_prod"
	heroku := []string{"HEROKU_API_KEY=settings-test-key", "HEROKU_APP_NAME=zdcd-settings", "ZDCD_PLATFORM_API_URL=http://127.0.0.1:1", "ZDCD_DATA_API_URL=http://127.0.0.1:1"}

	for _, tt := range []struct {
		name string
		env  []string
		args []string
	}{
		{"check", baseEnv(dbURL), []string{"check"}},
		{"check json", baseEnv(dbURL), []string{"check", "--format", "json"}},
		// On a dyno DYNO is set, and manage.py would pick prod: zdcd does not run manage.py's
		// logic, it reads it, and does not guess.
		{"check on a dyno", append(baseEnv(dbURL), "DYNO=run.1"), []string{"check"}},
		{"lint", baseEnv(""), []string{"lint"}},
		{"release", releaseEnv(dbURL, backups, "DYNO=release.1"), []string{"release"}},
		// With the Heroku APIs configured (and unreachable): the error comes before any call.
		{"release on Heroku", append(releaseEnv(dbURL, backups, "DYNO=release.1"), heroku...), []string{"release"}},
		{"nightly", append(baseEnv(dbURL), heroku...), []string{"nightly"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, dir, tt.env, tt.args...)
			if r.code != 2 || r.stdout != "" || strings.TrimSpace(r.stderr) != settingsAmbiguity {
				t.Fatalf("want exit 2, no stdout and the one line\n%s\ngot %s", settingsAmbiguity, r)
			}
			if after := snapshot(t, dbURL); after != before {
				t.Errorf("the database changed (ledger, migration):\nbefore %s\nafter  %s", before, after)
			}
			if entries, err := os.ReadDir(backups); err != nil || len(entries) != 0 {
				t.Errorf("backup directory: %v %v, want empty", entries, err)
			}
		})
	}

	var ledger bool
	conn := connect(t, dbURL)
	if err := conn.QueryRow(context.Background(), "SELECT to_regnamespace('zdcd_ledger') IS NOT NULL OR to_regclass('prodonly_flag') IS NOT NULL").Scan(&ledger); err != nil || ledger {
		t.Fatalf("the ledger or the prod-only table exists (%v)", err)
	}

	// The config var names the module: the plan is prod's, and says so.
	r := run(t, dir, append(baseEnv(dbURL), prodSettings), "check")
	if r.code != 0 || !strings.Contains(r.stdout, "prodonly.0001_initial") ||
		!strings.HasPrefix(r.stdout, "Django settings: sampleproject.settings_prod (from DJANGO_SETTINGS_MODULE in the environment)\n") {
		t.Fatalf("check with %s: want exit 0, the settings line and prodonly.0001_initial:\n%s", prodSettings, r)
	}
	// So does --settings in the migrate command, over a config var naming another module, as
	// Django's handle_default_options does.
	r = run(t, dir, append(baseEnv(dbURL), "DJANGO_SETTINGS_MODULE=sampleproject.settings", "ZDCD_MIGRATE_COMMAND=python manage.py migrate --noinput --settings=sampleproject.settings_prod"), "check")
	if r.code != 0 || !strings.Contains(r.stdout, "prodonly.0001_initial") ||
		!strings.HasPrefix(r.stdout, "Django settings: sampleproject.settings_prod (from the --settings of ZDCD_MIGRATE_COMMAND)\n") {
		t.Fatalf("check with --settings in the migrate command: want exit 0 and prodonly.0001_initial:\n%s", r)
	}
	// And the release with the config var applies it: the plan was migrate's.
	r = run(t, dir, releaseEnv(dbURL, backups, prodSettings, "DYNO=release.1"), "release")
	if r.code != 0 || !strings.Contains(r.stdout, "-----> Django settings: sampleproject.settings_prod (from DJANGO_SETTINGS_MODULE in the environment)") {
		t.Fatalf("release with %s: want exit 0 and the settings line:\n%s", prodSettings, r)
	}
	applied := appliedSet(t, conn)
	if !slices.Contains(applied, "prodonly.0001_initial") {
		t.Errorf("prodonly.0001_initial not applied: %v", applied)
	}
}
