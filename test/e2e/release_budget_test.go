package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/herokufake"
)

// The time budget (docs/release.md, "Time budget"), through the local Heroku and the binary as
// Heroku runs it. Transfers of a 3 GB-class database are simulated: the real pg_dump or
// pg_restore runs, then the transfer reports 3 GB processed progressively over a few seconds
// (herokufake.TransferSim).

const gb3 = 3 << 30

// cancelTransfer cancels a running transfer through the Data API, as `heroku pg:backups:cancel`
// does, so that a test does not wait for a simulation it no longer needs.
func (e *hkEnv) cancelTransfer(uuid string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.base+"/client/v11/apps/"+e.app+"/transfers/"+uuid+"/actions/cancel", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+hkToken)
	req.Header.Set("Accept", "application/vnd.heroku+json; version=3")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("cancel transfer %s: %s", uuid, resp.Status)
	}
}

var runningLineRe = regexp.MustCompile(`(?m)^       b\d{3}: running, processed [0-9.]+ [kMG]?B of 3\.0 GB \(\d+%\)(, [0-9.]+ [kMG]?B/s)?, \d+s elapsed$`)

// A backup that takes several times ZDCD_API_TIMEOUT but fits the release's budget completes,
// with progress lines in the release output; the migration then runs.
func TestHerokuLargeBackupOutlivesTheAPITimeout(t *testing.T) {
	e := hkStart(t, "zdcd-large-backup", map[string]string{"ZDCD_API_TIMEOUT": "2s"})
	dir := e.version(hkKeep("accounts/0003"), nil)
	e.srv.SimulateLargeTransfers(herokufake.TransferSim{SourceBytes: gb3, Duration: 7 * time.Second, Kind: "backup"})

	rel := e.deploy(dir)
	if rel.Status != "succeeded" {
		t.Fatalf("release v%d %s, want succeeded:\n%s", rel.Version, rel.Status, rel.Output)
	}
	backups := e.transfers("backup")
	if len(backups) != 1 || !backups[0].Succeeded {
		t.Fatalf("backups = %+v, want one that succeeded", backups)
	}
	name := fmt.Sprintf("b%03d", backups[0].Num)
	// ZDCD_API_POLL_INTERVAL=100ms: a progress line at most every second while it runs.
	if n := len(runningLineRe.FindAllString(rel.Output, -1)); n < 3 {
		t.Errorf("%d progress lines while the 7s backup ran, want at least 3 (one per second):\n%s", n, rel.Output)
	}
	hkContainsAll(t, "release output", rel.Output, name+": completed, 3.0 GB in ", "Backup "+name+" done", "Applied 1 migration(s)")
	if run := e.newestRun(dir); run["outcome"] != "applied" || run["backup_id"] != name {
		t.Errorf("ledger run = %v, want applied with backup %s", run, name)
	}
	hkAssertNoSecrets(e)
}

