package migrate

import (
	"context"
	"errors"
	"fmt"
	"os"
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

// djangos are the Djangos the session guard is tried with: the system's (Debian's 3.2 with
// psycopg2) and the extra ones test/deps.sh unpacks (ZDCD_EXTRA_DJANGO), by PYTHONPATH.
func djangos(t *testing.T) map[string]string {
	t.Helper()
	root := os.Getenv("ZDCD_EXTRA_DJANGO")
	if root == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		root = filepath.Join(home, ".cache", "zdcd", "django")
	}
	out := map[string]string{"system": ""}
	for _, v := range []string{"4.2", "5.2"} {
		d := filepath.Join(root, v, "usr", "lib", "python3", "dist-packages")
		if _, err := os.Stat(filepath.Join(d, "django")); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("Django %s missing under %s: run `make deps`", v, root)
			}
			t.Logf("Django %s missing under %s (run `make deps`): tried with the system's only", v, root)
			continue
		}
		out[v] = d
	}
	return out
}

func TestSessionSettingsHoldDespiteAppOptions(t *testing.T) {
	for name, pythonPath := range djangos(t) {
		t.Run(name, func(t *testing.T) {
			p := newProject(t, map[string]string{"0002_item_note": migration("0001_initial", addNote, true)})
			if pythonPath != "" {
				p.env = append(p.env, "PYTHONPATH="+pythonPath)
			}
			withAppOptions(t, p)
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
