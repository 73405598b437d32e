package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// `zdcd-release nightly` against the local Heroku: the Scheduler job run as a subprocess with the
// app's config vars, as a scheduler.N dyno would, while the release it creates really runs
// `zdcd-release release` in the fake.

// ntEnv is the environment of a Scheduler dyno of the app: its config vars, no release version.
func ntEnv(e *hkEnv, extra ...string) []string {
	env := baseEnv(e.dbURL)
	for k, v := range e.configVars() {
		env = append(env, k+"="+v)
	}
	env = append(env, "HEROKU_APP_NAME="+e.app, "DYNO=scheduler.4242", "ZDCD_NIGHTLY_RELEASE_TIMEOUT="+hkBound.String())
	return append(env, extra...)
}

// ntUnsafe is a version whose accounts.0004 (a NOT NULL column with a volatile default) the
// release phase refuses.
func ntUnsafe(e *hkEnv) string {
	return e.version(hkKeep("accounts/0003", "accounts/0004"), nil)
}

// ntRefuse deploys dir and checks its release phase refused it.
func ntRefuse(e *hkEnv, dir string) (version int, slug string) {
	e.t.Helper()
	rel := e.deploy(dir)
	if rel.Status != "failed" || rel.Current {
		e.t.Fatalf("release v%d %s (current %v), want refused:\n%s", rel.Version, rel.Status, rel.Current, rel.Output)
	}
	run := e.newestRun(dir)
	if run["outcome"] != "refused" {
		e.t.Fatalf("ledger run of v%d = %v, want refused", rel.Version, run)
	}
	return rel.Version, rel.SlugID
}

// ntNightly runs `zdcd-release nightly`.
func ntNightly(e *hkEnv, dir string, extra ...string) result {
	e.t.Helper()
	return e.run(dir, ntEnv(e, extra...), "nightly")
}

// ntCurrent is the app's live release.
func ntCurrent(e *hkEnv) (version int, slug, description string) {
	for _, r := range e.srv.Releases(e.app) {
		if r.Current {
			return r.Version, r.SlugID, r.Description
		}
	}
	e.t.Fatal("no current release")
	return 0, "", ""
}

// ntMaintenanceAndScale checks zdcd asked Heroku for maintenance on then off, and worker 0 then 2.
func ntMaintenanceAndScale(e *hkEnv) {
	e.t.Helper()
	maint, st := e.bodies(http.MethodPatch, "/apps/"+e.app)
	if len(maint) != 2 || maint[0]["maintenance"] != true || maint[1]["maintenance"] != false || st[0] != 200 || st[1] != 200 {
		e.t.Errorf("maintenance requests = %v %v, want on then off", maint, st)
	}
	scale, st := e.bodies(http.MethodPatch, "/apps/"+e.app+"/formation/worker")
	if len(scale) != 2 || scale[0]["quantity"] != float64(0) || scale[1]["quantity"] != float64(2) || st[0] != 200 || st[1] != 200 {
		e.t.Errorf("scale requests = %v %v, want worker 0 then 2", scale, st)
	}
	if e.srv.Maintenance(e.app) {
		e.t.Error("maintenance mode is still on")
	}
	if f := e.srv.Formation(e.app); f["worker"] != 2 || f["web"] != 1 {
		e.t.Errorf("formation = %v, want web=1 worker=2 again", f)
	}
}

// ntNewestNightly is the newest nightly run of the ledger.
func ntNewestNightly(e *hkEnv, dir string) map[string]any {
	e.t.Helper()
	var newest map[string]any
	for _, r := range e.history(dir) {
		if r["command"] == "nightly" && (newest == nil || r["id"].(float64) > newest["id"].(float64)) {
			newest = r
		}
	}
	if newest == nil {
		e.t.Fatal("no nightly run in the ledger")
	}
	return newest
}

// TestNightlyNothingDeferred: no refusal waits, so the run says so, touches nothing, exits 0.
func TestNightlyNothingDeferred(t *testing.T) {
	e := hkStart(t, "zdcd-nt-nothing", nil)
	dir := e.version(hkPending, nil)
	r := ntNightly(e, dir)
	if r.code != 0 {
		t.Fatalf("nightly: %s", r)
	}
	hkContainsAll(t, "nightly output", r.stdout, "Nothing to deploy tonight")
	for _, req := range e.srv.Requests() {
		if req.Method != http.MethodGet {
			t.Errorf("nightly with nothing to deploy sent %s %s", req.Method, req.Path)
		}
	}
	if run := ntNewestNightly(e, dir); run["outcome"] != "nothing-pending" || run["exit_code"] != float64(0) || run["app_name"] != e.app {
		t.Errorf("nightly run = %v", run)
	}
	hkAssertNoSecrets(e)
}

