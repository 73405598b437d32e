package migrate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/testenv"
)

// withAppOptions makes the project's settings set lock_timeout and statement_timeout in the
// connection's startup options, as apps bounding their web queries do: libpq then ignores
// PGOPTIONS, so only the session guard can set zdcd's values.
func withAppOptions(t *testing.T, p *project) {
	t.Helper()
	path := filepath.Join(p.dir, "proj", "settings.py")
	extra := "\nDATABASES[\"default\"][\"OPTIONS\"] = {\"options\": \"-c lock_timeout=0 -c statement_timeout=30000\"}\n"
	if err := os.WriteFile(path, []byte(settingsPy+extra), 0o644); err != nil {
		t.Fatal(err)
	}
}

// appendSettings adds lines to the project's settings.
func appendSettings(t *testing.T, p *project, lines string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(p.dir, "proj", "settings.py"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(lines); err != nil {
		t.Fatal(err)
	}
}

// djangoCase is a Django the session guard is tried with: the interpreter, the PYTHONPATH that
// selects the Django (empty: the system's), and, for psycopg 3, its directory on that PYTHONPATH.
type djangoCase struct {
	python, pythonPath, psycopg3 string
	// serverSideBinding sets Django's OPTIONS["server_side_binding"] (psycopg 3 only,
	// https://docs.djangoproject.com/en/5.2/ref/databases/#server-side-parameters-binding): the
	// connection's cursors (Django's ServerBindingCursor, which the guard's raw.cursor() gets too)
	// send the guard's parameters to the server separately, which a SET cannot take
	// (https://www.psycopg.org/psycopg3/docs/basic/from_pg2.html#server-side-binding).
	serverSideBinding bool
}

// djangos are the Djangos the session guard is tried with: the system's (Debian's 3.2 with
// psycopg2) and the extra ones test/deps.sh unpacks (ZDCD_EXTRA_DJANGO), by PYTHONPATH: 4.2 and
// 5.2 with psycopg2, and 5.2 and 6.x with psycopg 3 (sid's, under psycopg3/, run by the
// interpreter test/deps.sh links as psycopg3/python: a Python 3.12+ that sees no psycopg2).
func djangos(t *testing.T) map[string]djangoCase {
	t.Helper()
	root := os.Getenv("ZDCD_EXTRA_DJANGO")
	if root == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		root = filepath.Join(home, ".cache", "zdcd", "django")
	}
	missing := func(what string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing under %s: run `make deps`", what, root)
		}
		t.Logf("%s missing under %s (run `make deps`): not tried", what, root)
	}
	dist := func(dir string) string { return filepath.Join(dir, "usr", "lib", "python3", "dist-packages") }
	out := map[string]djangoCase{"system": {python: testenv.Python()}}
	for _, v := range []string{"4.2", "5.2"} {
		d := dist(filepath.Join(root, v))
		if _, err := os.Stat(filepath.Join(d, "django")); err != nil {
			missing("Django " + v)
			continue
		}
		out[v] = djangoCase{python: testenv.Python(), pythonPath: d}
	}
	psycopg3, python := dist(filepath.Join(root, "psycopg3")), filepath.Join(root, "psycopg3", "python")
	if _, err := os.Stat(python); err != nil {
		missing("psycopg 3 (psycopg3/python)")
		return out
	}
	sixes, _ := filepath.Glob(filepath.Join(root, "6.*"))
	if len(sixes) == 0 {
		missing("Django 6.x")
	}
	for _, dir := range append([]string{filepath.Join(root, "5.2")}, sixes...) {
		d := dist(dir)
		if _, err := os.Stat(filepath.Join(d, "django")); err != nil {
			continue // reported above
		}
		c := djangoCase{python: python, pythonPath: d + string(os.PathListSeparator) + psycopg3, psycopg3: psycopg3}
		out[filepath.Base(dir)+" psycopg 3"] = c
		c.serverSideBinding = true
		out[filepath.Base(dir)+" psycopg 3 server-side binding"] = c
	}
	return out
}

// checkPsycopg3 fails the test unless the migrate command's Django (c's interpreter and
// PYTHONPATH, the project's settings) connects with psycopg 3 from c.psycopg3: Django's backend
// imports psycopg when it can, psycopg2 only otherwise
// (https://github.com/django/django/blob/stable/5.2.x/django/db/backends/postgresql/base.py).
func checkPsycopg3(t *testing.T, p *project, c djangoCase) {
	t.Helper()
	cmd := exec.Command(c.python, "-c", `import django
django.setup()
from django.db import connection
connection.ensure_connection()
raw = type(connection.connection)
import sys
print(raw.__module__, sys.modules[raw.__module__.split(".")[0]].__file__)`)
	cmd.Dir = p.dir
	cmd.Env = append(append([]string{}, p.env...), "DJANGO_SETTINGS_MODULE=proj.settings")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("probe of the driver: %v\n%s", err, out)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 || strings.Split(f[0], ".")[0] != "psycopg" || !strings.HasPrefix(f[1], c.psycopg3+string(filepath.Separator)) {
		t.Fatalf("Django connects with %q, want a psycopg 3 connection from %s", strings.TrimSpace(string(out)), c.psycopg3)
	}
}

