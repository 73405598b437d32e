package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/herokufake"
)

// Heroku's Fir generation has no maintenance mode: the app's generation is read once at the start
// of every command that uses the Platform API, and what needs the maintenance window is refused
// up front. The app is created as Cedar with its baseline deployed (hkStart), then made Fir.

// firLine is what every command prints first on a Fir app.
const firLine = "runs on Heroku's Fir generation (generation fir, stack cnb), which has no maintenance mode yet."

// firStart is hkStart on an app then made Fir.
func firStart(t *testing.T, app string, extra map[string]string) *hkEnv {
	t.Helper()
	e := hkStart(t, app, extra)
	if err := e.srv.SetGeneration(app, "fir"); err != nil {
		t.Fatal(err)
	}
	return e
}

// firGenerationReads counts the reads of the app's generation (the 3.sdk Accept variant).
func firGenerationReads(e *hkEnv) int {
	n := 0
	for _, r := range e.srv.RequestsMatching(http.MethodGet, "/apps/"+e.app) {
		if strings.HasSuffix(r.Header.Get("Accept"), "version=3.sdk") {
			n++
		}
	}
	return n
}

// firNoMaintenanceSwitch checks zdcd never asked Heroku to switch maintenance mode nor to scale.
func firNoMaintenanceSwitch(e *hkEnv) {
	e.t.Helper()
	for _, p := range []string{"/apps/" + e.app, "/apps/" + e.app + "/formation/*", "/apps/" + e.app + "/formation"} {
		if n := len(e.srv.RequestsMatching(http.MethodPatch, p)); n != 0 {
			e.t.Errorf("%d PATCH %s on a Fir app", n, p)
		}
	}
	if f := e.srv.Formation(e.app); f["worker"] != 2 || f["web"] != 1 {
		e.t.Errorf("formation = %v, want web=1 worker=2 untouched", f)
	}
}

// TestFirSafePlanDeploys: on Fir a plan the old release survives deploys as on Cedar (backup,
// migrate), after one read of the generation and without any maintenance switch.
func TestFirSafePlanDeploys(t *testing.T) {
	e := firStart(t, "zdcd-fir-safe", nil)
	dir := e.version(hkKeep("accounts/0003"), nil)

	rel := e.deploy(dir)
	if rel.Status != "succeeded" || !rel.Current {
		t.Fatalf("release v%d %s (current %v):\n%s", rel.Version, rel.Status, rel.Current, rel.Output)
	}
	hkContainsAll(t, "release output", rel.Output, "zdcd-fir-safe "+firLine, "Plans the old release survives deploy as usual",
		"Backing up the database", "Applied 1 migration(s)")
	if i, j := strings.Index(rel.Output, firLine), strings.Index(rel.Output, "Backing up"); i < 0 || j < i {
		t.Errorf("the Fir line does not come first:\n%s", rel.Output)
	}
	if n := firGenerationReads(e); n != 1 {
		t.Errorf("%d reads of the generation in one release, want 1", n)
	}
	if b := e.transfers("backup"); len(b) != 1 || !b[0].Succeeded {
		t.Errorf("backups = %+v, want one", b)
	}
	firNoMaintenanceSwitch(e)
	if run := e.newestRun(dir); run["outcome"] != "applied" || run["exit_code"] != float64(0) {
		t.Errorf("ledger run = %v, want applied", run)
	}
	hkAssertNoSecrets(e)
}

