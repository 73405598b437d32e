package django

// The helper claims to support Django 3.2 through 6.x by feature detection. These tests prove it
// on real Djangos: test/deps.sh unpacks Debian's python3-django of other releases (4.2, 5.x, 6.x)
// under $ZDCD_EXTRA_DJANGO/<major.minor>/, which an interpreter imports through PYTHONPATH, and
// the system's own Django (Debian bookworm's 3.2) is the reference. Each is tried with the driver
// a real app of its time has: 4.2 and 5.x with the system's interpreter and Debian's psycopg2;
// 5.x and 6.x with psycopg 3 (sid's python3-psycopg, unpacked under $ZDCD_EXTRA_DJANGO/psycopg3/)
// and the interpreter test/deps.sh links there as psycopg3/python (a pyenv Python 3.12+: Django 6
// needs it, and it sees no psycopg2). Django's postgresql backend imports psycopg 3 when it can and
// psycopg2 only otherwise (django/db/backends/postgresql/base.py, from 4.2 on:
// https://github.com/django/django/blob/stable/5.2.x/django/db/backends/postgresql/base.py), so
// each case also checks which driver Django really loaded.

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/plan"
)

// extraDjango is one Django unpacked by test/deps.sh, with the interpreter and driver it is tried
// with.
type extraDjango struct {
	series     string // the directory's name: "4.2"
	python     string // the interpreter: the system's, or the psycopg 3 tree's
	pythonPath string // PYTHONPATH: its dist-packages, then the psycopg 3 tree's when it runs psycopg 3
	version    string // django.get_version(), as the interpreter imports it from pythonPath
	driver     string // what Django's postgresql backend imported: "psycopg2 2.9.5", "psycopg 3.3.5"
}

func (d extraDjango) String() string { return "Django " + d.version + " " + d.driver }

// psycopg3 reports whether d runs psycopg 3.
func (d extraDjango) psycopg3() bool { return strings.HasPrefix(d.driver, "psycopg 3") }

// extraDjangoRoot is where test/deps.sh unpacks the extra Djangos: $ZDCD_EXTRA_DJANGO (the
// Makefile exports it), else the default of test/deps.sh, so that a plain `go test` finds them.
func extraDjangoRoot(t testing.TB) string {
	if d := os.Getenv("ZDCD_EXTRA_DJANGO"); d != "" {
		return d
	}
	cache := os.Getenv("ZDCD_CACHE_DIR")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatalf("no ZDCD_EXTRA_DJANGO and no home directory (%v): set ZDCD_EXTRA_DJANGO, or run `make test`", err)
		}
		cache = filepath.Join(home, ".cache", "zdcd")
	}
	return filepath.Join(cache, "django")
}

var seriesDir = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