// TestNightlyDeploysRefusedRelease: an unsafe migration refused at deploy time is applied in the
// window, end to end; a second run then finds nothing to deploy.
func TestNightlyDeploysRefusedRelease(t *testing.T) {
	e := hkStart(t, "zdcd-nt-deploy", nil)
	e.seed()
	dir := ntUnsafe(e)
	refusedVersion, refusedSlug := ntRefuse(e, dir)
	before, _, _ := ntCurrent(e)
	e.srv.ResetRequests()

	r := ntNightly(e, dir)
	if r.code != 0 {
		t.Fatalf("nightly: %s", r)
	}
	hkContainsAll(t, "nightly output", r.stdout,
		fmt.Sprintf("Release v%d was refused for unsafe migrations: accounts.0004_customer_is_vip", refusedVersion),
		"Maintenance mode on.",
		"Stopped the worker dynos: worker=2.",
		"Approved accounts.0004_customer_is_vip",
		"Release phase of v",
		"Applying accounts.0004_customer_is_vip", // the release phase's own output, streamed
		"is live with accounts.0004_customer_is_vip applied",
		"Maintenance mode off.")
	ntMaintenanceAndScale(e)

	// The live release is a release of the refused slug, made by the nightly run.
	cur, slug, desc := ntCurrent(e)
	if slug != refusedSlug || cur <= refusedVersion || cur <= before || !strings.Contains(desc, fmt.Sprintf("zdcd nightly: re-release of v%d", refusedVersion)) {
		t.Errorf("current release v%d slug %s %q, want a re-release of v%d (slug %s)", cur, slug, desc, refusedVersion, refusedSlug)
	}
	if got := e.query("SELECT name FROM django_migrations WHERE app = 'accounts' ORDER BY id"); !strings.Contains(strings.Join(got, ","), "0004_customer_is_vip") {
		t.Errorf("accounts applied = %v", got)
	}
	if n := len(e.query(hkCustomers)); n != 3 {
		t.Errorf("%d customers after the nightly release", n)
	}
	// The approval the nightly run recorded, used by the release phase.
	approvals := e.query(`SELECT concat_ws(' ', name, source, approved_by, (digest IS NOT NULL)::text, (consumed_at IS NOT NULL)::text, (revoked_at IS NOT NULL)::text) FROM zdcd_ledger.approvals ORDER BY id`)
	if len(approvals) != 1 || approvals[0] != "0004_customer_is_vip nightly zdcd-release nightly true true false" {
		t.Errorf("approvals = %q, want one nightly approval of accounts.0004, consumed", approvals)
	}
	run := ntNewestNightly(e, dir)
	if run["outcome"] != "applied" || run["exit_code"] != float64(0) {
		t.Errorf("nightly run = %v, want applied", run)
	}
	h := e.run(dir, baseEnv(e.dbURL), "history", fmt.Sprint(run["id"]))
	hkContainsAll(t, "history of the nightly run", h.stdout, "find-refused", "maintenance-on", "scale-down", "approve", "create-release", "release", "dynos", "scale-up", "maintenance-off")

	// Running it again is harmless: the refusal is superseded.
	e.srv.ResetRequests()
	r = ntNightly(e, dir)
	if r.code != 0 || !strings.Contains(r.stdout, "Nothing to deploy tonight") {
		t.Errorf("second nightly: %s", r)
	}
	if n := len(e.srv.RequestsMatching(http.MethodPost, "/apps/*/releases")); n != 0 {
		t.Errorf("the second nightly created %d releases", n)
	}
	if again, _, _ := ntCurrent(e); again != cur {
		t.Errorf("current release moved from v%d to v%d", cur, again)
	}
	hkAssertNoSecrets(e)
}

