package herokufake_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/testenv"
)

// The sample Django app deployed as a slug whose release command runs its migrations against
// the attached database, as Heroku's release phase would.
func TestDeploySampleAppRunsMigrations(t *testing.T) {
	e := start(t)
	db := pgtest.NewDatabase(t)
	if _, err := e.fake.AddPostgres("myapp", db); err != nil {
		t.Fatal(err)
	}
	_, file, _, _ := runtime.Caller(0)
	sample := filepath.Join(filepath.Dir(file), "..", "..", "test", "sampleapp")
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(sample)); err != nil {
		t.Fatal(err)
	}
	procfile := "release: " + testenv.Python() + " manage.py migrate --noinput\nweb: gunicorn sampleproject.wsgi\n"
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(procfile), 0o644); err != nil {
		t.Fatal(err)
	}
	dep, err := e.fake.Deploy("myapp", dir)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := e.fake.WaitRelease("myapp", dep.ID, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if rel.Status != "succeeded" || !rel.Current {
		t.Fatalf("release v%d %s:\n%s", rel.Version, rel.Status, rel.Output)
	}
	if !strings.Contains(rel.Output, "Applying shop.") {
		t.Errorf("output = %q", rel.Output)
	}
	if n := count(t, db, "SELECT count(*) FROM django_migrations WHERE app = 'shop'"); n == 0 {
		t.Errorf("no shop migration recorded")
	}
}