// TestFirWindowPlanRefused: on Fir a plan that needs the maintenance window (an approved
// migration the old release may not survive, ZDCD_MAINTENANCE=unsafe) is refused before any
// backup or change, exit 1; ZDCD_MAINTENANCE=recovery, named in the log, applies it under live
// traffic.
func TestFirWindowPlanRefused(t *testing.T) {
	e := firStart(t, "zdcd-fir-window", map[string]string{"NIGHTLY_BUILD": "true"})
	appliedBefore := e.query(hkApplied)
	dir := e.version(hkKeep("accounts/0003", "accounts/0004"), nil)

	rel := e.deploy(dir)
	if rel.Status != "failed" || rel.Current {
		t.Fatalf("release v%d %s (current %v), want refused:\n%s", rel.Version, rel.Status, rel.Current, rel.Output)
	}
	hkContainsAll(t, "release output", rel.Output, firLine,
		"Refused on Fir: accounts.0004_customer_is_vip may break the old release",
		"Nothing was changed: no backup, no migration",
		"ZDCD_MAINTENANCE=recovery",
		"zdcd-release: refused on Fir: accounts.0004_customer_is_vip needs the maintenance window")
	for _, not := range []string{"Backing up", "Migrating", "maintenance mode on and workers stopped", "in the maintenance window"} {
		if strings.Contains(rel.Output, not) {
			t.Errorf("release output says %q: the refusal was not up front:\n%s", not, rel.Output)
		}
	}
	if n := len(e.srv.Transfers(e.app)); n != 0 {
		t.Errorf("%d transfers: a backup was taken before the refusal", n)
	}
	firNoMaintenanceSwitch(e)
	hkEqual(t, "django_migrations", e.query(hkApplied), appliedBefore)
	run := e.newestRun(dir)
	if run["outcome"] != "refused" || run["exit_code"] != float64(1) || run["release_version"] != float64(rel.Version) {
		t.Errorf("ledger run = %v, want refused, exit 1", run)
	}

	// The explicit way through: ZDCD_MAINTENANCE=recovery applies it under live traffic.
	r := e.run(dir, e.directEnv("NIGHTLY_BUILD=true", "ZDCD_MAINTENANCE=recovery"), "release")
	if r.code != 0 {
		t.Fatalf("release with ZDCD_MAINTENANCE=recovery: %s", r)
	}
	hkContainsAll(t, "release output", r.stdout, firLine,
		"Fir, ZDCD_MAINTENANCE=recovery: applying accounts.0004_customer_is_vip under live traffic, without maintenance mode",
		"Applied 2 migration(s)")
	firNoMaintenanceSwitch(e)
	if got := e.query("SELECT name FROM django_migrations WHERE app = 'accounts' ORDER BY id"); strings.Join(got, ",") != "0001_initial,0002_customer_nickname,0003_customer_phone_ordering,0004_customer_is_vip" {
		t.Errorf("accounts applied = %v", got)
	}
	hkAssertNoSecrets(e)
}

// TestFirFailureNotRestoredUnderLiveTraffic: with ZDCD_MAINTENANCE=recovery on Fir, a failure
// after a migration the old release may not survive is not restored under live traffic: exit 4,
// the statement says why and what to do, and never suggests maintenance mode.
func TestFirFailureNotRestoredUnderLiveTraffic(t *testing.T) {
	e := firStart(t, "zdcd-fir-fail", nil)
	dir := hkNightlyFailure(e)

	r := e.run(dir, e.directEnv("NIGHTLY_BUILD=true", "ZDCD_MAINTENANCE=recovery"), "release")
	if r.code != 4 {
		t.Fatalf("release: %s\nwant exit 4", r)
	}
	hkContainsAll(t, "release output", r.stdout, firLine,
		"division by zero",
		"RECOVERY FAILED: a human must act.",
		"Heroku's Fir generation has no maintenance mode, so the backup was not restored under live traffic",
		"Database:  NOT restored",
		"heroku pg:backups:restore")
	if strings.Contains(r.stdout, "heroku maintenance:on") {
		t.Errorf("the statement suggests maintenance mode on a Fir app:\n%s", r.stdout)
	}
	if n := len(e.transfers("restore")); n != 0 {
		t.Errorf("%d restores under live traffic", n)
	}
	firNoMaintenanceSwitch(e)
	hkAssertNoSecrets(e)
}

// TestFirRefusalWithoutPreflight: when the generation cannot be read, the release goes on as on
// Cedar; Heroku's refusal of the maintenance switch then refuses the plan plainly (exit 1,
// nothing changed), not as a generic API error.
func TestFirRefusalWithoutPreflight(t *testing.T) {
	e := firStart(t, "zdcd-fir-blind", map[string]string{"NIGHTLY_BUILD": "true"})
	appliedBefore := e.query(hkApplied)
	dir := e.version(hkKeep("accounts/0003", "accounts/0004"), nil)

	// The generation read (the release's first GET of the app) fails through its retries.
	e.srv.InjectFault(herokufake.Fault{Method: http.MethodGet, Path: "/apps/" + e.app, Status: 503, RetryAfter: "1", Count: 5})
	r := e.run(dir, e.directEnv("NIGHTLY_BUILD=true"), "release")
	if r.code != 1 {
		t.Fatalf("release: %s\nwant exit 1", r)
	}
	hkContainsAll(t, "release output", r.stdout+r.stderr,
		"warning: could not read the generation of zdcd-fir-blind",
		"Heroku refused to switch maintenance mode on",
		"422",
		"Refused on Fir: accounts.0004_customer_is_vip may break the old release",
		"zdcd-release: refused on Fir")
	if strings.Contains(r.stdout, "Backing up") || len(e.srv.Transfers(e.app)) != 0 {
		t.Errorf("a backup was taken:\n%s", r.stdout)
	}
	if f := e.srv.Formation(e.app); f["worker"] != 2 {
		t.Errorf("formation = %v, want worker=2 untouched", f)
	}
	if e.srv.Maintenance(e.app) {
		t.Error("maintenance mode is on")
	}
	hkEqual(t, "django_migrations", e.query(hkApplied), appliedBefore)
	hkAssertNoSecrets(e)
}

