package django

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/childenv"
	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/plan"
)

// countingPython is an interpreter wrapper that appends a line to a file each time it starts.
// With django=false it runs Python without site-packages, so it cannot import django.
func countingPython(t testing.TB, dir, name string, django bool) (path, counter string) {
	t.Helper()
	counter = filepath.Join(dir, name+".count")
	flags := ""
	if !django {
		flags = "-S "
	}
	path = filepath.Join(dir, name)
	script := fmt.Sprintf("#!/bin/sh\necho started >> %s\nexec %s %s\"$@\"\n", counter, testPython(), flags)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, counter
}

func starts(t testing.TB, counter string) int {
	t.Helper()
	b, err := os.ReadFile(counter)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "started\n")
}

func TestPlanStartsPythonOncePerPlan(t *testing.T) {
	dir := copySample(t)
	db := pgtest.NewDatabase(t)
	python, counter := countingPython(t, t.TempDir(), "python3", true)
	s := newSource(t, dir, db)
	s.Python = python
	p := mustPlan(t, s)
	if got := starts(t, counter); got != 1 {
		t.Errorf("Python started %d times for one plan of %d migrations, want 1", got, len(p.Migrations))
	}
	mustPlan(t, s)
	if got := starts(t, counter); got != 2 {
		t.Errorf("Python started %d times for two plans, want 2", got)
	}
}

func TestPlanFindsPythonOnPATH(t *testing.T) {
	tests := []struct {
		name          string
		pythonDjango  bool // whether `python` on PATH can import django
		wantPython    int  // starts of `python`
		wantPython3   int  // starts of `python3`
		pathHasPython bool
	}{
		{"python can import django", true, 1, 0, true},
		{"python cannot, python3 can", false, 1, 1, true},
		{"only python3 on PATH", false, 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copySample(t)
			db := pgtest.NewDatabase(t)
			bin := t.TempDir()
			var pyCounter string
			if tt.pathHasPython {
				_, pyCounter = countingPython(t, bin, "python", tt.pythonDjango)
			}
			_, py3Counter := countingPython(t, bin, "python3", true)
			s := newSource(t, dir, db)
			s.Python = ""
			s.Env = childenv.Set(s.Env, "PATH", bin+":/nonexistent")
			p := mustPlan(t, s)
			if len(p.Migrations) == 0 {
				t.Error("empty plan")
			}
			if tt.pathHasPython {
				if got := starts(t, pyCounter); got != tt.wantPython {
					t.Errorf("python started %d times, want %d", got, tt.wantPython)
				}
			}
			if got := starts(t, py3Counter); got != tt.wantPython3 {
				t.Errorf("python3 started %d times, want %d", got, tt.wantPython3)
			}
		})
	}
}

func TestPlanPythonCommandName(t *testing.T) {
	dir := copySample(t)
	db := pgtest.NewDatabase(t)
	bin := t.TempDir()
	_, counter := countingPython(t, bin, "python3.x", true)
	s := newSource(t, dir, db)
	s.Python = "python3.x" // ZDCD_PYTHON may name a command on PATH
	s.Env = childenv.Set(s.Env, "PATH", "/nonexistent:"+bin)
	mustPlan(t, s)
	if got := starts(t, counter); got != 1 {
		t.Errorf("python3.x started %d times, want 1", got)
	}
}

// TestPlanDoesNotInheritEnvironment: only Source.Env reaches Python.
func TestPlanDoesNotInheritEnvironment(t *testing.T) {
	dir := copySample(t)
	t.Setenv("DATABASE_URL", pgtest.NewDatabase(t))
	s := &Source{ProjectDir: dir, Python: testPython()}
	_, err := s.Plan(context.Background())
	var derr *Error
	if !errors.As(err, &derr) || derr.Kind != KindSettings || !strings.Contains(derr.Message, "DATABASE_URL is not set") {
		t.Fatalf("err = %v, want the settings error of an empty environment", err)
	}
}