// extraDjangos lists the extra Djangos with their interpreter and driver, oldest first, each
// checked to import from its directory: every Django before 6.0 with python (the system's, with
// psycopg2), every 5.0 or newer with the psycopg 3 tree's interpreter and psycopg 3. It fails the
// test unless there are a 4.2 and a 5.x with psycopg2, and a 5.x and a 6.x with psycopg 3.
func extraDjangos(t testing.TB, python string) []extraDjango {
	t.Helper()
	root := extraDjangoRoot(t)
	entries, err := os.ReadDir(root)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("extra Djangos: %v", err)
	}
	psycopgPath := filepath.Join(root, "psycopg3", "usr", "lib", "python3", "dist-packages")
	psycopgPython := filepath.Join(root, "psycopg3", "python")
	_, psycopgErr := os.Stat(psycopgPython) // follows the symlink
	var ds []extraDjango
	for _, e := range entries {
		if !seriesDir.MatchString(e.Name()) {
			continue
		}
		if st, err := os.Stat(filepath.Join(root, e.Name())); err != nil || !st.IsDir() { // follows symlinks
			continue
		}
		pythonPath := filepath.Join(root, e.Name(), "usr", "lib", "python3", "dist-packages")
		major, _ := versionParts(e.Name())
		if major < 6 {
			d := extraDjango{series: e.Name(), python: python, pythonPath: pythonPath}
			d.version, d.driver = probeDjango(t, d)
			ds = append(ds, d)
		}
		if major >= 5 && psycopgErr == nil {
			d := extraDjango{series: e.Name(), python: psycopgPython, pythonPath: pythonPath + string(os.PathListSeparator) + psycopgPath}
			d.version, d.driver = probeDjango(t, d)
			ds = append(ds, d)
		}
	}
	sort.SliceStable(ds, func(i, j int) bool { return versionLess(ds[i].version, ds[j].version) })
	var found []string
	has42, has5, has5psycopg3, has6psycopg3 := false, false, false, false
	for _, d := range ds {
		found = append(found, d.String())
		has42 = has42 || d.series == "4.2" && !d.psycopg3()
		has5 = has5 || strings.HasPrefix(d.series, "5.") && !d.psycopg3()
		has5psycopg3 = has5psycopg3 || strings.HasPrefix(d.series, "5.") && d.psycopg3()
		has6psycopg3 = has6psycopg3 || strings.HasPrefix(d.series, "6.") && d.psycopg3()
	}
	if !has42 || !has5 || !has5psycopg3 || !has6psycopg3 {
		holds := "no Django"
		if len(found) > 0 {
			holds = "only " + strings.Join(found, ", ")
		}
		if psycopgErr != nil {
			holds += " (no psycopg 3 interpreter: " + psycopgErr.Error() + ")"
		}
		t.Fatalf("%s holds %s; the version tests need Django 4.2 and 5.x with psycopg2, and 5.x and 6.x with psycopg 3: run `make deps` (test/deps.sh unpacks them)", root, holds)
	}
	return ds
}

