package e2e

import (
	"os"
	"path/filepath"
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
	t.Logf("%s", r)
	if r.code != 0 {
		t.Fatalf("release: %s", r)
	}
	r = run(t, dir, env, "release")
	t.Logf("%s", r)
	r = run(t, dir, env, "history")
	t.Logf("%s", r)
}
