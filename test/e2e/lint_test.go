package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// lintEnv is an environment without any database.
func lintEnv() []string { return baseEnv("") }

func findingsByMigration(rep jsonReport) map[string][]string {
	out := map[string][]string{}
	for _, m := range rep.Migrations {
		key := m.App + "." + m.Name
		out[key] = []string{}
		for _, f := range m.Findings {
			if f.Severity == "unsafe" {
				out[key] = append(out[key], f.Rule+"@"+itoa(f.Line))
			}
		}
	}
	return out
}

func itoa(i int) string { return fmt.Sprintf("%03d", i) }

func TestLintSQLFiles(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"migrations/001_safe.sql":  "-- A nullable column: metadata only, and a bounded wait for its lock.\nSET lock_timeout = '2s';\nALTER TABLE orders ADD COLUMN note text;\n",
		"migrations/002_index.sql": "ALTER TABLE orders ADD COLUMN code text;\n\nCREATE INDEX orders_code_idx ON orders (code);\n",
		"migrations/003_cic.sql":   "-- zdcd:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_note_idx ON orders (note);\n",
	})
	r := run(t, dir, lintEnv(), "lint", "--format", "json", "--pg-version", "15", "migrations")
	if r.code != 1 {
		t.Fatalf("want exit 1 (an unsafe index build):\n%s", r)
	}
	rep := decodeReport(t, r)
	got := findingsByMigration(rep)
	if len(got["migrations.001_safe"]) != 0 || len(got["migrations.003_cic"]) != 0 {
		t.Errorf("safe files judged unsafe: %v", got)
	}
	for _, want := range []string{"index-create-blocking@003", "missing-lock-timeout@001"} {
		if !strings.Contains(strings.Join(got["migrations.002_index"], " "), want) {
			t.Errorf("002_index: want %s, got %v", want, got["migrations.002_index"])
		}
	}
	if rep.ServerVersion != 150000 || rep.Migrations[0].File != filepath.Join("migrations", "001_safe.sql") {
		t.Errorf("server_version %d, file %q", rep.ServerVersion, rep.Migrations[0].File)
	}

	r = run(t, dir, lintEnv(), "lint", "--format", "github", "migrations/002_index.sql")
	if r.code != 1 || !strings.Contains(r.stdout, "::error file=migrations/002_index.sql,line=3,title=index-create-blocking::") {
		t.Errorf("github annotation must point at the statement's line:\n%s", r)
	}

	r = run(t, dir, lintEnv(), "lint", "migrations/001_safe.sql", "migrations/003_cic.sql")
	if r.code != 0 {
		t.Errorf("safe files: want exit 0:\n%s", r)
	}
}

// The sample app's migrations, without any database: no DATABASE_URL, nothing listening.
func TestLintDjangoWithoutDatabase(t *testing.T) {
	app := sampleApp(t)
	r := run(t, app, lintEnv(), "lint", "--format", "json", "--pg-version", "15.4")
	if r.code != 1 {
		t.Fatalf("want exit 1:\n%s", r)
	}
	rep := decodeReport(t, r)
	if rep.ServerVersion != 150004 {
		t.Errorf("server_version = %d", rep.ServerVersion)
	}
	got := findingsByMigration(rep)
	for _, name := range []string{"accounts.0001_initial", "accounts.0003_customer_phone_ordering", "shop.0012_order_total", "blog.0005_alter_post_title_length"} {
		if _, ok := got[name]; !ok {
			t.Errorf("%s not linted; got %v", name, got)
		}
	}
	for key := range got {
		if strings.HasPrefix(key, "auth.") || strings.HasPrefix(key, "contenttypes.") {
			t.Errorf("lint must judge the project's own migrations only, got %s", key)
		}
	}
	if len(got["accounts.0003_customer_phone_ordering"]) != 0 {
		t.Errorf("accounts 0003 (AlterModelOptions + nullable AddField) is safe: %v", got["accounts.0003_customer_phone_ordering"])
	}
	for _, m := range rep.Migrations {
		for _, f := range m.Findings {
			if f.Rule == "sql-not-rendered" || f.Rule == "sql-unparseable" || f.Rule == "rule-crashed" {
				t.Errorf("%s.%s: %s: %s", m.App, m.Name, f.Rule, f.Message)
			}
		}
	}
}

// --since REF lints only the migrations changed since REF, judged as one release.
func TestLintSince(t *testing.T) {
	repo := copySampleApp(t)
	gitIn := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitIn("init", "-q", "-b", "main")
	gitIn("add", "-A")
	gitIn("commit", "-qm", "baseline")
	writeFiles(t, repo, map[string]string{"blog/migrations/0006_post_summary.py": `from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("blog", "0005_alter_post_title_length")]
    operations = [
        migrations.AddField(model_name="post", name="summary", field=models.TextField(null=True)),
    ]
`})
	r := run(t, repo, lintEnv(), "lint", "--format", "json", "--since", "main")
	rep := decodeReport(t, r)
	if r.code != 0 || len(rep.Migrations) != 1 || rep.Migrations[0].Name != "0006_post_summary" {
		t.Fatalf("want only the new, safe migration and exit 0:\n%s", r)
	}
	r = run(t, repo, lintEnv(), "lint", "--since", "no-such-ref")
	if r.code != 2 || !strings.Contains(r.stderr, `--since "no-such-ref"`) {
		t.Errorf("want exit 2 naming the ref:\n%s", r)
	}
}

func TestLintBadInput(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"notes.txt": "hello"})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing path", []string{"nope"}, "nope: no such file or directory"},
		{"not sql", []string{"notes.txt"}, "notes.txt: not a .sql file"},
		{"directory without sql", []string{"."}, ".: holds no .sql files"},
		{"bad --pg-version", []string{"--pg-version", "fifteen", "notes.txt"}, `--pg-version "fifteen"`},
		{"bad --format", []string{"--format", "xml", "notes.txt"}, `unknown --format "xml"`},
		{"no manage.py", nil, "no manage.py in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, dir, lintEnv(), append([]string{"lint"}, tt.args...)...)
			if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, tt.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Errorf("want exit 2 and one line containing %q:\n%s", tt.want, r)
			}
		})
	}
}

// Opt-in rules run only when ZDCD_ENABLE_RULES names them; an unknown name is a usage error.
func TestLintOptInRules(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"m/001.sql": "SET lock_timeout = '2s';\nALTER TABLE orders ADD COLUMN note text;\n"})
	r := run(t, dir, lintEnv(), "lint", "--format", "json", "m")
	if r.code != 0 || strings.Contains(r.stdout, "require-table-schema") {
		t.Fatalf("off by default:\n%s", r)
	}
	r = run(t, dir, append(lintEnv(), "ZDCD_ENABLE_RULES=require-table-schema"), "lint", "--format", "json", "m")
	if r.code != 0 || !strings.Contains(r.stdout, `"rule": "require-table-schema"`) {
		t.Fatalf("enabled, a warning (exit 0):\n%s", r)
	}
	r = run(t, dir, append(lintEnv(), "ZDCD_ENABLE_RULES=require-table-schma"), "lint", "m")
	if r.code != 2 || !strings.Contains(r.stderr, `ZDCD_ENABLE_RULES names an unknown rule "require-table-schma"`) {
		t.Fatalf("unknown rule: want exit 2:\n%s", r)
	}
}