func TestChildEnv(t *testing.T) {
	tests := []struct {
		name     string
		env      []string
		settings string
		want     []string
	}{
		{"no PGOPTIONS", []string{"A=1"}, "", []string{"A=1", "PGOPTIONS=-c default_transaction_read_only=on"}},
		{"PGOPTIONS appended", []string{"PGOPTIONS=-c lock_timeout=100ms", "A=1"}, "", []string{"A=1", "PGOPTIONS=-c lock_timeout=100ms -c default_transaction_read_only=on"}},
		{"settings override", []string{"DJANGO_SETTINGS_MODULE=a.b", "A=1"}, "c.d", []string{"A=1", "DJANGO_SETTINGS_MODULE=c.d", "PGOPTIONS=-c default_transaction_read_only=on"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := append([]string(nil), tt.env...)
			s := &Source{Env: tt.env, Settings: tt.settings}
			if got := s.childEnv(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("childEnv = %q, want %q", got, tt.want)
			}
			if !reflect.DeepEqual(tt.env, orig) {
				t.Errorf("Env was modified: %q, was %q", tt.env, orig)
			}
		})
	}
}

// schemaDump is pg_dump --schema-only of the database.
func schemaDump(t testing.TB, dbURL string) string {
	t.Helper()
	bin, err := pgtest.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "pg_dump"), "--schema-only", "--no-owner", "-d", dbURL)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pg_dump: %v: %s", err, stderr.String())
	}
	// Recent pg_dump brackets its output with \restrict <random key> ... \unrestrict <key>.
	var lines []string
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, `\restrict `) && !strings.HasPrefix(line, `\unrestrict `) {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}

func TestPlanLeavesDatabaseUntouched(t *testing.T) {
	t.Run("fresh database", func(t *testing.T) {
		dir := copySample(t)
		db := pgtest.NewDatabase(t)
		before := schemaDump(t, db)
		p := mustPlan(t, newSource(t, dir, db))
		if len(p.Migrations) == 0 {
			t.Fatal("nothing pending")
		}
		if after := schemaDump(t, db); after != before {
			t.Errorf("schema changed:\n--- before\n%s\n--- after\n%s", before, after)
		}
		if rows := djangoMigrations(t, db); rows != nil {
			t.Errorf("the helper created django_migrations: %v", rows)
		}
	})
	t.Run("after the baseline", func(t *testing.T) {
		dir := copySample(t)
		db := pgtest.NewDatabase(t)
		baseline(t, dir, db)
		before, rowsBefore := schemaDump(t, db), djangoMigrations(t, db)
		mustPlan(t, newSource(t, dir, db))
		if after := schemaDump(t, db); after != before {
			t.Errorf("schema changed:\n--- before\n%s\n--- after\n%s", before, after)
		}
		if rows := djangoMigrations(t, db); !reflect.DeepEqual(rows, rowsBefore) {
			t.Errorf("django_migrations changed: %v -> %v", rowsBefore, rows)
		}
	})
}

// writeProbeMigration is a custom operation that writes to the database when rendered, followed
// by an AlterField whose rendering introspects the database (dropping a foreign key constraint).
const writeProbeMigration = `from django.db import migrations, models
from django.db.migrations.operations.base import Operation


class WriteProbe(Operation):
    reduces_to_sql = True
    reversible = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("CREATE TABLE zdcd_probe (x integer)")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def describe(self):
        return "Write to the database"


class Migration(migrations.Migration):

    dependencies = [
        ('shop', '0012_order_total'),
    ]

    operations = [
        WriteProbe(),
        migrations.AlterField(
            model_name='order',
            name='customer',
            field=models.ForeignKey(db_constraint=False, on_delete=models.PROTECT, related_name='orders', to='accounts.customer'),
        ),
    ]
`

