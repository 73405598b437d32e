package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// The pre-flight check (internal/migrate/probe.go): before the maintenance window and the backup,
// the release runs the migrate command in probe mode and refuses, with nothing touched, a command
// whose sessions zdcd cannot verify; the nightly run does the same before maintenance mode.

// pfWrapper is a migrate wrapper script at the app's root; ZDCD_MIGRATE_COMMAND runs it with sh.
const pfWrapper = "migrate.sh"

// pfApproved is the unsafe accounts.0004 (a NOT NULL column), approved with ZDCD_ALLOW: a plan the
// release applies behind maintenance mode, with the workers stopped, after a backup.
const pfApproved = "accounts.0004_customer_is_vip"

// pfUntouched checks that the release did nothing to the app or the database: no backup, no
// maintenance or scale request, the same applied migrations, and a ledger run that failed with exit
// 2 without marking anything migrated.
func pfUntouched(e *hkEnv, dir string, applied []string) {
	e.t.Helper()
	if n := len(e.transfers("backup")); n != 0 {
		e.t.Errorf("%d backup(s) captured before the refusal", n)
	}
	if n := len(e.srv.RequestsMatching(http.MethodPatch, "/apps/*")) + len(e.srv.RequestsMatching(http.MethodPatch, "/apps/*/formation/*")); n != 0 {
		e.t.Errorf("%d PATCH request(s) (maintenance, scale) before the refusal", n)
	}
	if e.srv.Maintenance(e.app) {
		e.t.Error("maintenance mode is on")
	}
	if f := e.srv.Formation(e.app); f["worker"] != 2 {
		e.t.Errorf("formation = %v: the workers were touched", f)
	}
	if got := e.query(hkApplied); strings.Join(got, ",") != strings.Join(applied, ",") {
		e.t.Errorf("applied migrations changed:\n%v\n%v", applied, got)
	}
	if cols := e.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts_customer' AND column_name IN ('phone', 'is_vip')"); len(cols) != 0 {
		e.t.Errorf("columns %v added: a DDL ran", cols)
	}
	if run := e.newestRun(dir); run["outcome"] != "failed" || run["exit_code"] != float64(2) {
		e.t.Errorf("ledger run = %v, want failed with exit 2", run)
	}
}

// TestPreflightRefusesUnguardedCommandBeforeBackup: a migrate command that does not load zdcd's
// session guard is refused before the window and the backup, exit 2.
func TestPreflightRefusesUnguardedCommandBeforeBackup(t *testing.T) {
	tests := []struct {
		name, command string
		wrapper       string
		want          []string
	}{
		// -S: no site module, so no sitecustomize; with Debian's Django in dist-packages, no
		// Django either: the command ends without ever opening a session.
		{"python -S", "python -S manage.py migrate --noinput", "",
			[]string{"without opening a database session through Django", "-S manage.py migrate --noinput", "without -I, -S or -E"}},
		// A wrapper that resets PYTHONPATH: Django starts without the guard and waits at the gate.
		{"wrapper resetting PYTHONPATH", "sh " + pfWrapper + " --noinput", "unset PYTHONPATH\nexec \"$ZDCD_PYTHON\" manage.py migrate \"$@\"\n",
			[]string{"did not run zdcd's session guard", "without -I, -S or -E and without a wrapper that resets PYTHONPATH"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := hkStart(t, []string{"zdcd-pf-s", "zdcd-pf-wrap"}[i], map[string]string{
				"ZDCD_MIGRATE_COMMAND": tt.command,
				"ZDCD_ALLOW":           pfApproved,
			})
			applied := e.query(hkApplied)
			extra := map[string]string{}
			if tt.wrapper != "" {
				extra[pfWrapper] = tt.wrapper
			}
			dir := e.version(hkKeep("accounts/0003", "accounts/0004"), extra)
			rel := e.deploy(dir)
			if rel.Status != "failed" || rel.Current {
				t.Fatalf("release v%d %s (current %v), want refused:\n%s", rel.Version, rel.Status, rel.Current, rel.Output)
			}
			hkContainsAll(t, "release output", rel.Output, append([]string{
				"Pre-flight:",
				"Nothing was changed: no backup, no maintenance mode, no migration",
				"refused before anything was touched",
			}, tt.want...)...)
			for _, never := range []string{"Backing up the database", "maintenance mode on", "Migrating:"} {
				if strings.Contains(rel.Output, never) {
					t.Errorf("release output has %q: the refusal came too late", never)
				}
			}
			pfUntouched(e, dir, applied)
			hkAssertNoSecrets(e)
		})
	}
}