func TestSessionSettingsHoldDespiteAppOptions(t *testing.T) {
	for name, c := range djangos(t) {
		t.Run(name, func(t *testing.T) {
			p := newProject(t, map[string]string{"0002_item_note": migration("0001_initial", addNote, true)})
			p.python = c.python
			if c.pythonPath != "" {
				p.env = append(p.env, "PYTHONPATH="+c.pythonPath)
			}
			withAppOptions(t, p)
			if c.serverSideBinding {
				appendSettings(t, p, "DATABASES[\"default\"][\"OPTIONS\"][\"server_side_binding\"] = True\n")
			}
			if c.psycopg3 != "" {
				checkPsycopg3(t, p, c)
			}
			migs := p.migrations(t)

			// A long transaction that read app_item: ADD COLUMN's ACCESS EXCLUSIVE waits behind
			// it. With the app's lock_timeout=0 the DDL would wait as long as the blocker lasts;
			// zdcd's lock_timeout, set in the session, cuts it and retries.
			blocker := p.conn(t)
			p.exec(t, blocker, "BEGIN")
			p.exec(t, blocker, "SELECT count(*) FROM app_item")

			log := newLineLog(t)
			r := p.runner(log)
			ch := start(context.Background(), r, migs)
			log.waitFor("lock timeout; retry 2 of 30")
			p.exec(t, blocker, "COMMIT")
			res, err := await(t, ch, log)
			if err != nil || res.Kind != KindOK {
				t.Fatalf("Run: %v (kind %q)", err, res.Kind)
			}
			out := log.String()
			for _, want := range []string{
				`in effect (read back): lock_timeout=100ms statement_timeout=10m0s application_name="zdcd-migrate"`,
				"overridden at connect: lock_timeout=0 (none) from the connection's startup options",
				"statement_timeout=30s from the connection's startup options",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %q", want)
				}
			}
			first := res.Attempts[0]
			if !first.LockTimedOut || first.Session == nil || first.Session.After["lock_timeout"] != "100" {
				t.Errorf("first attempt = %+v, want a lock timeout in a verified session", first)
			}
			if !p.applied(t, "0002_item_note") {
				t.Error("0002 not applied")
			}
		})
	}
}

func TestSessionWithoutGuardIsStoppedBeforeTheFirstMigration(t *testing.T) {
	tests := []struct {
		name, command string
		appOptions    bool
	}{
		// -E: Python ignores PYTHON* variables, PYTHONPATH included. PGOPTIONS still reaches
		// the session: its read of django_migrations times out at the gate.
		{"python -E", "python -E manage.py migrate --noinput", false},
		// A wrapper that resets PYTHONPATH.
		{"env -u", "env -u PYTHONPATH " + testenv.Python() + " manage.py migrate --noinput", false},
		// With the app's lock_timeout=0 nothing bounds the wait at the gate: zdcd stops it.
		{"python -E, app options", "python -E manage.py migrate --noinput", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProject(t, map[string]string{"0002_item_note": migration("0001_initial", addNote, true)})
			if tt.appOptions {
				withAppOptions(t, p)
			}
			migs := p.migrations(t)
			log := newLineLog(t)
			r := p.runner(log)
			r.Command = tt.command
			res, err := await(t, start(context.Background(), r, migs), log)
			if !errors.Is(err, ErrSessionUnverified) || res.Kind != KindFailed {
				t.Fatalf("Run: %v (kind %q), want ErrSessionUnverified", err, res.Kind)
			}
			if !strings.Contains(err.Error(), "did not run zdcd's session guard") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q does not say why in one line", err)
			}
			if len(res.Attempts) != 1 || len(res.Applied) != 0 {
				t.Errorf("attempts = %+v, applied = %v: want one attempt, stopped, nothing applied", res.Attempts, res.Applied)
			}
			if p.applied(t, "0002_item_note") {
				t.Error("0002 applied by an unverified session")
			}
			var n int
			if err := p.db.QueryRow(context.Background(), "SELECT count(*) FROM information_schema.columns WHERE table_name = 'app_item' AND column_name = 'note'").Scan(&n); err != nil || n != 0 {
				t.Errorf("app_item.note exists (%d, %v): the DDL ran", n, err)
			}
		})
	}
}

// A report cut into the output of a partial line is taken whole, and the text around it shown.
func TestStreamTakesSessionReports(t *testing.T) {
	log := newLineLog(t)
	r := &Runner{Log: log}
	var got []string
	take := func(s string) bool {
		if !strings.HasPrefix(s, sessionMarker+"n1 ") {
			return false
		}
		got = append(got, s)
		return true
	}
	in := "Operations to perform:\n  Applying app.0002...ZDCD-SESSION n1 {\"pid\": 7}\n OK\nZDCD-SESSION other {}\n"
	tail := &outputTail{max: 10}
	r.stream(strings.NewReader(in), tail, take)
	if fmt.Sprint(got) != `[ZDCD-SESSION n1 {"pid": 7}]` {
		t.Errorf("reports = %q", got)
	}
	want := "       Operations to perform:\n         Applying app.0002...\n        OK\n       ZDCD-SESSION other {}\n"
	if log.String() != want {
		t.Errorf("log = %q, want %q", log.String(), want)
	}
}

func TestGateCheckNamesTheSettingsThatDiffer(t *testing.T) {
	r := &Runner{StatementTimeout: 30 * time.Minute}
	g := &gate{r: r, want: r.sessionWant(100 * time.Millisecond)}
	ok := SessionReport{PID: 1, After: map[string]string{"lock_timeout": "100", "statement_timeout": "1800000", "application_name": "zdcd-migrate"}}
	if why := g.check(ok); why != "" {
		t.Errorf("check(ok) = %q", why)
	}
	bad := SessionReport{PID: 2, After: map[string]string{"lock_timeout": "0", "statement_timeout": "1800000", "application_name": "zdcd-migrate"}}
	if why := g.check(bad); !strings.Contains(why, "lock_timeout is 0 (none), not 100ms") {
		t.Errorf("check(bad) = %q", why)
	}
	if why := g.check(SessionReport{PID: 3, Error: "InsufficientPrivilege: nope"}); !strings.Contains(why, "could not set them") {
		t.Errorf("check(error) = %q", why)
	}
}