// TestPlanIsReadOnly: an operation that writes while being rendered fails (read-only
// transactions), the failure is reported on it, and the next operation still renders, with
// introspection, in the same migration. The belt holds when the settings' OPTIONS override
// PGOPTIONS too.
func TestPlanIsReadOnly(t *testing.T) {
	tests := []struct {
		name  string
		query string // added to DATABASE_URL
	}{
		{"PGOPTIONS", ""},
		{"OPTIONS override PGOPTIONS", "&options=-c%20search_path%3Dpublic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copySample(t)
			db := pgtest.NewDatabase(t)
			manage(t, dir, db, "migrate", "--noinput")
			writeFile(t, dir, "shop/migrations/0013_write_probe.py", writeProbeMigration)
			p := mustPlan(t, newSource(t, dir, db+tt.query))
			m := findMigration(t, p, "shop", "0013_write_probe")
			probe, alter := m.Operations[0], m.Operations[1]
			if probe.Class != "WriteProbe" || !strings.Contains(probe.SQLError, "read-only transaction") {
				t.Errorf("probe: class %s sql_error %q, want a read-only error", probe.Class, probe.SQLError)
			}
			if alter.SQLError != "" {
				t.Errorf("AlterField after the failure: sql_error %q", alter.SQLError)
			}
			want := []string{`SET CONSTRAINTS "shop_order_customer_id_f638df20_fk_accounts_customer_id" IMMEDIATE; ALTER TABLE "shop_order" DROP CONSTRAINT "shop_order_customer_id_f638df20_fk_accounts_customer_id";`}
			if got := sqlOf(alter); !reflect.DeepEqual(got, want) {
				t.Errorf("AlterField SQL %q, want %q (introspected)", got, want)
			}
			if strings.Contains(schemaDump(t, db), "zdcd_probe") {
				t.Error("the probe table was created")
			}
		})
	}
}

// TestPlanSQLErrorCarriesOn: rendering one operation can fail where sqlmigrate fails too (here:
// constraint introspection of a table that an earlier pending migration creates); the plan
// reports it on that operation and carries on.
func TestPlanSQLErrorCarriesOn(t *testing.T) {
	dir := copySample(t)
	db := pgtest.NewDatabase(t)
	writeFile(t, dir, "blog/migrations/0006_post_unique_title_author.py", `from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [('blog', '0005_alter_post_title_length')]

    operations = [
        migrations.AlterUniqueTogether(name='post', unique_together={('title', 'author')}),
    ]
`)
	writeFile(t, dir, "blog/migrations/0007_post_drop_unique.py", `from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [('blog', '0006_post_unique_title_author')]

    operations = [
        migrations.AlterUniqueTogether(name='post', unique_together=set()),
        migrations.AddField(model_name='post', name='subtitle', field=models.CharField(max_length=100, null=True)),
    ]
`)
	p := mustPlan(t, newSource(t, dir, db))
	m := findMigration(t, p, "blog", "0007_post_drop_unique")
	drop, add := m.Operations[0], m.Operations[1]
	if !strings.Contains(drop.SQLError, "Found wrong number (0) of constraints for blog_post(title, author_id)") {
		t.Errorf("sql_error = %q", drop.SQLError)
	}
	if add.SQLError != "" || !reflect.DeepEqual(sqlOf(add), []string{`ALTER TABLE "blog_post" ADD COLUMN "subtitle" varchar(100) NULL;`}) {
		t.Errorf("next operation: sql_error %q SQL %q", add.SQLError, sqlOf(add))
	}
	_, stderr, err := manageErr(dir, db, "sqlmigrate", "blog", "0007_post_drop_unique")
	if err == nil || !strings.Contains(stderr, "Found wrong number (0) of constraints") {
		t.Errorf("sqlmigrate: err %v, stderr %s; want the same failure", err, stderr)
	}
	// Everything else renders as sqlmigrate does.
	var others []plan.Migration
	for _, mig := range p.Migrations {
		if mig.Key() != m.Key() {
			others = append(others, mig)
		}
	}
	compareWithSqlmigrate(t, dir, db, others[len(others)-8:])
}

// syncBuffer is a bytes.Buffer safe for the exec goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPlanKeepsResultStreamClean(t *testing.T) {
	dir := copySample(t)
	db := pgtest.NewDatabase(t)
	replaceInFile(t, dir, "sampleproject/settings.py", "BASE_DIR = ",
		"print('print from settings')\nos.write(1, b'raw write to fd 1\\n')\nimport sys\nsys.__stdout__.write('sys.__stdout__ write\\n')\nsys.__stdout__.flush()\nBASE_DIR = ")
	replaceInFile(t, dir, "blog/models.py", "class Tag(", "print('print from blog.models')\n\n\nclass Tag(")
	var stderr syncBuffer
	s := newSource(t, dir, db)
	s.Stderr = &stderr
	p := mustPlan(t, s)
	if len(p.Migrations) == 0 {
		t.Error("empty plan")
	}
	for _, want := range []string{"print from settings", "raw write to fd 1", "sys.__stdout__ write", "print from blog.models"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}