// A capture refused while the daily scheduled backup runs waits for it, says so, and captures.
func TestHerokuCaptureWaitsForTheScheduledBackup(t *testing.T) {
	e := hkStart(t, "zdcd-scheduled", nil)
	dir := e.version(hkKeep("accounts/0003"), nil)
	sched, err := e.srv.StartScheduledBackup(e.app, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rel := e.deploy(dir)
	if rel.Status != "succeeded" {
		t.Fatalf("release v%d %s, want succeeded:\n%s", rel.Version, rel.Status, rel.Output)
	}
	hkContainsAll(t, "release output", rel.Output,
		"waiting for scheduled backup "+sched+" to finish (running, processed ",
		sched+": completed", "Applied 1 migration(s)")
	var ours []herokufake.TransferStatus
	for _, b := range e.transfers("backup") {
		if fmt.Sprintf("a%03d", b.Num) != sched {
			ours = append(ours, b)
		}
	}
	if len(ours) != 1 || !ours[0].Succeeded {
		t.Fatalf("backups besides %s = %+v, want one that succeeded", sched, ours)
	}
	if n := len(e.srv.RequestsMatching(http.MethodPost, "/client/v11/databases/*/backups")); n != 2 {
		t.Errorf("%d capture POSTs, want 2: refused while %s ran, then accepted", n, sched)
	}
	hkAssertNoSecrets(e)
}

// A backup still running when the forward budget (ZDCD_RELEASE_DEADLINE less the recovery
// reserve) ends stops the release before any migration: exit 3, nothing changed, the backup not
// called failed, and what to do.
func TestHerokuBackupOutlivesTheBudget(t *testing.T) {
	e := hkStart(t, "zdcd-backup-budget", nil)
	appliedBefore := e.query(hkApplied)
	dir := e.version(hkKeep("accounts/0003"), nil)
	e.srv.SimulateLargeTransfers(herokufake.TransferSim{SourceBytes: gb3, Duration: 2 * time.Minute, Kind: "backup"})

	// 21s from the start, 7s of which are kept for recovery: the backup has until 14s (the plan
	// takes a few seconds before it, more on a loaded machine).
	r := e.run(dir, e.directEnv("ZDCD_RELEASE_DEADLINE=21s"), "release")
	backups := e.transfers("backup")
	if len(backups) == 1 && !backups[0].Finished {
		e.cancelTransfer(backups[0].UUID)
	}
	e.srv.Wait()
	if r.code != 3 {
		t.Errorf("exit %d, want 3", r.code)
	}
	if len(backups) != 1 || backups[0].Finished {
		t.Fatalf("backups = %+v, want one still running when the release ended", backups)
	}
	name := fmt.Sprintf("b%03d", backups[0].Num)
	out := r.stdout + r.stderr
	hkContainsAll(t, "output", out,
		"backup "+name+" still running on Heroku after",
		"of 3.0 GB",
		"It did not fail: Heroku finishes it on its own. No migration ran",
		"heroku pg:backups:info "+name+" --app "+e.app,
		"heroku releases:retry --app "+e.app,
		"ZDCD_RELEASE_DEADLINE=21s")
	if strings.Contains(out, "backup failed") {
		t.Errorf("the running backup is called failed:\n%s", out)
	}
	hkEqual(t, "django_migrations", e.query(hkApplied), appliedBefore)
	if run := e.newestRun(dir); run["outcome"] != "interrupted" || run["exit_code"] != float64(3) {
		t.Errorf("ledger run = %v, want interrupted, exit 3", run)
	}
	hkAssertNoSecrets(e)
}

// A restore still running on Heroku at the release deadline is never reported failed: the exit-4
// statement says Heroku still restores, its live state, and what to run.
func TestHerokuRestoreOutlivesTheDeadline(t *testing.T) {
	e := hkStart(t, "zdcd-restore-budget", nil)
	e.seed()
	dir := hkNightlyFailure(e)
	e.srv.SimulateLargeTransfers(herokufake.TransferSim{SourceBytes: gb3, Duration: 2 * time.Minute, Kind: "restore"})

	// The forward work (plan, backup, the failing migration) has until 24s, the restore until 36s.
	r := e.run(dir, e.directEnv("NIGHTLY_BUILD=true", "ZDCD_RELEASE_DEADLINE=36s"), "release")
	restores := e.transfers("restore")
	if len(restores) == 1 && !restores[0].Finished {
		e.cancelTransfer(restores[0].UUID)
	}
	e.srv.Wait()
	if r.code != 4 {
		t.Errorf("exit %d, want 4", r.code)
	}
	if len(restores) != 1 || restores[0].Finished {
		t.Fatalf("restores = %+v, want one still running when the release ended", restores)
	}
	name := fmt.Sprintf("r%03d", restores[0].Num)
	out := r.stdout + r.stderr
	hkContainsAll(t, "output", out,
		"RECOVERY NOT FINISHED (the restore is still running on Heroku): a human must act.",
		"restore "+name+" still running on Heroku after",
		"of 3.0 GB",
		"it has not failed",
		"Database:  being restored: restore "+name,
		"heroku pg:backups:info "+name+" --app "+e.app+"   # wait until it says Completed",
		"heroku pg:backups:cancel "+name+" --app "+e.app,
		"maintenance mode is ON (switched on by zdcd)",
		"heroku maintenance:off --app "+e.app)
	for _, wrong := range []string{"RECOVERY FAILED", "Database:  NOT restored", "partly restored: Heroku reports the restore", "did not finish: failed"} {
		if strings.Contains(out, wrong) {
			t.Errorf("the running restore is reported as failed (%q):\n%s", wrong, out)
		}
	}
	hkAssertNoSecrets(e)
}

// hkSlowMigration depends on accounts.0003 (backward compatible) and runs for two minutes (RunSQL
// the rules cannot judge: approved with ZDCD_ALLOW).
const hkSlowMigration = `from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_customer_phone_ordering'),
    ]

    operations = [
        migrations.RunSQL("SELECT pg_sleep(120)", migrations.RunSQL.noop),
    ]
`

// A migrate command still running when the forward budget ends is stopped there, as by Heroku's
// SIGTERM, and recovered with the time kept in reserve: here only a backward-compatible migration
// was applied, so no restore is needed (exit 3).
func TestHerokuMigrationStoppedAtTheBudget(t *testing.T) {
	e := hkStart(t, "zdcd-migrate-budget", nil)
	dir := e.version(hkKeep("accounts/0003"), map[string]string{"accounts/migrations/0004_slow.py": hkSlowMigration})

	start := time.Now()
	r := e.run(dir, e.directEnv("ZDCD_RELEASE_DEADLINE=24s", "ZDCD_ALLOW=accounts.0004_slow"), "release")
	if d := time.Since(start); d > 23*time.Second {
		t.Errorf("the release took %s: the migrate command was not stopped at 16s (24s less the 8s reserve)", d)
	}
	if r.code != 3 {
		t.Errorf("exit %d, want 3", r.code)
	}
	out := r.stdout + r.stderr
	hkContainsAll(t, "output", out,
		"The migration was stopped at the release's time budget (ZDCD_RELEASE_DEADLINE less the recovery reserve)",
		"Every one of them is backward compatible")
	if got := e.query("SELECT name FROM django_migrations WHERE app = 'accounts' ORDER BY id"); strings.Join(got, ",") != "0001_initial,0002_customer_nickname,0003_customer_phone_ordering" {
		t.Errorf("accounts applied = %v, want up to 0003 (0004 stopped)", got)
	}
	if run := e.newestRun(dir); run["outcome"] != "interrupted" || run["exit_code"] != float64(3) {
		t.Errorf("ledger run = %v, want interrupted, exit 3", run)
	}
	hkAssertNoSecrets(e)
}
