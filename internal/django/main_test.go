package django

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/plan"
	"github.com/zdcd/zdcd/internal/testenv"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// sampleApp is the sample Django project of the repository.
const sampleApp = "../../test/sampleapp"

// testPython is the interpreter with Django: $ZDCD_PYTHON, else Debian's /usr/bin/python3 (the
// python3 first on PATH may be one without Django, so PATH is never trusted here).
func testPython() string { return testenv.Python() }

// baseEnv is a small, fixed environment for the helper and manage.py: no inherited settings.
func baseEnv(dbURL string) []string {
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=C.UTF-8",
		"PYTHONDONTWRITEBYTECODE=1",
	}
	if dbURL != "" {
		env = append(env, "DATABASE_URL="+dbURL)
	}
	return env
}

// copySample copies the sample project into a temporary directory, so that tests can change it
// and Python writes nothing into the repository.
func copySample(t testing.TB) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "project")
	err := filepath.WalkDir(sampleApp, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(sampleApp, path)
		if d.IsDir() && d.Name() == "__pycache__" {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copy sample project: %v", err)
	}
	return dst
}

// writeFile writes a file of the project copy.
func writeFile(t testing.TB, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// testWriter sends the helper's stderr to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("helper stderr: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func newSource(t testing.TB, dir, dbURL string) *Source {
	return &Source{
		ProjectDir: dir,
		Python:     testPython(),
		Env:        baseEnv(dbURL),
		Stderr:     testWriter{t},
		strict:     true,
	}
}

func mustPlan(t testing.TB, s *Source) *plan.Plan {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := s.Plan(ctx)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	return p
}

// manage runs `python manage.py args...` in dir against dbURL and returns its stdout.
func manage(t testing.TB, dir, dbURL string, args ...string) string {
	t.Helper()
	out, stderr, err := manageErr(dir, dbURL, args...)
	if err != nil {
		t.Fatalf("manage.py %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

func manageErr(dir, dbURL string, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, testPython(), append([]string{"manage.py"}, args...)...)
	cmd.Dir = dir
	cmd.Env = baseEnv(dbURL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// baseline migrates the "already deployed" part of the sample project (test/sampleapp/README.md).
func baseline(t testing.TB, dir, dbURL string) {
	t.Helper()
	for _, target := range testenv.SampleBaseline {
		manage(t, dir, dbURL, append([]string{"migrate", "--noinput"}, target...)...)
	}
}

var showPlanLine = regexp.MustCompile(`^\[( |X)\]\s+(\S+)\.(\S+)$`)

// showPlan parses `manage.py showmigrations --plan`: every migration in order, and which are
// pending.
func showPlan(t testing.TB, dir, dbURL string) (all, pending []plan.MigrationKey) {
	t.Helper()
	out := manage(t, dir, dbURL, "showmigrations", "--plan")
	for _, line := range strings.Split(out, "\n") {
		m := showPlanLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		k := plan.MigrationKey{App: m[2], Name: m[3]}
		all = append(all, k)
		if m[1] == " " {
			pending = append(pending, k)
		}
	}
	if len(all) == 0 {
		t.Fatalf("showmigrations --plan printed no migrations:\n%s", out)
	}
	return all, pending
}

func keys(p *plan.Plan) []plan.MigrationKey {
	var ks []plan.MigrationKey
	for _, m := range p.Migrations {
		ks = append(ks, m.Key())
	}
	return ks
}

func keyStrings(ks []plan.MigrationKey) []string {
	var s []string
	for _, k := range ks {
		s = append(s, k.String())
	}
	return s
}

// djangoMigrations reads django_migrations, sorted (nil when the table does not exist).
func djangoMigrations(t testing.TB, dbURL string) []plan.MigrationKey {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('public.django_migrations') IS NOT NULL").Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if !exists {
		return nil
	}
	rows, err := conn.Query(ctx, "SELECT app, name FROM django_migrations")
	if err != nil {
		t.Fatal(err)
	}
	var ks []plan.MigrationKey
	for rows.Next() {
		var k plan.MigrationKey
		if err := rows.Scan(&k.App, &k.Name); err != nil {
			t.Fatal(err)
		}
		ks = append(ks, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].App != ks[j].App {
			return ks[i].App < ks[j].App
		}
		return ks[i].Name < ks[j].Name
	})
	return ks
}

// exec runs one SQL statement.
func execSQL(t testing.TB, dbURL, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// lineOf is the 1-based line of the n-th (from 1) line of the project file containing substr.
func lineOf(t testing.TB, dir, rel, substr string, n int) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for i, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, substr) {
			seen++
			if seen == n {
				return i + 1
			}
		}
	}
	t.Fatalf("%s: no %d-th line containing %q", rel, n, substr)
	return 0
}

func findMigration(t testing.TB, p *plan.Plan, app, name string) *plan.Migration {
	t.Helper()
	for i := range p.Migrations {
		if p.Migrations[i].App == app && p.Migrations[i].Name == name {
			return &p.Migrations[i]
		}
	}
	t.Fatalf("migration %s.%s not in the plan (%v)", app, name, keyStrings(keys(p)))
	return nil
}

func indexOf(p *plan.Plan, app, name string) int {
	for i, m := range p.Migrations {
		if m.App == app && m.Name == name {
			return i
		}
	}
	return -1
}

func sqlOf(op plan.Operation) []string {
	var s []string
	for _, st := range op.SQL {
		s = append(s, st.SQL)
	}
	return s
}
