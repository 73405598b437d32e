package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/pgtest"
)

// sampleWithout copies the sample project without the named migration files ("shop/0004"):
// a version of the app whose pending work is what remains.
func sampleWithout(t testing.TB, drop ...string) string {
	t.Helper()
	dir := copySampleApp(t)
	for _, d := range drop {
		matches, _ := filepath.Glob(filepath.Join(dir, filepath.Dir(d), "migrations", filepath.Base(d)+"_*.py"))
		if len(matches) != 1 {
			t.Fatalf("sampleWithout %s: %d files match", d, len(matches))
		}
		if err := os.Remove(matches[0]); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReleaseSafePlanLocal(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	dir := sampleWithout(t, "accounts/0004", "accounts/0005", "shop/0004", "shop/0005", "shop/0006", "shop/0007", "shop/0008",
		"shop/0009", "shop/0010", "shop/0011", "shop/0012", "blog/0002", "blog/0003", "blog/0004", "blog/0005")
	migrateBaseline(t, dir, dbURL)
	env := append(baseEnv(dbURL), "ZDCD_BACKUP_DIR="+t.TempDir())
	r := run(t, dir, env, "release")
	if r.code != 0 || !strings.Contains(r.stdout, "Applying accounts.0003_customer_phone_ordering") || !strings.Contains(r.stdout, "Applied 1 migration(s)") {
		t.Fatalf("release: %s", r)
	}
	assertNoSecret(t, r, password(t, dbURL))
	r = run(t, dir, env, "release")
	if r.code != 0 || !strings.Contains(r.stdout, "No migrations to apply.") {
		t.Fatalf("second release: %s", r)
	}
}

// The first deploy to an empty database applies everything, Django's own RunPython migrations
// and the sample app's unsafe ones included: no release serves from that database, so nothing
// can break. The ledger records the verdict "initial".
func TestReleaseFirstDeploy(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	dir := copySampleApp(t)
	env := append(baseEnv(dbURL), "ZDCD_BACKUP_DIR="+t.TempDir())
	r := run(t, dir, env, "release")
	if r.code != 0 || !strings.Contains(r.stdout, "allowed: first deploy to an empty database") || !strings.Contains(r.stdout, "First deploy:") {
		t.Fatalf("first deploy: %s", r)
	}
	if got := pendingPlan(t, dir, dbURL); len(got) != 0 {
		t.Errorf("still pending after the first deploy: %v", got)
	}
	h := run(t, dir, env, "history", "--format", "json")
	if h.code != 0 || !strings.Contains(h.stdout, `"verdict": "initial"`) || !strings.Contains(h.stdout, `"outcome": "applied"`) {
		t.Errorf("history: %s", h)
	}
	// From now on the database has applied migrations: the same unsafe work would be refused.
	assertNoSecret(t, r, password(t, dbURL))
}
