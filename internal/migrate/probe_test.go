package migrate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/testenv"
)

// probe runs r.Probe for migs with the test's bound.
func probe(t *testing.T, r *Runner, migs []Migration, log *lineLog) (*ProbeResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	res, err := r.Probe(ctx, migs)
	t.Logf("log:\n%s", log.String())
	return res, err
}

// wrapper writes an executable shell script into the project and returns its path.
func (p *project) wrapper(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// otherSettings adds proj/other_settings.py, the project's settings with extra appended.
func (p *project) otherSettings(t *testing.T, extra string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(p.dir, "proj", "other_settings.py"), []byte(settingsPy+extra), 0o644); err != nil {
		t.Fatal(err)
	}
}

// untouched fails the test when 0002 was applied or its column exists, or a session of the
// command is left.
func (p *project) untouched(t *testing.T) {
	t.Helper()
	if p.applied(t, "0002_item_note") {
		t.Error("0002 applied by the probe")
	}
	var n int
	if err := p.db.QueryRow(context.Background(), "SELECT count(*) FROM information_schema.columns WHERE table_name = 'app_item' AND column_name = 'note'").Scan(&n); err != nil || n != 0 {
		t.Errorf("app_item.note exists (%d, %v): the DDL ran", n, err)
	}
	p.waitUntil(t, "no session of the command is left", "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'zdcd-migrate'")
}

