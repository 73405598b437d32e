package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/zdcd/zdcd/internal/herokufake"
)

// ftRollbackCells are the fault matrix's cells of `zdcd-release rollback --confirm APP` (see
// faults_test.go for the matrix).
//
// A code-only cell deploys the backward-compatible accounts.0003 (ftSafe) and rolls back to the
// release before: only the rollback release is created. A restoring cell deploys the unsafe
// accounts.0004 in the nightly window (NIGHTLY_BUILD=true, as TestRollbackWithRestore does) and
// rolls back to the release before it: maintenance on, workers to 0, the backup of that deploy
// restored, the rollback release, workers back, maintenance off. The restore ends the database's
// sessions, as Heroku's does.
func ftRollbackCells() []ftCell {
	inject, restores := ftInject, ftRestores
	const releases = "/apps/*/releases"
	rb := func(c ftCell) ftCell {
		c.command = "rollback"
		if c.setup == nil {
			c.setup = ftRollbackCodeOnly
		}
		return c
	}
	restoring := func(c ftCell) ftCell {
		c.version = ftRollbackUnsafe
		if c.setup == nil {
			c.setup = ftRollbackRestoring(nil)
		}
		c = rb(c)
		c.tune = func(o *herokufake.Options) { o.RestoreEndsSessions = true }
		return c
	}
	return []ftCell{
		rb(ftCell{
			step: "rollback: release create (code only)", fault: "POST releases answers 422",
			arrange: inject(herokufake.Fault{Method: http.MethodPost, Path: releases, Status: 422, ID: "invalid_params", Message: "Rollbacks are disabled for this app."}),
			exit:    3, outcome: "failed", workers: 2,
			output: []string{"rollback to v", "keeps running and the database was not touched", "Rollbacks are disabled"},
			after:  ftRollbackReleases(0),
			note:   "no rollback release; the current release keeps running on its schema",
		}),
		rb(ftCell{
			step: "rollback: release create (code only)", fault: "POST releases answers 503, persistently",
			arrange: inject(herokufake.Fault{Method: http.MethodPost, Path: releases, Status: 503, RetryAfter: "1"}),
			exit:    3, outcome: "failed", workers: 2,
			output: []string{"keeps running and the database was not touched"},
			after:  ftRollbackReleases(0),
			note:   "no rollback release; the current release keeps running on its schema",
		}),
		rb(ftCell{
			step: "rollback: release create (code only)", fault: "POST releases acted on, then the connection is reset",
			arrange: inject(herokufake.Fault{Method: http.MethodPost, Path: releases, Count: 1, ActThenFail: true, Reset: true}),
			exit:    0, outcome: "rolled-back", workers: 2,
			output: []string{"but created v", "Rolled back to v"},
			after:  ftRollbackReleases(1),
			note:   "the rollback release Heroku created is found (reconciliation), not created twice",
		}),
		restoring(ftCell{
			step: "rollback: maintenance on", fault: "PATCH app answers 503, persistently",
			arrange: ftPatchApp(503),
			exit:    3, outcome: "failed", workers: 2,
			output: []string{"maintenance mode could not be switched on", "failed before the restore", "the database and the code were not changed"},
			after:  ftRollbackReleases(0),
			note:   "nothing restored, no rollback release: the current release keeps running on its schema",
		}),
		restoring(ftCell{
			step: "rollback: scale down", fault: "PATCH formation answers 500, persistently",
			arrange: inject(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*/formation/*", Status: 500}),
			exit:    3, outcome: "failed", workers: 2,
			output: []string{"the worker dynos could not be stopped", "failed before the restore", "Maintenance mode off."},
			after:  ftRollbackReleases(0),
			note:   "nothing restored; maintenance mode switched off again: the app is as it was",
		}),
		restoring(ftCell{
			step: "rollback: maintenance on", fault: "PATCH app acted on, then answers 503 (every attempt)",
			arrange: inject(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Status: 503, RetryAfter: "1", Count: 5, ActThenFail: true}),
			exit:    3, outcome: "failed", workers: 2,
			output: []string{"maintenance mode could not be switched on", "failed before the restore", "Maintenance mode off."},
			after:  ftRollbackReleases(0),
			note:   "maintenance mode went on although every answer was an error: zdcd looks, and switches it off again",
		}),
		restoring(ftCell{
			step: "rollback: scale down", fault: "PATCH formation acted on, then answers 500 (every attempt)",
			arrange: inject(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*/formation/*", Status: 500, Count: 5, ActThenFail: true}),
			exit:    3, outcome: "failed", workers: 2,
			output: []string{"the worker dynos could not be stopped", "failed before the restore", "Started worker again: worker=2.", "Maintenance mode off."},
			after:  ftRollbackReleases(0),
			note:   "the workers stopped although every answer was an error: zdcd reads the formation and scales them back",
		}),
		restoring(ftCell{
			step: "rollback: restore", fault: "POST restores answers 422",
			arrange: inject(herokufake.Fault{Method: http.MethodPost, Path: restores, Status: 422, ID: "invalid_params", Message: "Restores are disabled for this database."}),
			exit:    3, outcome: "failed", workers: 2,
			output: []string{"Restores are disabled", "failed before the restore", "the database and the code were not changed", "Maintenance mode off."},
			after:  ftRollbackReleases(0),
			note:   "Heroku refused the restore, so it did not start: the app is brought back, nothing changed",
		}),
		restoring(ftCell{
			step: "rollback: restore", fault: "POST restores acted on, then answers 500",
			arrange: inject(herokufake.Fault{Method: http.MethodPost, Path: restores, Status: 500, Count: 1, ActThenFail: true}),
			exit:    0, outcome: "rolled-back", workers: 2, restored: true, lossOK: true,
			output: []string{"but started", "Restored backup", "Maintenance mode off.", "Rolled back to v"},
			after:  ftRollbackDone,
			note:   "the restore Heroku started is found (reconciliation), not started twice",
		}),
		restoring(ftCell{
			step: "rollback: restore", fault: "the restore fails on Heroku after loading the data (pg_restore error)",
			setup:   ftRollbackRestoring(ftRollbackBreakable),
			arrange: ftRollbackBreak,
			exit:    4, outcome: "none", maintenance: true, workers: 0, restored: true, lossOK: true,
			output: []string{"Problem:   the restore of backup", "ft_guarded", "Database:  not restored, or only partly", "heroku pg:backups:restore",
				"maintenance mode is ON (switched on by zdcd)", "Workers:   scaled to 0 by zdcd (before: worker=2)"},
			after: ftRollbackReleases(0),
			note:  "Heroku reports the restore failed: the database is partly restored (the ledger included: the statement is the record); restore again by hand, then roll back",
		}),
		restoring(ftCell{
			step: "rollback: release create (after the restore)", fault: "POST releases answers 422",
			arrange: inject(herokufake.Fault{Method: http.MethodPost, Path: releases, Status: 422, ID: "invalid_params", Message: "Rollbacks are disabled for this app."}),
			exit:    4, outcome: "recovery-failed", maintenance: true, workers: 0, restored: true, lossOK: true,
			output: []string{"the database was restored, but the rollback release failed", "Database:  restored from backup",
				"is still the current release", "maintenance mode is ON (switched on by zdcd)", "Workers:   scaled to 0 by zdcd (before: worker=2)",
				"heroku rollback v", "heroku maintenance:off"},
			after: ftRollbackReleases(0),
			note: "the database holds the old schema but the new code is current: it cannot run on it, so maintenance stays ON and " +
				"the workers stopped; the statement says so, with `heroku rollback` first",
		}),
		restoring(ftCell{
			step: "rollback: maintenance off", fault: "PATCH app answers 503 after the rollback release",
			arrange: inject(
				herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Count: 1},
				herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Status: 503, RetryAfter: "1"}),
			exit: 4, outcome: "recovery-failed", maintenance: true, workers: 2, restored: true, lossOK: true,
			output: []string{"maintenance mode could not be switched off", "Database:  restored from backup", "Code:      rolled back to v",
				"maintenance mode is ON (switched on by zdcd)", "heroku maintenance:off"},
			after: ftRollbackDone,
			note:  "restored, rolled back, workers back; maintenance ON stated",
		}),
	}
}

// ftRollbackUnsafe is the version a restoring cell rolls back: the unsafe accounts.0004.
func ftRollbackUnsafe(e *hkEnv) string {
	return e.version(hkKeep("accounts/0003", "accounts/0004"), nil)
}

// ftRollbackCodeOnly deploys the version (backward compatible) and rolls back to the release
// before it.
func ftRollbackCodeOnly(t *testing.T, e *hkEnv, dir string) []string {
	if rel := e.deploy(dir); rel.Status != "succeeded" {
		t.Fatalf("release to roll back: %s\n%s", rel.Status, rel.Output)
	}
	return []string{"--confirm", e.app}
}

// ftRollbackRestoring deploys the unsafe version in the nightly window (after prepare, when
// set, runs) and rolls back to the release live before: a restore is needed.
func ftRollbackRestoring(prepare func(e *hkEnv)) func(t *testing.T, e *hkEnv, dir string) []string {
	return func(t *testing.T, e *hkEnv, dir string) []string {
		base, _ := e.currentRelease()
		if prepare != nil {
			prepare(e)
		}
		nightly := "true"
		if err := e.srv.SetConfigVars(e.app, map[string]*string{"NIGHTLY_BUILD": &nightly}); err != nil {
			t.Fatal(err)
		}
		if rel := e.deploy(dir); rel.Status != "succeeded" {
			t.Fatalf("nightly release to roll back: %s\n%s", rel.Status, rel.Output)
		}
		if err := e.srv.SetConfigVars(e.app, map[string]*string{"NIGHTLY_BUILD": nil}); err != nil {
			t.Fatal(err)
		}
		// That change is a release too: let its release phase end, so that it does not hold the
		// release lock when the rollback starts.
		rels := e.srv.Releases(e.app)
		if rel, err := e.srv.WaitRelease(e.app, rels[len(rels)-1].ID, hkBound); err != nil || rel.Status != "succeeded" {
			t.Fatalf("config var release v%d: %s, %v\n%s", rel.Version, rel.Status, err, rel.Output)
		}
		return []string{"--to", fmt.Sprintf("v%d", base), "--confirm", e.app}
	}
}

// ftRollbackReleases checks that n rollback releases were created (none doubled).
func ftRollbackReleases(n int) func(t *testing.T, e *hkEnv, dir string, runID float64) {
	return func(t *testing.T, e *hkEnv, dir string, runID float64) {
		got := 0
		for _, r := range e.srv.Releases(e.app) {
			if strings.HasPrefix(r.Description, "Rollback to ") {
				got++
			}
		}
		if got != n {
			t.Errorf("%d rollback release(s), want %d", got, n)
		}
	}
}

// ftRollbackDone checks that one rollback release was created and is current, that one restore
// ran, and that the database holds the old schema (without accounts.0004's column).
func ftRollbackDone(t *testing.T, e *hkEnv, dir string, runID float64) {
	ftRollbackReleases(1)(t, e, dir, runID)
	if _, desc := e.currentRelease(); !strings.HasPrefix(desc, "Rollback to ") {
		t.Errorf("current release %q, want the rollback", desc)
	}
	if n := len(e.transfers("restore")); n != 1 {
		t.Errorf("%d restores, want 1", n)
	}
	if got := e.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts_customer' AND column_name = 'is_vip'`); len(got) != 0 {
		t.Errorf("accounts.0004's column is still there after the restore")
	}
}

// ftRollbackBreakable adds, before the deploy's backup, a table whose domain rejects every value
// in a session where the database-level setting ft.fail is on (as ftBreakable does).
func ftRollbackBreakable(e *hkEnv) {
	e.exec(`CREATE DOMAIN ft_guarded AS int CHECK (current_setting('ft.fail', true) IS DISTINCT FROM 'on');
		CREATE TABLE ft_zz (v ft_guarded);
		INSERT INTO ft_zz VALUES (1)`)
}

// ftRollbackBreak switches ft.fail on for the database's new sessions, so that the restore fails
// on ft_zz after it loaded the tables before it (as ftBreakRestore does).
func ftRollbackBreak(t *testing.T, e *hkEnv) func() {
	conn := connect(t, e.dbURL)
	if _, err := conn.Exec(context.Background(), `DO $$ BEGIN
		EXECUTE format('ALTER DATABASE %I SET ft.fail = %L', current_database(), 'on'); END $$`); err != nil {
		t.Fatal(err)
	}
	return nil
}