// probeDjango imports d's Django with d.python and returns its version and the driver its
// postgresql backend imported; it fails the test unless Django, and the asgiref and sqlparse it
// needs, come from d's directory, and psycopg 3 from d's PYTHONPATH when it runs psycopg 3.
func probeDjango(t testing.TB, d extraDjango) (version, driver string) {
	t.Helper()
	const probe = `import json, asgiref, sqlparse, django
from django.db.backends.postgresql import base
print(json.dumps({"version": django.get_version(), "files": [m.__file__ for m in (django, asgiref, sqlparse)],
    "driver": base.Database.__name__, "driver_version": base.Database.__version__.split(" ")[0], "driver_file": base.Database.__file__}))`
	cmd := exec.Command(d.python, "-B", "-c", probe)
	cmd.Env = djangoEnv(d, "")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s cannot import the Django in %s (%v: %s): run `make deps`", d.python, d.pythonPath, err, lastLine(stderr.Bytes()))
	}
	var got struct {
		Version       string   `json:"version"`
		Files         []string `json:"files"`
		Driver        string   `json:"driver"`
		DriverVersion string   `json:"driver_version"`
		DriverFile    string   `json:"driver_file"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("probe of %s: %v: %s", d.pythonPath, err, out)
	}
	djangoDir := filepath.SplitList(d.pythonPath)[0]
	for _, f := range got.Files {
		if !strings.HasPrefix(f, djangoDir+string(filepath.Separator)) {
			t.Fatalf("with PYTHONPATH=%s, %s imports %s: run `make deps`", d.pythonPath, d.python, f)
		}
	}
	if got.Version != d.series && !strings.HasPrefix(got.Version, d.series+".") {
		t.Fatalf("the Django in %s is %s, not %s: run `make deps`", d.pythonPath, got.Version, d.series)
	}
	if dirs := filepath.SplitList(d.pythonPath); len(dirs) > 1 {
		// The psycopg 3 case: Django must have picked the unpacked psycopg 3.
		if got.Driver != "psycopg" || !strings.HasPrefix(got.DriverFile, dirs[1]+string(filepath.Separator)) {
			t.Fatalf("with PYTHONPATH=%s, %s's Django imports %s from %s, not psycopg from %s: run `make deps`", d.pythonPath, d.python, got.Driver, got.DriverFile, dirs[1])
		}
	} else if got.Driver != "psycopg2" {
		t.Fatalf("with PYTHONPATH=%s, %s's Django imports %s, not the system's psycopg2", d.pythonPath, d.python, got.Driver)
	}
	return got.Version, got.Driver + " " + got.DriverVersion
}

// djangoEnv is baseEnv with d's Django first on PYTHONPATH.
func djangoEnv(d extraDjango, dbURL string) []string {
	return append(baseEnv(dbURL), "PYTHONPATH="+d.pythonPath)
}

// djangoSource is newSource with d's Django: d's interpreter, PYTHONPATH in Source.Env.
func djangoSource(t testing.TB, d extraDjango, dir, dbURL string) *Source {
	s := newSource(t, dir, dbURL)
	s.Python = d.python
	s.Env = djangoEnv(d, dbURL)
	return s
}

// useDjango makes the manage.py helpers of main_test.go (manage, baseline, compareWithSqlmigrate)
// run d's Django until the end of t: ZDCD_PYTHON becomes a wrapper setting PYTHONPATH and running
// d's interpreter.
func useDjango(t *testing.T, d extraDjango) {
	t.Helper()
	wrapper := filepath.Join(t.TempDir(), "python")
	script := "#!/bin/sh\nPYTHONPATH=" + shellQuote(d.pythonPath) + "\nexport PYTHONPATH\nexec " + shellQuote(d.python) + ` "$@"` + "\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ZDCD_PYTHON", wrapper)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// TestPlanOtherDjangoVersions plans the sample project with every extra Django (and driver) and
// compares with the system's Django and with each one's own sqlmigrate; then exercises what only
// newer Djangos have: 4.2's operations, 5.0's db_default.
func TestPlanOtherDjangoVersions(t *testing.T) {
	python := testPython()
	djangos := extraDjangos(t, python)

	// The reference: the system's Django, after the baseline (test/sampleapp/README.md).
	refDir := copySample(t)
	refDB := pgtest.NewDatabase(t)
	baseline(t, refDir, refDB)
	ref := mustPlan(t, newSource(t, refDir, refDB))
	if len(ref.Migrations) == 0 {
		t.Fatal("nothing pending after the baseline")
	}

	for _, d := range djangos {
		t.Run(d.String(), func(t *testing.T) {
			useDjango(t, d)
			if d.version == ref.DjangoVersion {
				t.Errorf("the system's Django is %s too: the comparison proves nothing", d.version)
			}
			// The version the plan reports, not the directory's name, decides what to test.
			var reported string

			t.Run("sample app after the baseline", func(t *testing.T) {
				dir := copySample(t)
				db := pgtest.NewDatabase(t)
				if v := strings.TrimSpace(manage(t, dir, db, "version")); v != d.version {
					t.Fatalf("manage.py runs Django %s, want %s", v, d.version)
				}
				baseline(t, dir, db) // with this Django's manage.py
				p := mustPlan(t, djangoSource(t, d, dir, db))
				reported = p.DjangoVersion
				if p.Python != d.python {
					t.Errorf("python = %q, want %q", p.Python, d.python)
				}
				if p.DjangoVersion != d.version {
					t.Errorf("django_version = %q, want %q (the Django in %s)", p.DjangoVersion, d.version, d.pythonPath)
				}
				comparePlans(t, ref, p)
				if n := compareWithSqlmigrate(t, dir, db, p.Migrations); n < len(p.Migrations)/2 {
					t.Errorf("only %d of %d migrations have SQL: the comparison proves little", n, len(p.Migrations))
				}
			})

			t.Run("sample app on a fresh database", func(t *testing.T) {
				dir := copySample(t)
				db := pgtest.NewDatabase(t)
				p := mustPlan(t, djangoSource(t, d, dir, db))
				for _, m := range p.Migrations {
					walkOps(m.Operations, func(op plan.Operation) {
						if op.SQLError != "" {
							t.Errorf("%s %s: sql_error %q", m.Key(), op.Class, op.SQLError)
						}
					})
				}
				if n := compareWithSqlmigrate(t, dir, db, p.Migrations); n < len(p.Migrations)/2 {
					t.Errorf("only %d of %d migrations have SQL: the comparison proves little", n, len(p.Migrations))
				}
			})

			if reported == "" {
				t.Fatal("no plan of the sample app: its version is unknown")
			}
			if !versionAtLeast(reported, 4, 2) {
				t.Fatalf("Django %s: the extra Djangos are 4.2 or newer", reported)
			}
			t.Run("new operations", func(t *testing.T) {
				testNewOperations(t, d, versionAtLeast(reported, 5, 0))
			})
		})
	}
}

// comparePlans checks that got (another Django's plan of the same project and database state)
// has the same migrations, operations, lines and SQL as want, up to the statements' trailing
// ";" (see normalizeStatement).
func comparePlans(t *testing.T, want, got *plan.Plan) {
	t.Helper()
	if got.Settings != want.Settings || got.Alias != want.Alias || got.Vendor != want.Vendor {
		t.Errorf("settings, alias, vendor = %q %q %q, want %q %q %q", got.Settings, got.Alias, got.Vendor,
			want.Settings, want.Alias, want.Vendor)
	}
	if !reflect.DeepEqual(got.Applied, want.Applied) {
		t.Errorf("applied:\n got %v\nwant %v", keyStrings(got.Applied), keyStrings(want.Applied))
	}
	if g, w := keyStrings(keys(got)), keyStrings(keys(want)); !reflect.DeepEqual(g, w) {
		t.Fatalf("pending:\n got %v\nwant %v", g, w)
	}
	for i := range want.Migrations {
		w, g := normalizeMigration(want.Migrations[i]), normalizeMigration(got.Migrations[i])
		wOps, gOps := w.Operations, g.Operations
		w.Operations, g.Operations = nil, nil
		if wj, gj := mustJSON(t, w), mustJSON(t, g); wj != gj {
			t.Errorf("%s differs from Django %s's:\n got %s\nwant %s", g.Key(), want.DjangoVersion, gj, wj)
		}
		if len(gOps) != len(wOps) {
			t.Errorf("%s: %d operations, Django %s has %d", g.Key(), len(gOps), want.DjangoVersion, len(wOps))
			continue
		}
		for j := range wOps {
			if wj, gj := mustJSON(t, wOps[j]), mustJSON(t, gOps[j]); wj != gj {
				t.Errorf("%s operation %d (%s) differs from Django %s's:\n got %s\nwant %s", g.Key(), j, gOps[j].Describe, want.DjangoVersion, gj, wj)
			}
		}
	}
}

// normalizeMigration returns a copy of m whose statements are normalized (normalizeStatement).
func normalizeMigration(m plan.Migration) plan.Migration {
	m.Operations = normalizeOps(m.Operations)
	return m
}

func normalizeOps(ops []plan.Operation) []plan.Operation {
	if ops == nil {
		return nil
	}
	out := make([]plan.Operation, len(ops))
	for i, op := range ops {
		if op.SQL != nil {
			sql := make([]plan.Statement, len(op.SQL))
			for k, st := range op.SQL {
				st.SQL = normalizeStatement(st.SQL)
				sql[k] = st
			}
			op.SQL = sql
		}
		op.DatabaseOperations = normalizeOps(op.DatabaseOperations)
		op.StateOperations = normalizeOps(op.StateOperations)
		if op.RunSQL != nil {
			r := *op.RunSQL
			r.StateOperations = normalizeOps(r.StateOperations)
			op.RunSQL = &r
		}
		out[i] = op
	}
	return out
}

// dropColumnCascade is RemoveField's statement before Django 6.1, which dropped CASCADE from it
// (ticket #35487, https://github.com/django/django/pull/18209): "ALTER TABLE t DROP COLUMN c
// CASCADE;".
var dropColumnCascade = regexp.MustCompile(`^(ALTER TABLE "[^"]+" DROP COLUMN "[^"]+") CASCADE;$`)

// normalizeStatement drops the ";" that Django 3.2's schema editor appends to a statement that
// already ends with one (a RunSQL string written with its final ";"); Django 4.0 and later do
// not append it. It also drops the CASCADE that Djangos before 6.1 put on RemoveField's DROP
// COLUMN. What each Django really sends is checked against its own sqlmigrate.
func normalizeStatement(s string) string {
	if m := dropColumnCascade.FindStringSubmatch(s); m != nil {
		return m[1] + ";"
	}
	if rest, ok := strings.CutSuffix(s, ";"); ok && strings.HasSuffix(strings.TrimRight(rest, " \t\r\n"), ";") {
		return rest
	}
	return s
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// versionAtLeast reports whether Django version v ("5.2.18", "5.0", "5.1a1") is major.minor or
// newer.
func versionAtLeast(v string, major, minor int) bool {
	ma, mi := versionParts(v)
	return ma > major || ma == major && mi >= minor
}

func versionLess(a, b string) bool {
	amaj, amin := versionParts(a)
	bmaj, bmin := versionParts(b)
	if amaj != bmaj {
		return amaj < bmaj
	}
	if amin != bmin {
		return amin < bmin
	}
	return a < b
}

var versionPrefix = regexp.MustCompile(`^([0-9]+)\.([0-9]+)`)

func versionParts(v string) (major, minor int) {
	m := versionPrefix.FindStringSubmatch(v)
	if m == nil {
		return 0, 0
	}
	major, _ = strconv.Atoi(m[1])
	minor, _ = strconv.Atoi(m[2])
	return major, minor
}

// gadgetsProject writes a small project whose pending migrations use what only newer Djangos
// have: 0002 uses Django 4.1's RenameIndex and 4.2's AlterModelTableComment and db_comment; 0003
// (withDBDefault, Django 5.0+) AddFields with db_default. 0001 is the baseline. The models live in
// the migrations only: the plan never reads models.py.
func gadgetsProject(t *testing.T, withDBDefault bool) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "gadgets")
	files := map[string]string{
		"manage.py": `import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gadgetsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
`,
		"gadgetsite/__init__.py": "",
		"gadgetsite/settings.py": `import os
from urllib.parse import parse_qsl, unquote, urlsplit

_url = urlsplit(os.environ["DATABASE_URL"])
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(_url.path.lstrip("/")),
        "USER": unquote(_url.username or ""),
        "PASSWORD": unquote(_url.password or ""),
        "HOST": _url.hostname or "",
        "PORT": str(_url.port or ""),
        "OPTIONS": dict(parse_qsl(_url.query)),
    }
}
SECRET_KEY = "zdcd-versions-test"
INSTALLED_APPS = ["gadgets"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
`,
		"gadgets/__init__.py":            "",
		"gadgets/models.py":              "",
		"gadgets/migrations/__init__.py": "",
		"gadgets/migrations/0001_initial.py": `from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Gadget",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=50)),
            ],
            options={
                "indexes": [models.Index(fields=["name"], name="gadgets_name_idx")],
            },
        ),
    ]