// TestNightlyMigrationFails: the deferred migration fails in the window; the release phase restores
// the database, the live release stays, the app comes back, exit 3.
func TestNightlyMigrationFails(t *testing.T) {
	e := hkStart(t, "zdcd-nt-fails", nil)
	e.seed()
	rowsBefore, colsBefore, appliedBefore := e.query(hkCustomers), e.query(hkCustomerColumns), e.query(hkApplied)
	dir := hkNightlyFailure(e)
	refusedVersion, _ := ntRefuse(e, dir)
	live, liveSlug, _ := ntCurrent(e)
	e.srv.ResetRequests()

	r := ntNightly(e, dir)
	if r.code != 3 {
		t.Fatalf("nightly exit %d, want 3: %s", r.code, r)
	}
	hkContainsAll(t, "nightly output", r.stdout,
		fmt.Sprintf("Release v%d was refused", refusedVersion),
		"division by zero",
		"Restoring backup",
		"ended restored",
		"Maintenance mode off.")
	hkContainsAll(t, "nightly error", r.stderr, fmt.Sprintf("the re-release of v%d", refusedVersion), fmt.Sprintf("v%d stays live", live))
	if strings.Contains(r.stdout, "RECOVERY FAILED") {
		t.Error("recovery reported failed")
	}
	hkEqual(t, "accounts_customer rows", e.query(hkCustomers), rowsBefore)
	hkEqual(t, "accounts_customer columns", e.query(hkCustomerColumns), colsBefore)
	hkEqual(t, "django_migrations", e.query(hkApplied), appliedBefore)
	if cur, slug, _ := ntCurrent(e); cur != live || slug != liveSlug {
		t.Errorf("current release v%d (slug %s), want v%d unchanged", cur, slug, live)
	}
	ntMaintenanceAndScale(e)
	if n := len(e.srv.RequestsMatching(http.MethodPost, "/apps/*/releases")); n != 1 {
		t.Errorf("%d releases created, want the one re-release (no rollback of a release that never went live)", n)
	}
	if run := ntNewestNightly(e, dir); run["outcome"] != "restored" || run["exit_code"] != float64(3) {
		t.Errorf("nightly run = %v, want restored, exit 3", run)
	}
	// The approval is not left in force.
	if n := e.query(`SELECT id::text FROM zdcd_ledger.approvals WHERE revoked_at IS NULL AND consumed_at IS NULL`); len(n) != 0 {
		t.Errorf("approvals still in force after the failed nightly: %v", n)
	}
	hkAssertNoSecrets(e)
}

// TestNightlyOutsideWindow: outside ZDCD_NIGHTLY_WINDOW the run says so and touches nothing, not
// even the database or the Platform API.
func TestNightlyOutsideWindow(t *testing.T) {
	dir := copySampleApp(t)
	now := time.Now().UTC()
	from, to := now.Add(2*time.Hour), now.Add(3*time.Hour)
	window := fmt.Sprintf("%02d:%02d-%02d:%02d UTC", from.Hour(), from.Minute(), to.Hour(), to.Minute())
	env := append(baseEnv("postgres://nobody:"+hkToken+"@127.0.0.1:1/none"),
		"HEROKU_API_KEY="+hkToken, "HEROKU_APP_NAME=zdcd-nt-window", "ZDCD_PLATFORM_API_URL=http://127.0.0.1:1",
		"ZDCD_NIGHTLY_WINDOW="+window)
	r := run(t, dir, env, "nightly")
	if r.code != 0 {
		t.Fatalf("nightly outside the window: %s", r)
	}
	want := "Outside the nightly window (ZDCD_NIGHTLY_WINDOW=" + window + "; it is "
	if !strings.HasPrefix(r.stdout, want) || !strings.HasSuffix(r.stdout, " UTC there): nothing done.\n") || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("output %q, want one line starting %q", r.stdout, want)
	}
	assertNoSecret(t, r, hkToken)
}

// TestNightlyMisconfigured: the API key and the app name are required (exit 2, naming the
// variable, no secret).
func TestNightlyMisconfigured(t *testing.T) {
	dir := copySampleApp(t)
	db := "postgres://u:" + hkToken + "@127.0.0.1:1/d"
	for _, tt := range []struct {
		name, want string
		env        []string
	}{
		{"no api key", "zdcd-release: HEROKU_API_KEY is not set", []string{"HEROKU_APP_NAME=app"}},
		{"no app", "zdcd-release: HEROKU_APP_NAME is not set", []string{"HEROKU_API_KEY=" + hkToken}},
		{"bad window", "zdcd-release: ZDCD_NIGHTLY_WINDOW is invalid", []string{"HEROKU_API_KEY=" + hkToken, "HEROKU_APP_NAME=app", "ZDCD_NIGHTLY_WINDOW=2-5"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, dir, append(baseEnv(db), tt.env...), "nightly")
			if r.code != 2 || !strings.HasPrefix(r.stderr, tt.want) {
				t.Errorf("nightly: %s; want exit 2 and %q", r, tt.want)
			}
			assertNoSecret(t, r, hkToken)
		})
	}
}
