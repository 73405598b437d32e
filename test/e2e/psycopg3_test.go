package e2e

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/testenv"
)

// An app as it is set up today: Django 5.2 with psycopg 3, ENGINE still
// "django.db.backends.postgresql". Django's postgresql backend imports psycopg (3) when it can and
// psycopg2 only otherwise (the try/except at the top of django/db/backends/postgresql/base.py,
// https://github.com/django/django/blob/stable/5.2.x/django/db/backends/postgresql/base.py), so
// nothing in the settings names the driver. test/deps.sh unpacks Debian's Django 5.x under
// $ZDCD_EXTRA_DJANGO/5.x/ and sid's psycopg 3 under $ZDCD_EXTRA_DJANGO/psycopg3/, with the
// interpreter that runs them linked as psycopg3/python (a pyenv Python that sees no psycopg2).
// The app's environment selects them as a Heroku dyno's would: ZDCD_PYTHON names the interpreter
// and PYTHONPATH puts Django and psycopg 3 on its path; zdcd-release passes PYTHONPATH on to the
// helper and to `manage.py migrate`, putting its session guard first.

// psycopg3App is the interpreter and PYTHONPATH of a Django 5.x with psycopg 3. It fails the test
// when test/deps.sh has not unpacked them.
func psycopg3App(t *testing.T) (python, pythonPath string) {
	t.Helper()
	root := os.Getenv("ZDCD_EXTRA_DJANGO") // the Makefile exports it; else test/deps.sh's default
	if root == "" {
		cache := os.Getenv("ZDCD_CACHE_DIR")
		if cache == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				t.Fatal(err)
			}
			cache = filepath.Join(home, ".cache", "zdcd")
		}
		root = filepath.Join(cache, "django")
	}
	dist := func(dir string) string { return filepath.Join(dir, "usr", "lib", "python3", "dist-packages") }
	python = filepath.Join(root, "psycopg3", "python")
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("no psycopg 3 interpreter (%v): run `make deps` (test/deps.sh unpacks psycopg 3 under %s/psycopg3)", err, root)
	}
	fives, err := filepath.Glob(filepath.Join(root, "5.*"))
	if err != nil || len(fives) == 0 {
		t.Fatalf("no Django 5.x under %s: run `make deps`", root)
	}
	django := dist(fives[len(fives)-1])
	if _, err := os.Stat(filepath.Join(django, "django")); errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s holds no Django: run `make deps`", django)
	}
	return python, django + string(os.PathListSeparator) + dist(filepath.Join(root, "psycopg3"))
}

// setEnv is env with each KEY=value of kv replacing any earlier KEY.
func setEnv(env []string, kv ...string) []string {
	out := slices.Clone(env)
	for _, s := range kv {
		key, _, _ := strings.Cut(s, "=")
		out = slices.DeleteFunc(out, func(e string) bool { return strings.HasPrefix(e, key+"=") })
		out = append(out, s)
	}
	return out
}

func TestReleaseDjango52Psycopg3(t *testing.T) {
	python, pythonPath := psycopg3App(t)
	dbURL := pgtest.NewDatabase(t)
	app := []string{"ZDCD_PYTHON=" + python, "PYTHONPATH=" + pythonPath}

	dir := sampleVersion(t, "accounts/0003")
	appOptions(t, dir) // statement_timeout=30000 in the connection's startup options

	// What the app's Django connects with, asked of the app's own settings.
	probe := exec.Command(python, "-c", `import json, sys, django
django.setup()
from django.db import connection
connection.ensure_connection()
conn = type(connection.connection)
print(json.dumps({"django": django.get_version(), "driver": conn.__module__.split(".")[0],
    "file": sys.modules[conn.__module__.split(".")[0]].__file__, "psycopg2": "psycopg2" in sys.modules}))`)
	probe.Dir = dir
	probe.Env = setEnv(baseEnv(dbURL), append(app, "DJANGO_SETTINGS_MODULE=sampleproject.settings")...)
	out, err := probe.CombinedOutput()
	if err != nil {
		t.Fatalf("probe of the app's Django: %v\n%s", err, out)
	}
	var got struct {
		Django, Driver, File string
		Psycopg2             bool
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("probe: %v: %s", err, out)
	}
	psycopgDir := filepath.SplitList(pythonPath)[1]
	if !strings.HasPrefix(got.Django, "5.") || got.Driver != "psycopg" || !strings.HasPrefix(got.File, psycopgDir+string(filepath.Separator)) || got.Psycopg2 {
		t.Fatalf("the app runs %+v, want Django 5.x connecting with psycopg 3 from %s and no psycopg2", got, psycopgDir)
	}

	// The deployed baseline, migrated by the same Django.
	env := setEnv(releaseEnv(dbURL, t.TempDir(), "ZDCD_LOCK_TIMEOUT=2s"), app...)
	for _, target := range testenv.SampleBaseline {
		cmd := exec.Command(python, append([]string{"manage.py", "migrate", "--noinput"}, target...)...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("baseline migrate %v: %v\n%s", target, err, out)
		}
	}
	conn := connect(t, dbURL)
	before := appliedSet(t, conn)

	r := run(t, dir, env, "release")
	t.Logf("release:\n%s", r)
	assertNoSecret(t, r, password(t, dbURL))
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	mustContain(t, r,
		// The probed interpreter runs the migrate command (with the same PYTHONPATH, the guard
		// first).
		"migrating all pending migrations: "+python+" manage.py migrate --noinput",
		// The guard's values, read back in the migrate command's psycopg 3 session, despite the
		// app's statement_timeout=30s in the startup options.
		`in effect (read back): lock_timeout=2s statement_timeout=30m0s application_name="zdcd-migrate"`,
		"overridden at connect: statement_timeout=30s from the connection's startup options",
		"Applying accounts.0003_customer_phone_ordering...",
		"Applied 1 migration(s)")
	after := appliedSet(t, conn)
	added := slices.DeleteFunc(slices.Clone(after), func(m string) bool { return slices.Contains(before, m) })
	if len(after) != len(before)+1 || !slices.Equal(added, []string{"accounts.0003_customer_phone_ordering"}) {
		t.Errorf("django_migrations gained %v (%d rows, %d before), want accounts.0003_customer_phone_ordering only", added, len(after), len(before))
	}
	if !slices.Contains(columns(t, conn, "accounts_customer"), "phone") {
		t.Error("accounts_customer.phone not added")
	}
}