`,
		"gadgets/migrations/0002_django42.py": `from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("gadgets", "0001_initial"),
    ]

    operations = [
        migrations.RenameIndex(
            model_name="gadget",
            new_name="gadgets_gadget_name_idx",
            old_name="gadgets_name_idx",
        ),
        migrations.AlterModelTableComment(
            name="gadget",
            table_comment="Gadgets for sale",
        ),
        migrations.AddField(
            model_name="gadget",
            name="colour",
            field=models.CharField(db_comment="Paint colour", max_length=20, null=True),
        ),
    ]
`,
	}
	if withDBDefault {
		files["gadgets/migrations/0003_db_default.py"] = `import django.db.models.functions.datetime
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("gadgets", "0002_django42"),
    ]

    operations = [
        migrations.AddField(
            model_name="gadget",
            name="stock",
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name="gadget",
            name="created",
            field=models.DateTimeField(db_default=django.db.models.functions.datetime.Now()),
        ),
    ]
`
	}
	for rel, content := range files {
		writeFile(t, dir, rel, content)
	}
	return dir
}

// testNewOperations plans the gadgets project after its 0001 with d's Django (the manage.py
// helpers already run it: useDjango).
func testNewOperations(t *testing.T, d extraDjango, withDBDefault bool) {
	dir := gadgetsProject(t, withDBDefault)
	db := pgtest.NewDatabase(t)
	manage(t, dir, db, "migrate", "--noinput", "gadgets", "0001")
	p := mustPlan(t, djangoSource(t, d, dir, db))
	want := []string{"gadgets.0002_django42"}
	if withDBDefault {
		want = append(want, "gadgets.0003_db_default")
	}
	if got := keyStrings(keys(p)); !reflect.DeepEqual(got, want) {
		t.Fatalf("pending = %v, want %v", got, want)
	}
	for _, m := range p.Migrations {
		for _, op := range m.Operations {
			if op.SQLError != "" || len(op.SQL) == 0 || op.Line == 0 || op.Model == nil || op.Model.TableAfter != "gadgets_gadget" {
				t.Errorf("%s %s: sql_error %q, SQL %q, line %d, model %+v", m.Key(), op.Class, op.SQLError, sqlOf(op), op.Line, op.Model)
			}
		}
	}
	compareWithSqlmigrate(t, dir, db, p.Migrations)

	ops := p.Migrations[0].Operations
	wantSQL := [][]string{
		{`ALTER INDEX "gadgets_name_idx" RENAME TO "gadgets_gadget_name_idx";`},
		{`COMMENT ON TABLE "gadgets_gadget" IS 'Gadgets for sale';`},
		{`ALTER TABLE "gadgets_gadget" ADD COLUMN "colour" varchar(20) NULL;`, `COMMENT ON COLUMN "gadgets_gadget"."colour" IS 'Paint colour';`},
	}
	for i, class := range []string{"RenameIndex", "AlterModelTableComment", "AddField"} {
		if ops[i].Class != class || !reflect.DeepEqual(sqlOf(ops[i]), wantSQL[i]) {
			t.Errorf("0002 operation %d: %s with SQL %q, want %s with %q", i, ops[i].Class, sqlOf(ops[i]), class, wantSQL[i])
		}
	}
	if !withDBDefault {
		return
	}

	ops = p.Migrations[1].Operations
	for i, tt := range []struct {
		name      string
		dbDefault plan.Default
	}{
		{"stock", plan.Default{Repr: "0"}},
		{"created", plan.Default{Repr: "Now()", Expression: true}},
	} {
		op := ops[i]
		f := op.NewField
		if op.Class != "AddField" || f == nil || f.Name != tt.name {
			t.Errorf("0003 operation %d: %s new_field %+v, want AddField of %s", i, op.Class, f, tt.name)
			continue
		}
		if f.DBDefault == nil || *f.DBDefault != tt.dbDefault {
			t.Errorf("%s: db_default = %+v, want %+v", tt.name, f.DBDefault, tt.dbDefault)
		}
		if f.Default != nil {
			t.Errorf("%s: default = %+v, want none (only db_default)", tt.name, f.Default)
		}
		if f.Null {
			t.Errorf("%s: null", tt.name)
		}
		// The default stays in the database: old code's INSERTs, which omit the column, work.
		joined := strings.Join(sqlOf(op), "\n")
		if !strings.Contains(joined, "ADD COLUMN \""+tt.name+"\"") || !strings.Contains(joined, " DEFAULT ") || strings.Contains(joined, "DROP DEFAULT") {
			t.Errorf("%s: SQL %q, want ADD COLUMN with a DEFAULT that is kept", tt.name, sqlOf(op))
		}
	}
}
