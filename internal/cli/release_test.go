package cli

import (
	"context"
	"github.com/zdcd/zdcd/internal/journal"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// A release of the sample app's pending migrations, some unsafe and none approved, is refused
// (exit 1) before any backup or migration; the ledger records the refusal.
func TestReleaseRefused(t *testing.T) {
	app := sampleApp(t)
	dbURL := sampleDatabase(t, app)
	before := appliedCount(t, dbURL)
	env := append(baseEnv(app, dbURL), "ZDCD_BACKUP_DIR="+t.TempDir())

	r := runCLI(t, app, env, "release")
	if r.code != journal.ExitRefused {
		t.Fatalf("want exit 1 (refused):\n%s", r)
	}
	for _, want := range []string{
		"-----> Django settings: sampleproject.settings (from manage.py)\n",
		"Verdict: UNSAFE, release refused",
		"Refused: ",
		"Nothing was changed: the database is untouched and the old release keeps running.",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("release does not say %q:\n%s", want, r)
		}
	}
	if strings.Contains(r.stdout, "Backing up") || strings.Contains(r.stdout, "Migrating") {
		t.Errorf("a refused release backed up or migrated:\n%s", r)
	}
	if got := appliedCount(t, dbURL); got != before {
		t.Errorf("applied migrations: %d, want %d as before", got, before)
	}

	h := runCLI(t, app, env, "history")
	if h.code != journal.ExitOK || !strings.Contains(h.stdout, "refused") {
		t.Errorf("history does not show the refused run:\n%s", h)
	}
}

// A settings module zdcd cannot tell (manage.py chooses with if/else) refuses the release before
// the ledger: exit 2, nothing recorded.
func TestReleaseAmbiguousSettingsModule(t *testing.T) {
	app := sampleApp(t)
	dbURL := sampleDatabase(t, app)
	manage := filepath.Join(app, "manage.py")
	src, err := os.ReadFile(manage)
	if err != nil {
		t.Fatal(err)
	}
	ambiguous := strings.Replace(string(src), `    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sampleproject.settings")`,
		`    if os.environ.get("DYNO"):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sampleproject.settings_prod")
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sampleproject.settings")`, 1)
	if err := os.WriteFile(manage, []byte(ambiguous), 0o644); err != nil {
		t.Fatal(err)
	}
	env := baseEnv(app, dbURL)
	r := runCLI(t, app, env, "release")
	if r.code != journal.ExitUsage || r.stdout != "" || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "DJANGO_SETTINGS_MODULE") {
		t.Fatalf("want exit 2, nothing on stdout, one line naming DJANGO_SETTINGS_MODULE:\n%s", r)
	}
	h := runCLI(t, app, env, "history")
	if h.code != journal.ExitOK || !strings.Contains(h.stdout, "No runs recorded") {
		t.Errorf("the ledger records a run that was refused before it:\n%s", h)
	}
}

func appliedCount(t *testing.T, dbURL string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM django_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