// TestFirNightlyRefused: `zdcd-release nightly` on a Fir app stops up front with one line, exit 2,
// before the database: no ledger run, nothing asked of Heroku but the app's generation.
func TestFirNightlyRefused(t *testing.T) {
	e := firStart(t, "zdcd-fir-nightly", nil)
	dir := ntUnsafe(e)
	// The release phase refuses the unsafe plan as on Cedar, without offering the nightly window.
	rel := e.deploy(dir)
	if rel.Status != "failed" {
		t.Fatalf("release v%d %s, want refused:\n%s", rel.Version, rel.Status, rel.Output)
	}
	hkContainsAll(t, "release output", rel.Output, firLine, "Refused: 1 of 2 pending migrations", "not the nightly maintenance window: this Fir app has no maintenance mode")
	if strings.Contains(rel.Output, "Heroku Scheduler runs `zdcd-release nightly`") {
		t.Errorf("the refusal on Fir offers the nightly window:\n%s", rel.Output)
	}
	runsBefore := len(e.history(dir))
	e.srv.ResetRequests()

	r := ntNightly(e, dir)
	if r.code != 2 {
		t.Fatalf("nightly: %s\nwant exit 2", r)
	}
	hkContainsAll(t, "nightly output", r.stdout, firLine, "The nightly window needs maintenance mode")
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "zdcd-release: nightly: zdcd-fir-nightly runs on Heroku's Fir generation") ||
		!strings.Contains(lines[0], "Remove this Scheduler job") {
		t.Errorf("stderr = %q, want one line naming Fir and the fix", r.stderr)
	}
	for _, req := range e.srv.Requests() {
		if req.Method != http.MethodGet || req.Path != "/apps/"+e.app {
			t.Errorf("nightly on Fir sent %s %s", req.Method, req.Path)
		}
	}
	if n := firGenerationReads(e); n != 1 {
		t.Errorf("%d reads of the generation, want 1", n)
	}
	if n := len(e.history(dir)); n != runsBefore {
		t.Errorf("the ledger has %d runs, %d before: nightly on Fir touched the database", n, runsBefore)
	}
	hkAssertNoSecrets(e)
}

// TestFirRollbackNeedingRestoreRefused: on Fir, rolling back over a migration the old code cannot
// run against needs a restore behind maintenance mode: refused up front, exit 1, dry run or not,
// nothing asked of Heroku but reads.
func TestFirRollbackNeedingRestoreRefused(t *testing.T) {
	e := hkStart(t, "zdcd-fir-rollback", nil)
	base, _ := e.currentRelease()
	nightly := "true"
	if err := e.srv.SetConfigVars(e.app, map[string]*string{"NIGHTLY_BUILD": &nightly}); err != nil {
		t.Fatal(err)
	}
	// Applied while the app was Cedar, behind maintenance mode.
	if rel := e.deploy(e.version(hkKeep("accounts/0003", "accounts/0004"), nil)); rel.Status != "succeeded" {
		t.Fatalf("nightly release: %s\n%s", rel.Status, rel.Output)
	}
	if err := e.srv.SetGeneration(e.app, "fir"); err != nil {
		t.Fatal(err)
	}
	top, _ := e.currentRelease()
	appliedBefore := e.query(hkApplied)
	e.srv.ResetRequests()

	to := fmt.Sprintf("v%d", base)
	for _, args := range [][]string{{"rollback", "--to", to}, {"rollback", "--to", to, "--confirm", e.app}} {
		r := e.run("", e.directEnv(), args...)
		if r.code != 1 {
			t.Fatalf("%v: %s\nwant exit 1", args, r)
		}
		hkContainsAll(t, "rollback", r.stdout, firLine, "A rollback the target's code survives works",
			"Refused on Fir: rolling back to "+to+" restores the database", "accounts.0004_customer_is_vip", "Nothing was changed.")
		if !strings.Contains(r.stderr, "zdcd-release: refused on Fir: rolling back to "+to+" needs a restore") {
			t.Errorf("stderr = %q", r.stderr)
		}
	}
	for _, req := range e.srv.Requests() {
		// Resolving DATABASE_URL's add-on is a POST that only reads.
		if req.Method != http.MethodGet && req.Path != "/actions/addon-attachments/resolve" {
			t.Errorf("rollback on Fir sent %s %s", req.Method, req.Path)
		}
	}
	if v, _ := e.currentRelease(); v != top {
		t.Errorf("current release v%d, want v%d", v, top)
	}
	hkEqual(t, "django_migrations", e.query(hkApplied), appliedBefore)
	hkAssertNoSecrets(e)
}