func TestProbeVerifiesWithoutMigrating(t *testing.T) {
	p := newProject(t, map[string]string{"0002_item_note": migration("0001_initial", addNote, true)})
	withAppOptions(t, p)
	migs := p.migrations(t)
	log := newLineLog(t)
	r := p.runner(log)
	r.Settings = "proj.settings"
	res, err := probe(t, r, migs, log)
	if err != nil || res.Skipped || res.Session == nil {
		t.Fatalf("Probe = %+v, %v; want verified", res, err)
	}
	out := log.String()
	for _, want := range []string{
		`pre-flight verified (session pid=`,
		`in effect (read back): lock_timeout=100ms statement_timeout=10m0s application_name="zdcd-migrate"`,
		"overridden at connect: lock_timeout=0 (none) from the connection's startup options",
		"settings module proj.settings",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if strings.Contains(out, "Applying") || strings.Contains(out, "Operations to perform") {
		t.Errorf("migrate went past its first connection:\n%s", out)
	}
	p.untouched(t)

	// The release goes on: the real run applies it.
	run, err := await(t, start(context.Background(), r, migs), log)
	if err != nil || run.Kind != KindOK || !p.applied(t, "0002_item_note") {
		t.Fatalf("Run after the probe: %v (kind %q)", err, run.Kind)
	}
}

func TestProbeRefusesBeforeTouchingAnything(t *testing.T) {
	tests := []struct {
		name string
		// command builds ZDCD_MIGRATE_COMMAND in the project p.
		command func(t *testing.T, p *project) string
		want    []string
	}{
		// -E: Python ignores PYTHONPATH; Django starts without the guard and waits at the gate.
		{"python -E", func(t *testing.T, p *project) string { return "python -E manage.py migrate --noinput" },
			[]string{"did not run zdcd's session guard"}},
		// -S: no site module, so no sitecustomize (and, with Debian's Django in dist-packages,
		// no Django either): refused whichever way it goes.
		{"python -S", func(t *testing.T, p *project) string { return "python -S manage.py migrate --noinput" },
			[]string{"ZDCD_MIGRATE_COMMAND"}},
		{"wrapper resetting PYTHONPATH", func(t *testing.T, p *project) string {
			return p.wrapper(t, "migrate.sh", "unset PYTHONPATH\nexec "+testenv.Python()+` manage.py migrate "$@"`) + " --noinput"
		}, []string{"did not run zdcd's session guard"}},
		{"wrapper exporting other settings", func(t *testing.T, p *project) string {
			p.otherSettings(t, "")
			return p.wrapper(t, "migrate.sh", "export DJANGO_SETTINGS_MODULE=proj.other_settings\nexec "+testenv.Python()+` manage.py migrate "$@"`) + " --noinput"
		}, []string{`settings module "proj.other_settings"`, `"proj.settings"`, "DJANGO_SETTINGS_MODULE"}},
		{"--settings in the command", func(t *testing.T, p *project) string {
			p.otherSettings(t, "")
			return "python manage.py migrate --settings=proj.other_settings --noinput"
		}, []string{`settings module "proj.other_settings"`, `"proj.settings"`}},
		{"settings naming another database", func(t *testing.T, p *project) string {
			other := pgtest.NewDatabase(t)
			return p.wrapper(t, "migrate.sh", "export DATABASE_URL='"+other+"'\nexec "+testenv.Python()+` manage.py migrate "$@"`) + " --noinput"
		}, []string{`reached database "`, "make the settings' DATABASES[\"default\"] read DATABASE_URL"}},
		{"wrapper that never starts Django", func(t *testing.T, p *project) string {
			return p.wrapper(t, "migrate.sh", `echo "migrating $*"`)
		}, []string{"exited (status 0) without opening a database session", "exec python manage.py migrate"}},
		{"command failing before its first connection", func(t *testing.T, p *project) string {
			return "python manage.py migrate --no-such-option"
		}, []string{"failed (exit status 2", "without opening a database session"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProject(t, map[string]string{"0002_item_note": migration("0001_initial", addNote, true)})
			migs := p.migrations(t)
			log := newLineLog(t)
			r := p.runner(log)
			r.Settings = "proj.settings"
			r.Command = tt.command(t, p)
			res, err := probe(t, r, migs, log)
			if !errors.Is(err, ErrSessionUnverified) || res != nil {
				t.Fatalf("Probe = %+v, %v; want ErrSessionUnverified", res, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(log.String(), "pre-flight verified") {
				t.Error("log says verified")
			}
			p.untouched(t)
		})
	}
}

// A mismatch of settings module is caught at run time too, before the first DDL.
func TestRunRefusesAnotherSettingsModule(t *testing.T) {
	p := newProject(t, map[string]string{"0002_item_note": migration("0001_initial", addNote, true)})
	p.otherSettings(t, "")
	migs := p.migrations(t)
	log := newLineLog(t)
	r := p.runner(log)
	r.Settings = "proj.settings"
	r.Command = "python manage.py migrate --settings=proj.other_settings --noinput"
	res, err := await(t, start(context.Background(), r, migs), log)
	if !errors.Is(err, ErrSessionUnverified) || len(res.Applied) != 0 {
		t.Fatalf("Run: %v, applied %v; want ErrSessionUnverified, nothing applied", err, res.Applied)
	}
	if !strings.Contains(err.Error(), `settings module "proj.other_settings"`) {
		t.Errorf("error %q does not name the module", err)
	}
	p.untouched(t)
}

// The command gets the plan's settings module, over manage.py's setdefault.
func TestRunGivesTheCommandThePlansSettings(t *testing.T) {
	p := newProject(t, map[string]string{"0002_item_note": migration("0001_initial", addNote, true)})
	p.otherSettings(t, "")
	migs := p.migrations(t)
	log := newLineLog(t)
	r := p.runner(log)
	r.Settings = "proj.other_settings"
	res, err := probe(t, r, migs, log)
	if err != nil || res.Session == nil || res.Session.Settings != "proj.other_settings" {
		t.Fatalf("Probe = %+v, %v; want proj.other_settings verified", res, err)
	}
}

func TestProbeIsBounded(t *testing.T) {
	p := newProject(t, map[string]string{"0002_item_note": migration("0001_initial", addNote, true)})
	migs := p.migrations(t)
	log := newLineLog(t)
	r := p.runner(log)
	r.Command = p.wrapper(t, "slow.sh", "exec sleep 60")
	r.ProbeTimeout = time.Second
	started := time.Now()
	_, err := probe(t, r, migs, log)
	if !errors.Is(err, ErrSessionUnverified) || !strings.Contains(err.Error(), "opened no database session through Django within 1s") {
		t.Fatalf("Probe: %v; want the bound", err)
	}
	if d := time.Since(started); d > 30*time.Second {
		t.Errorf("the probe took %s: the command was not killed", d)
	}
}

func TestProbeSkipsTheFirstDeploy(t *testing.T) {
	p := newProject(t, nil)
	migs := p.migrations(t)
	log := newLineLog(t)
	r := p.runner(log)
	r.ConnString = pgtest.NewDatabase(t) // no django_migrations
	r.Env = append(append([]string(nil), p.env...), "DATABASE_URL="+r.ConnString)
	fake := []Migration{{}}
	if len(migs) > 0 {
		fake = migs
	}
	res, err := probe(t, r, fake, log)
	if err != nil || !res.Skipped {
		t.Fatalf("Probe = %+v, %v; want skipped", res, err)
	}
	if !strings.Contains(log.String(), "pre-flight skipped: no django_migrations table yet (first deploy)") {
		t.Error("the log does not say why it was skipped")
	}
}
