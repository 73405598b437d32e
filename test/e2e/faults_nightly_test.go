package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zdcd/zdcd/internal/herokufake"
)

// ftNightlyCells are the fault matrix's cells of `zdcd-release nightly`: the Scheduler job that
// deploys a refused release in the maintenance window (see faults_test.go for the matrix).
func ftNightlyCells() []ftCell {
	inject := ftInject
	const (
		releases = "/apps/*/releases"
		release  = "/apps/*/releases/*"
	)
	return []ftCell{
		{
			step: "nightly: maintenance on", fault: "PATCH app answers 503, persistently",
			command: "nightly", version: ntUnsafe, arrange: ftPatchApp(503),
			exit: 3, outcome: "failed", workers: 2,
			output: []string{"Nothing was released: maintenance mode could not be switched on"},
			note:   "nothing released; the app is brought back and the approvals revoked",
		},
		{
			step: "nightly: maintenance on", fault: "PATCH app: connection reset, once",
			command: "nightly", version: ntUnsafe,
			arrange: inject(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Count: 1, Reset: true}),
			exit:    0, outcome: "applied", workers: 2,
			output: []string{"Maintenance mode on.", "is live with accounts.0004_customer_is_vip applied", "Maintenance mode off."},
			after:  ftOneNightlyRelease,
			note:   "the PATCH sets an absolute value: retried, then the night goes on",
		},
		{
			step: "nightly: maintenance on", fault: "PATCH app answers 429 with Retry-After, persistently",
			command: "nightly", version: ntUnsafe,
			arrange: inject(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Status: 429, RetryAfter: "1"}),
			exit:    3, outcome: "failed", workers: 2,
			output: []string{"Nothing was released: maintenance mode could not be switched on", "429"},
			after:  ftNoNightlyRelease,
			note:   "retried after Retry-After, then nothing released; the app is as it was",
		},
		{
			step: "nightly: maintenance on", fault: "Heroku switches it on, the client sees a connection reset (every attempt)",
			command: "nightly", version: ntUnsafe,
			// 5 = the request and its 4 retries: the switch back off then goes through.
			arrange: inject(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Count: 5, ActThenFail: true, Reset: true}),
			exit:    3, outcome: "failed", workers: 2,
			output: []string{"Nothing was released: maintenance mode could not be switched on", "Maintenance mode off."},
			after:  ftNoNightlyRelease,
			note:   "the app is read back: maintenance mode is on, so it is switched off again, not left on silently",
		},
		{
			step: "nightly: scale down", fault: "PATCH formation answers 500, persistently",
			command: "nightly", version: ntUnsafe,
			arrange: inject(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*/formation/*", Status: 500}),
			exit:    3, outcome: "failed", workers: 2,
			output: []string{"Nothing was released: the worker dynos could not be stopped", "Maintenance mode off."},
			after:  ftNoNightlyRelease,
			note:   "no release under running workers; maintenance off again",
		},
		{
			step: "nightly: scale down", fault: "Heroku scales worker to 0, then answers 500 (every attempt)",
			command: "nightly", version: ntUnsafe,
			arrange: inject(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*/formation/*", Status: 500, Count: 5, ActThenFail: true}),
			exit:    3, outcome: "failed", workers: 2,
			output: []string{"Nothing was released: the worker dynos could not be stopped", "Started worker again: worker=2.", "Maintenance mode off."},
			after:  ftNoNightlyRelease,
			note:   "the formation is read back: worker is at 0, so it is scaled back to 2, not left stopped silently",
		},
		{
			step: "nightly: create release", fault: "POST releases answers 422 (slug not found)",
			command: "nightly", version: ntUnsafe,
			arrange: inject(herokufake.Fault{Method: http.MethodPost, Path: releases, Status: 422, ID: "invalid_params", Message: "Couldn't find that slug."}),
			exit:    3, outcome: "failed", workers: 2,
			output: []string{"Nothing was released: create the release", "Couldn't find that slug.", "Maintenance mode off."},
			after:  ftNoNightlyRelease,
			note:   "a refusal: nothing released, approvals revoked, workers and traffic back",
		},
		{
			step: "nightly: create release", fault: "POST releases answers 503, persistently",
			command: "nightly", version: ntUnsafe,
			arrange: inject(herokufake.Fault{Method: http.MethodPost, Path: releases, Status: 503, RetryAfter: "1"}),
			exit:    3, outcome: "failed", workers: 2,
			output: []string{"Nothing was released: create the release", "Maintenance mode off."},
			after:  ftNoNightlyRelease,
			note:   "retried (503: Heroku did not act), then the releases are listed: none made, so nothing released",
		},
		{
			step: "nightly: create release", fault: "Heroku creates it, the client sees a connection reset",
			command: "nightly", version: ntUnsafe,
			arrange: inject(herokufake.Fault{Method: http.MethodPost, Path: releases, Count: 1, ActThenFail: true, Reset: true}),
			exit:    0, outcome: "applied", workers: 2,
			output: []string{"is live with accounts.0004_customer_is_vip applied", "Maintenance mode off."},
			after:  ftOneNightlyRelease,
			note:   "the release Heroku made is found by listing the releases (reconciliation), not created twice",
		},
		{
			step: "nightly: release poll", fault: "GET release answers 503, persistently (ZDCD_API_TIMEOUT=6s)",
			command: "nightly", version: ntUnsafe, env: []string{"ZDCD_API_TIMEOUT=6s"},
			arrange: inject(herokufake.Fault{Method: http.MethodGet, Path: release, Status: 503, RetryAfter: "1"}),
			exit:    0, outcome: "applied", workers: 2,
			output: []string{"recorded in the ledger", "Every dyno runs v", "is live with accounts.0004_customer_is_vip applied"},
			after:  ftOneNightlyRelease,
			note: "Heroku cannot say how the release ended, its release phase's ledger run can (exit 0: Heroku makes it succeed); " +
				"the dynos running it confirm it is live",
		},
		{
			step: "nightly: release poll", fault: "GET release times out (12s, ZDCD_API_TIMEOUT=6s)",
			command: "nightly", version: ntUnsafe, env: []string{"ZDCD_API_TIMEOUT=6s"},
			arrange: inject(herokufake.Fault{Method: http.MethodGet, Path: release, Delay: 12 * time.Second}),
			exit:    0, outcome: "applied", workers: 2,
			output: []string{"recorded in the ledger", "Every dyno runs v", "is live with accounts.0004_customer_is_vip applied"},
			after:  ftOneNightlyRelease,
			note:   "as 503",
		},
		{
			step: "nightly: release poll", fault: "GET release answers 503 and the migration fails",
			command: "nightly", version: ftNightly, env: []string{"ZDCD_API_TIMEOUT=6s"},
			arrange: inject(herokufake.Fault{Method: http.MethodGet, Path: release, Status: 503, RetryAfter: "1"}),
			exit:    3, outcome: "restored", workers: 2, restored: true,
			output: []string{"recorded in the ledger", "ended restored: the database was restored from", "Maintenance mode off."},
			note:   "the ledger says the release phase failed and restored its backup: a failed release never goes live",
		},
		{
			step: "nightly: dynos", fault: "the new release's web dyno crashes (ZDCD_NIGHTLY_RELEASE_TIMEOUT=40s)",
			command: "nightly", version: ntUnsafe, env: []string{"ZDCD_NIGHTLY_RELEASE_TIMEOUT=40s"},
			arrange: ftCrashDynos,
			exit:    3, outcome: "restored", workers: 2, restored: true,
			output: []string{"web.1 is crashed on v", "Restoring backup", "Rolling back: v", "Maintenance mode off."},
			note:   "the backup its release phase took is restored and the app rolled back; maintenance on before the backup: no write lost",
		},
		{
			step: "nightly: release phase", fault: "SIGTERM to zdcd-release nightly",
			command: "nightly", version: ntUnsafe, act: ftSignalNightly(syscall.SIGTERM),
			exit: 4, outcome: "recovery-failed", maintenance: true, workers: 0,
			output: []string{"while the release phase of v", "was still running", "heroku releases:info v", "heroku ps:scale worker=2", "heroku maintenance:off"},
			note: "a release phase cannot be stopped and may be applying the unsafe migration: maintenance and worker=0 are " +
				"kept and stated, with how to finish once the release is over (here it then succeeds)",
		},
		{
			step: "nightly: release phase", fault: "SIGINT to zdcd-release nightly",
			command: "nightly", version: ntUnsafe, act: ftSignalNightly(syscall.SIGINT),
			exit: 4, outcome: "recovery-failed", maintenance: true, workers: 0,
			output: []string{"while the release phase of v", "was still running", "heroku releases:info v", "heroku ps:scale worker=2", "heroku maintenance:off"},
			note:   "as SIGTERM",
		},
		{
			step: "nightly: release phase", fault: "a migration fails after the unsafe one; the release phase restores",
			command: "nightly", version: ftNightly,
			exit: 3, outcome: "restored", workers: 2, restored: true,
			output: []string{"ended restored: the database was restored from", "Maintenance mode off."},
			note:   "maintenance mode is on before the release phase's backup: the restore loses no write",
		},
	}
}

// ftNightlyReleases are the releases the nightly run created.
func ftNightlyReleases(e *hkEnv) []herokufake.ReleaseStatus {
	var out []herokufake.ReleaseStatus
	for _, r := range e.srv.Releases(e.app) {
		if strings.HasPrefix(r.Description, "zdcd nightly: re-release of") {
			out = append(out, r)
		}
	}
	return out
}

// ftOneNightlyRelease checks the night made exactly one release, and that it is live.
func ftOneNightlyRelease(t *testing.T, e *hkEnv, dir string, runID float64) {
	rs := ftNightlyReleases(e)
	if len(rs) != 1 || !rs[0].Current || rs[0].Status != "succeeded" {
		t.Errorf("nightly releases = %+v, want exactly one, live", rs)
	}
}

// ftNoNightlyRelease checks the night made no release and left no approval in force.
func ftNoNightlyRelease(t *testing.T, e *hkEnv, dir string, runID float64) {
	if rs := ftNightlyReleases(e); len(rs) != 0 {
		t.Errorf("nightly releases = %+v, want none", rs)
	}
	if n := e.query(`SELECT id::text FROM zdcd_ledger.approvals WHERE revoked_at IS NULL AND consumed_at IS NULL`); len(n) != 0 {
		t.Errorf("approvals still in force: %v", n)
	}
}

// ftCrashDynos makes Heroku report the web dyno of the coming release (the next version) crashed,
// as a release whose code cannot boot does.
func ftCrashDynos(t *testing.T, e *hkEnv) func() {
	next := 0
	for _, r := range e.srv.Releases(e.app) {
		next = max(next, r.Version+1)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	body := fmt.Sprintf(`[{"id":"0f1b2c3d-0000-4000-8000-000000000001","name":"web.1","type":"web","state":"crashed",`+
		`"command":"gunicorn shop.wsgi","size":"Basic","attach_url":null,"app":{"id":"0f1b2c3d-0000-4000-8000-000000000002","name":%q},`+
		`"release":{"id":"0f1b2c3d-0000-4000-8000-000000000003","version":%d},"created_at":%q,"updated_at":%q}]`, e.app, next, now, now)
	e.srv.InjectFault(herokufake.Fault{Method: http.MethodGet, Path: "/apps/*/dynos", Status: 200, Body: body})
	return nil
}

// ftSignalNightly sends sig to `zdcd-release nightly` once the release phase it triggered is
// migrating, then waits for that release phase to end (it is a separate process: the signal
// does not stop it), so that the cell checks the state it leaves for good.
func ftSignalNightly(sig syscall.Signal) func(t *testing.T, e *hkEnv, bg *background) {
	return func(t *testing.T, e *hkEnv, bg *background) {
		var rel herokufake.ReleaseStatus
		waitUntil(t, "the nightly release phase migrates", bg, func() bool {
			rs := ftNightlyReleases(e)
			if len(rs) == 1 && rs[0].Status == "pending" && strings.Contains(rs[0].Output, "Migrating") {
				rel = rs[0]
				return true
			}
			return false
		})
		if err := bg.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		got, err := e.srv.WaitRelease(e.app, rel.ID, hkBound)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("the release phase of v%d went on after the signal and ended %s", got.Version, got.Status)
	}
}
