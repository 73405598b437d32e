package cli

import (
	"encoding/json"
	"github.com/zdcd/zdcd/internal/journal"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLintSQLFiles(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"migrations/001_safe.sql":  "SET lock_timeout = '2s';\nALTER TABLE orders ADD COLUMN note text;\n",
		"migrations/002_index.sql": "ALTER TABLE orders ADD COLUMN code text;\n\nCREATE INDEX orders_code_idx ON orders (code);\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := baseEnv(dir, "")
	r := runCLI(t, dir, env, "lint", "--format", "github", "--pg-version", "15", filepath.Join(dir, "migrations", "002_index.sql"))
	if r.code != journal.ExitRefused || !strings.Contains(r.stdout, "::error file=migrations/002_index.sql,line=3,title=index-create-blocking::") {
		t.Errorf("want exit 1 and an annotation at the index build:\n%s", r)
	}
	r = runCLI(t, dir, env, "lint", filepath.Join(dir, "migrations", "001_safe.sql"))
	if r.code != journal.ExitOK {
		t.Errorf("a safe file: want exit 0:\n%s", r)
	}
}

// Without paths, lint judges the Django project's own migrations without a database, each as its
// own release.
func TestLintDjangoProjectOffline(t *testing.T) {
	app := sampleApp(t)
	r := runCLI(t, app, baseEnv(app, ""), "lint", "--format", "json")
	if r.code != journal.ExitRefused {
		t.Fatalf("want exit 1 (the sample app has unsafe migrations):\n%s", r)
	}
	var rep struct {
		Migrations []struct {
			App, Name, File string
			Safe            bool
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not the JSON report: %v\n%s", err, r)
	}
	unsafe := map[string]bool{}
	for _, m := range rep.Migrations {
		if filepath.IsAbs(m.File) || m.App == "auth" || m.App == "contenttypes" {
			t.Errorf("%s.%s (%s) is not the project's own", m.App, m.Name, m.File)
		}
		if !m.Safe {
			unsafe[m.App+"."+m.Name] = true
		}
	}
	if !unsafe["accounts.0004_customer_is_vip"] {
		t.Errorf("want accounts.0004_customer_is_vip unsafe: %v", unsafe)
	}
}