// TestPreflightRefusesWrapperWithOtherSettings: a wrapper that exports another
// DJANGO_SETTINGS_MODULE than the one zdcd planned with is refused before the backup, naming both.
func TestPreflightRefusesWrapperWithOtherSettings(t *testing.T) {
	e := hkStart(t, "zdcd-pf-settings", map[string]string{"ZDCD_MIGRATE_COMMAND": "sh " + pfWrapper + " --noinput"})
	applied := e.query(hkApplied)
	dir := e.version(hkKeep("accounts/0003"), map[string]string{
		"sampleproject/settings_other.py": "from sampleproject.settings import *  # noqa: F401,F403\n",
		pfWrapper:                         "export DJANGO_SETTINGS_MODULE=sampleproject.settings_other\nexec \"$ZDCD_PYTHON\" manage.py migrate \"$@\"\n",
	})
	rel := e.deploy(dir)
	if rel.Status != "failed" || rel.Current {
		t.Fatalf("release v%d %s (current %v), want refused:\n%s", rel.Version, rel.Status, rel.Current, rel.Output)
	}
	hkContainsAll(t, "release output", rel.Output,
		"Pre-flight:", "with settings sampleproject.settings",
		`the migrate command runs Django with the settings module "sampleproject.settings_other", but zdcd computed and judged the plan with "sampleproject.settings"`,
		"a wrapper script that exports another one",
		"set the DJANGO_SETTINGS_MODULE config var")
	if strings.Contains(rel.Output, "Backing up the database") {
		t.Error("the backup ran before the refusal")
	}
	pfUntouched(e, dir, applied)
	hkAssertNoSecrets(e)
}

// TestPreflightNormalReleaseApplies: a release with the default command passes the pre-flight,
// says what is in effect, and then backs up and migrates as always.
func TestPreflightNormalReleaseApplies(t *testing.T) {
	e := hkStart(t, "zdcd-pf-ok", nil)
	dir := e.version(hkKeep("accounts/0003"), nil)
	rel := e.deploy(dir)
	if rel.Status != "succeeded" || !rel.Current {
		t.Fatalf("release v%d %s (current %v):\n%s", rel.Version, rel.Status, rel.Current, rel.Output)
	}
	hkContainsAll(t, "release output", rel.Output,
		"Pre-flight:",
		`pre-flight verified (session pid=`,
		`in effect (read back): lock_timeout=100ms`,
		`application_name="zdcd-migrate"`,
		"settings module sampleproject.settings",
		"Backing up the database", "Applied 1 migration(s)")
	pre, backup := strings.Index(rel.Output, "pre-flight verified"), strings.Index(rel.Output, "Backing up the database")
	if pre < 0 || backup < 0 || pre > backup {
		t.Errorf("the pre-flight line (at %d) does not come before the backup (at %d)", pre, backup)
	}
	if got := e.query("SELECT name FROM django_migrations WHERE app = 'accounts' ORDER BY id"); strings.Join(got, ",") != "0001_initial,0002_customer_nickname,0003_customer_phone_ordering" {
		t.Errorf("accounts applied = %v", got)
	}
	if run := e.newestRun(dir); run["outcome"] != "applied" || run["exit_code"] != float64(0) {
		t.Errorf("ledger run = %v, want applied", run)
	}
	hkAssertNoSecrets(e)
}

// TestPreflightNightlyRefusesBeforeMaintenance: the nightly run checks the migrate command before
// it switches maintenance mode on; a command without the guard is refused there, exit 2, and the
// refusal still waits for a later window.
func TestPreflightNightlyRefusesBeforeMaintenance(t *testing.T) {
	e := hkStart(t, "zdcd-pf-nightly", nil)
	dir := ntUnsafe(e)
	refused, _ := ntRefuse(e, dir)
	before, _, _ := ntCurrent(e)
	applied := e.query(hkApplied)
	e.srv.ResetRequests()

	r := ntNightly(e, dir, "ZDCD_MIGRATE_COMMAND=python -E manage.py migrate --noinput")
	if r.code != 2 {
		t.Fatalf("nightly: want exit 2: %s", r)
	}
	hkContainsAll(t, "nightly output", r.stdout+r.stderr,
		"Pre-flight:", "did not run zdcd's session guard",
		"Nothing was changed: maintenance mode was not switched on")
	if strings.Contains(r.stdout, "Maintenance mode on.") {
		t.Error("maintenance mode was switched on")
	}
	for _, req := range e.srv.Requests() {
		if req.Method != http.MethodGet {
			t.Errorf("nightly refused in pre-flight sent %s %s", req.Method, req.Path)
		}
	}
	if cur, _, _ := ntCurrent(e); cur != before {
		t.Errorf("current release v%d, want v%d: a release was created", cur, before)
	}
	if got := e.query(hkApplied); strings.Join(got, ",") != strings.Join(applied, ",") {
		t.Errorf("applied migrations changed:\n%v\n%v", applied, got)
	}
	if run := ntNewestNightly(e, dir); run["outcome"] != "failed" || run["exit_code"] != float64(2) {
		t.Errorf("nightly run = %v, want failed with exit 2", run)
	}
	if got := e.query("SELECT count(*) FROM zdcd_ledger.approvals"); len(got) != 1 || got[0] != "0" {
		t.Errorf("approvals = %v, want none recorded", got)
	}
	// The refusal is not superseded: a later window ships it once the command is fixed.
	if n := e.query(fmt.Sprintf("SELECT count(*) FROM zdcd_ledger.runs WHERE release_version = %d AND outcome = 'refused' AND superseded_at IS NULL", refused)); len(n) != 1 || n[0] != "1" {
		t.Errorf("refused run of v%d: %v, want still pending", refused, n)
	}
	hkAssertNoSecrets(e)
}