func TestPlanMigrationAttributes(t *testing.T) {
	dir := copySample(t)
	db := pgtest.NewDatabase(t)
	replaceInFile(t, dir, "shop/migrations/0011_remove_product_legacy_code.py", "    dependencies = [",
		"    zdcd_allow = ['remove-column']\n    zdcd_reviewed = {'by': 'alice', 'on': __import__('datetime').date(2024, 1, 2)}\n    not_ours = 1\n\n    dependencies = [")
	p := mustPlan(t, newSource(t, dir, db))
	m := findMigration(t, p, "shop", "0011_remove_product_legacy_code")
	got := map[string]string{}
	for k, v := range m.Attributes {
		var b bytes.Buffer
		if err := json.Compact(&b, v); err != nil {
			t.Fatal(err)
		}
		got[k] = b.String()
	}
	want := map[string]string{"zdcd_allow": `["remove-column"]`, "zdcd_reviewed": `{"by":"alice","on":"2024-01-02"}`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("attributes = %v, want %v", got, want)
	}
	if other := findMigration(t, p, "shop", "0010_order_referrer"); len(other.Attributes) != 0 {
		t.Errorf("0010 attributes = %v", other.Attributes)
	}
	// The plan's JSON carries them as written.
	b, _ := json.Marshal(m)
	if !strings.Contains(string(b), `"attributes":{`) {
		t.Errorf("JSON: %s", b)
	}
}

// TestPlanMigrationModulesAndRunBefore: MIGRATION_MODULES moves an app's migrations; run_before
// changes the order. The plan follows Django in both.
func TestPlanMigrationModulesAndRunBefore(t *testing.T) {
	dir := copySample(t)
	db := pgtest.NewDatabase(t)
	if err := os.Rename(filepath.Join(dir, "blog", "migrations"), filepath.Join(dir, "blog", "db_migrations")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "sampleproject/settings_moved.py", "from .settings import *  # noqa\n\nMIGRATION_MODULES = {'blog': 'blog.db_migrations'}\n")
	replaceInFile(t, dir, "blog/db_migrations/0002_post_featured_product.py", "    dependencies = [",
		"    run_before = [('accounts', '0003_customer_phone_ordering')]\n\n    dependencies = [")
	s := newSource(t, dir, db)
	s.Settings = "sampleproject.settings_moved"
	p := mustPlan(t, s)
	if p.Settings != "sampleproject.settings_moved" {
		t.Errorf("settings = %q", p.Settings)
	}
	blog := findMigration(t, p, "blog", "0002_post_featured_product")
	if blog.File != "blog/db_migrations/0002_post_featured_product.py" {
		t.Errorf("file = %q", blog.File)
	}
	if !reflect.DeepEqual(blog.RunBefore, []plan.MigrationKey{{App: "accounts", Name: "0003_customer_phone_ordering"}}) {
		t.Errorf("run_before = %v", blog.RunBefore)
	}
	if i, j := indexOf(p, "blog", "0002_post_featured_product"), indexOf(p, "accounts", "0003_customer_phone_ordering"); i < 0 || i > j {
		t.Errorf("blog.0002 at %d, accounts.0003 at %d: run_before not honoured", i, j)
	}
	cmd := exec.Command(testPython(), "manage.py", "showmigrations", "--plan", "--settings", "sampleproject.settings_moved")
	cmd.Dir = dir
	cmd.Env = baseEnv(db)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("showmigrations: %v", err)
	}
	var want []string
	for _, line := range strings.Split(string(out), "\n") {
		if m := showPlanLine.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			want = append(want, m[2]+"."+m[3])
		}
	}
	if got := keyStrings(keys(p)); !reflect.DeepEqual(got, want) {
		t.Errorf("order:\n got %v\nwant %v", got, want)
	}
}
