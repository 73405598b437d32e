package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/herokufake"
	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/release"
)

// The fault matrix (issue 9): every step of the release phase × the faults it can meet, end to
// end against real PostgreSQL, real Django and the local Heroku. Each cell runs
// `zdcd-release release` as Heroku would while a writer commits rows into a table no migration
// touches, and checks the exit code, the ledger, the maintenance flag, the worker scale, the data
// and that no secret leaked. The cells as they ran are docs/reliability.md (rewritten with
// -update, checked otherwise).

// ftDoc is the generated page, relative to this package.
const ftDoc = "../../docs/reliability.md"

// ftKillMigration is a RunPython migration that SIGKILLs its own process: the migrate command dies
// as an OOM kill or a crash would kill it.
const ftKillMigration = `import os
import signal

from django.db import migrations


def kill(apps, schema_editor):
    os.kill(os.getpid(), signal.SIGKILL)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', %q),
    ]

    operations = [
        migrations.RunPython(kill, migrations.RunPython.noop),
    ]
`

// Versions of the app a cell deploys.
var (
	// ftSafe: accounts.0003, backward compatible.
	ftSafe = func(e *hkEnv) string { return e.version(hkKeep("accounts/0003"), nil) }
	// ftNightly: the unsafe accounts.0004 (NIGHTLY_BUILD=true), then a migration that fails.
	ftNightly = hkNightlyFailure
	// ftGate: accounts.0003, then a migration that waits at the gate.
	ftGate = func(e *hkEnv) string {
		return e.version(hkKeep("accounts/0003"), map[string]string{
			"accounts/migrations/0004_gate.py": gateMigration("0003_customer_phone_ordering"),
		})
	}
	// ftGateNightly: the unsafe accounts.0004 (NIGHTLY_BUILD=true), then the gate.
	ftGateNightly = func(e *hkEnv) string {
		return e.version(hkKeep("accounts/0003", "accounts/0004"), map[string]string{
			"accounts/migrations/0005_gate.py": gateMigration("0004_customer_is_vip"),
		})
	}
	// ftNightlyApplies: the unsafe accounts.0004 (NIGHTLY_BUILD=true), which applies.
	ftNightlyApplies = func(e *hkEnv) string { return e.version(hkKeep("accounts/0003", "accounts/0004"), nil) }
	// ftKillNightly: the unsafe accounts.0004 (NIGHTLY_BUILD=true), then a killed migration.
	ftKillNightly = func(e *hkEnv) string {
		return e.version(hkKeep("accounts/0003", "accounts/0004"), map[string]string{
			"accounts/migrations/0005_kill.py": fmt.Sprintf(ftKillMigration, "0004_customer_is_vip"),
		})
	}
)

// ftCell is one cell of the matrix: a step, a fault, and what must come of it.
type ftCell struct {
	step, fault string
	// version is the app deployed (default ftSafe); nightly adds NIGHTLY_BUILD=true.
	version func(e *hkEnv) string
	nightly bool
	// command is the subcommand run (default release). For nightly, the version is first
	// deployed and refused by its release phase, and the Scheduler dyno's environment is used.
	command string
	// tune adjusts the local Heroku's options (nil: the defaults).
	tune func(*herokufake.Options)
	// ownCluster runs the cell on a PostgreSQL cluster of its own (e.cluster), for faults that
	// restart the server.
	ownCluster bool
	// setup runs once the version is written (and, for nightly, refused), before the ledger is
	// read and the fault arranged; it returns the command's arguments after the subcommand.
	// A rollback cell deploys there the release it rolls back.
	setup func(t *testing.T, e *hkEnv, dir string) []string
	// local runs without Heroku credentials (pg_dump backups, no maintenance mode).
	local bool
	// env is added to the run's environment.
	env []string
	// arrange sets the fault up before the run; the returned func (may be nil) undoes it after.
	arrange func(t *testing.T, e *hkEnv) func()
	// act runs while the release runs (signals, killed sessions).
	act func(t *testing.T, e *hkEnv, bg *background)
	// after runs once the cell's own checks are done, with the id of the cell's run.
	after func(t *testing.T, e *hkEnv, dir string, runID float64)

	exit int
	// outcome is the run's in the ledger: "none" when no run was recorded, "unfinished" when its
	// outcome was not.
	outcome string
	// maintenance and workers are the app's state at the end.
	maintenance bool
	workers     int
	// restored: zdcd restored the pre-migration backup; lossOK: so writes committed after it
	// started may be lost (not in the nightly window, where maintenance mode is on before it).
	restored, lossOK bool
	// output must all appear in the run's output, absent none of it.
	output, absent []string
	note           string
	// bug names a known product bug the cell exposes (it fails until the bug is fixed).
	bug string
}

// ftRow is a cell as it ran: a line of docs/reliability.md.
type ftRow struct {
	step, fault, exit, outcome, maintenance, workers, lost, note string
}

// ftCells is the whole matrix: the release phase's cells, then nightly's and rollback's.
func ftCells() []ftCell {
	cells := ftReleaseCells()
	cells = append(cells, ftNightlyCells()...)
	return append(cells, ftRollbackCells()...)
}

// ftPatchApp makes PATCH /apps/{app} (maintenance mode) answer status; a 503 with Retry-After.
func ftPatchApp(status int) func(t *testing.T, e *hkEnv) func() {
	return func(t *testing.T, e *hkEnv) func() {
		f := herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Status: status}
		if status == 503 {
			f.RetryAfter = "1"
		}
		e.srv.InjectFault(f)
		return nil
	}
}

// ftInject injects the faults before the run.
func ftInject(fs ...herokufake.Fault) func(t *testing.T, e *hkEnv) func() {
	return func(t *testing.T, e *hkEnv) func() {
		for _, f := range fs {
			e.srv.InjectFault(f)
		}
		return nil
	}
}

// Paths of the Postgres API the cells fault.
const (
	ftBackups  = "/client/v11/databases/*/backups"
	ftRestores = "/client/v11/databases/*/restores"
)

// ftReleaseCells are the release phase's cells.
func ftReleaseCells() []ftCell {
	patchApp, inject, backups, restores := ftPatchApp, ftInject, ftBackups, ftRestores
	return []ftCell{
		{
			step: "release lock", fault: "held by another session past ZDCD_RELEASE_LOCK_WAIT=1s",
			env:     []string{"ZDCD_RELEASE_LOCK_WAIT=1s"},
			arrange: ftHoldReleaseLock,
			exit:    3, outcome: "failed", workers: 2,
			output: []string{"holds the release lock", "nothing was changed"},
			note:   "nothing changed; retry the release once the other one finished",
		},
		{
			step: "plan", fault: "Django settings broken (DJANGO_SETTINGS_MODULE=nope)",
			env:  []string{"DJANGO_SETTINGS_MODULE=nope"},
			exit: 2, outcome: "failed", workers: 2,
			note: "nothing changed: no backup, no migration",
		},
		{
			step: "backup capture", fault: "the backup fails on Heroku (succeeded: false)",
			arrange: func(t *testing.T, e *hkEnv) func() { e.srv.FailBackups(1); return nil },
			exit:    3, outcome: "backup-failed", workers: 2,
			output: []string{"backup failed, so no migration ran and nothing was changed"},
			note:   "no migration ran",
		},
		{
			step: "backup capture", fault: "POST backups answers 401",
			arrange: inject(herokufake.Fault{Method: http.MethodPost, Path: backups, Status: 401}),
			exit:    3, outcome: "backup-failed", workers: 2,
			output: []string{"backup failed, so no migration ran and nothing was changed"},
			note:   "no migration ran",
		},
		{
			step: "backup capture", fault: "POST backups answers 503, persistently",
			arrange: inject(herokufake.Fault{Method: http.MethodPost, Path: backups, Status: 503, RetryAfter: "1"}),
			exit:    3, outcome: "backup-failed", workers: 2,
			output: []string{"backup failed, so no migration ran and nothing was changed"},
			note:   "retried (Retry-After), then no migration ran",
		},
		{
			step: "backup poll", fault: "GET transfer answers 503, persistently (ZDCD_API_TIMEOUT=6s)",
			env:     []string{"ZDCD_API_TIMEOUT=6s"},
			arrange: inject(herokufake.Fault{Method: http.MethodGet, Path: "/client/v11/apps/*/transfers/*", Status: 503, RetryAfter: "1"}),
			exit:    3, outcome: "backup-failed", workers: 2,
			output: []string{"backup failed, so no migration ran and nothing was changed"},
			note:   "the backup's outcome is unknown, so no migration ran (Heroku may still finish that backup)",
		},
		{
			step: "backup capture", fault: "POST backups answers 403",
			arrange: inject(herokufake.Fault{Method: http.MethodPost, Path: backups, Status: 403}),
			exit:    3, outcome: "backup-failed", workers: 2,
			output: []string{"backup failed, so no migration ran and nothing was changed"},
			note:   "as 401: the key may not capture backups (docs/SECURITY.md names the access it needs)",
		},
		{
			step: "backup capture", fault: "POST backups answers 429 twice (Retry-After: 1), then succeeds",
			arrange: inject(herokufake.Fault{Method: http.MethodPost, Path: backups, Status: 429, RetryAfter: "1", Count: 2}),
			exit:    0, outcome: "applied", workers: 2,
			output: []string{"Applied 1 migration(s)"},
			after:  ftBackupCount(1),
			note:   "Heroku cannot have acted on a 429: retried after Retry-After, one backup",
		},
		{
			step: "backup capture", fault: "POST backups acted on, then the connection is reset",
			arrange: inject(herokufake.Fault{Method: http.MethodPost, Path: backups, Reset: true, ActThenFail: true, Count: 1}),
			exit:    0, outcome: "applied", workers: 2,
			output: []string{"Applied 1 migration(s)"},
			after:  ftBackupCount(1),
			note:   "the backup Heroku started is found among the transfers (reconciliation), not captured twice",
		},
		{
			step: "backup capture", fault: "POST backups hangs past ZDCD_API_TIMEOUT=4s",
			env:     []string{"ZDCD_API_TIMEOUT=4s"},
			arrange: inject(herokufake.Fault{Method: http.MethodPost, Path: backups, Delay: time.Minute}),
			exit:    3, outcome: "backup-failed", workers: 2,
			output: []string{"backup failed, so no migration ran and nothing was changed"},
			note:   "the transfers are listed: no backup was started, so no migration ran",
		},
		{
			step: "backup poll", fault: "GET transfer: the connection is reset, twice",
			arrange: inject(herokufake.Fault{Method: http.MethodGet, Path: "/client/v11/apps/*/transfers/*", Reset: true, Count: 2}),
			exit:    0, outcome: "applied", workers: 2,
			output: []string{"Applied 1 migration(s)"},
			note:   "a poll is a read: retried",
		},
		{
			step: "backup capture", fault: "SIGTERM to zdcd-release while the backup runs",
			arrange: func(t *testing.T, e *hkEnv) func() { e.srv.SlowTransfers(20 * time.Second); return nil },
			act:     ftSignalDuringBackup(syscall.SIGTERM),
			exit:    3, outcome: "interrupted", workers: 2,
			output: []string{"SIGTERM"},
			note:   "no migration ran; Heroku finishes the backup on its own",
		},
		{
			step: "backup (local)", fault: "the backup directory is full (4 KiB tmpfs)",
			local: true,
			exit:  3, outcome: "backup-failed", workers: 2,
			output: []string{"backup failed"},
			note:   "no Heroku credentials: a pg_dump to ZDCD_BACKUP_DIR; no migration ran",
		},
		{
			step: "migrate", fault: "the migrate process is SIGKILLed after a compatible migration",
			version: ftGate, arrange: ftGateHeld, act: ftKillMigrate,
			exit: 3, outcome: "migration-failed", workers: 2,
			output: []string{"signal: killed", "Every one of them is backward compatible", "accounts.0003_customer_phone_ordering"},
			note:   "accounts.0003 stays applied: the old release works with it; no restore, no downtime; the orphaned session waiting at the gate is terminated",
		},
		{
			step: "migrate", fault: "the migrate process is SIGKILLed after an unsafe migration (nightly)",
			version: ftKillNightly, nightly: true,
			exit: 3, outcome: "restored", workers: 2, restored: true,
			output: []string{"maintenance mode on and workers stopped before the backup", "Restoring the backup.", "Restored: the database is back", "Maintenance mode off."},
			note:   "maintenance mode and the stopped workers since before the backup: the restore loses no write",
		},
		{
			step: "migrate", fault: "as above, with ZDCD_MAINTENANCE=recovery",
			version: ftKillNightly, nightly: true, env: []string{"ZDCD_MAINTENANCE=recovery"},
			exit: 3, outcome: "restored", workers: 2, restored: true, lossOK: true,
			output: []string{"Restoring the backup.", "Maintenance mode on.", "Restored: the database is back", "Maintenance mode off."},
			absent: []string{"before the backup"},
			note:   "the plan ran under live traffic: restored behind maintenance mode with the workers stopped, losing the writes since the backup",
		},
		{
			step: "migrate", fault: "its PostgreSQL connection is terminated mid-migration",
			version: ftGate, arrange: ftGateHeld, act: ftTerminateMigrate,
			exit: 3, outcome: "migration-failed", workers: 2,
			output: []string{"Every one of them is backward compatible"},
			note:   "accounts.0003 stays applied; the gate migration rolled back with its transaction",
		},
		{
			step: "migrate", fault: "SIGTERM to zdcd-release",
			version: ftGate, arrange: ftGateHeld, act: ftSignal(syscall.SIGTERM),
			exit: 3, outcome: "interrupted", workers: 2,
			output: []string{"was interrupted (SIGTERM)", "Every one of them is backward compatible"},
			note:   "the migrate command is stopped, its sessions terminated; accounts.0003 stays applied",
		},
		{
			step: "migrate", fault: "SIGINT to zdcd-release",
			version: ftGate, arrange: ftGateHeld, act: ftSignal(syscall.SIGINT),
			exit: 3, outcome: "interrupted", workers: 2,
			output: []string{"was interrupted", "Every one of them is backward compatible"},
			note:   "as SIGTERM",
		},
		{
			step: "run start", fault: "GET the release (its slug) answers 500, persistently (ZDCD_API_TIMEOUT=4s)",
			env:     []string{"ZDCD_API_TIMEOUT=4s", "HEROKU_RELEASE_VERSION=v1"},
			arrange: inject(herokufake.Fault{Method: http.MethodGet, Path: "/apps/*/releases/*", Status: 500}),
			exit:    0, outcome: "applied", workers: 2,
			output: []string{"warning: could not read release", "Applied 1 migration(s)"},
			note:   "the slug is only for the nightly window: the release goes on without it, and says so",
		},
		{
			step: "migrate", fault: "a transaction holds a lock on accounts_customer past every retry",
			env:     []string{"ZDCD_LOCK_WAIT=200ms", "ZDCD_LOCK_RETRIES=2", "ZDCD_LOCK_RETRY_DELAY=100ms"},
			arrange: ftHoldTable("accounts_customer"),
			exit:    3, outcome: "migration-failed", workers: 2,
			output: []string{"lock timeout"},
			note: "each attempt waits at most ZDCD_LOCK_TIMEOUT in the lock queue, so traffic is never stalled for long; " +
				"after the retries nothing is applied",
		},
		{
			step: "migrate", fault: "PostgreSQL restarts (fast shutdown) mid-migration",
			version: ftGate, ownCluster: true, arrange: ftGateHeldLoosely, act: ftRestartServer,
			exit: 3, outcome: "migration-failed", workers: 2,
			output: []string{"Every one of them is backward compatible"},
			note:   "every session ends; the gate migration rolls back, accounts.0003 stays applied; zdcd reconnects to record the outcome",
		},
		{
			step: "maintenance on", fault: "PATCH app answers 503, persistently",
			version: ftNightly, nightly: true, arrange: patchApp(503),
			exit: 3, outcome: "failed", workers: 2,
			output: []string{"maintenance mode could not be switched on", "nothing was migrated"},
			note:   "before the backup: nothing migrated, nothing changed; retry once the Platform API answers",
		},
		{
			step: "maintenance on", fault: "PATCH app answers 401",
			version: ftNightly, nightly: true, arrange: patchApp(401),
			exit: 3, outcome: "failed", workers: 2,
			output: []string{"maintenance mode could not be switched on", "nothing was migrated"},
			note:   "as 503",
		},
		{
			step: "maintenance on", fault: "PATCH app answers 404",
			version: ftNightly, nightly: true, arrange: patchApp(404),
			exit: 3, outcome: "failed", workers: 2,
			output: []string{"maintenance mode could not be switched on", "nothing was migrated"},
			note:   "as 503",
		},
		{
			step: "maintenance on", fault: "PATCH app: the connection is reset, persistently",
			version: ftNightly, nightly: true,
			arrange: inject(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Reset: true}),
			exit:    3, outcome: "failed", workers: 2,
			output: []string{"maintenance mode could not be switched on", "nothing was migrated"},
			note:   "as 503",
		},
		{
			step: "maintenance on", fault: "PATCH app acted on, then the connection is reset",
			version: ftNightly, nightly: true,
			arrange: inject(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Reset: true, ActThenFail: true, Count: 1}),
			exit:    3, outcome: "restored", workers: 2, restored: true,
			output: []string{"Maintenance mode on.", "Restored: the database is back", "Maintenance mode off."},
			note:   "setting maintenance mode is idempotent: retried after the reset; the plan's failure is restored",
		},
		{
			step: "maintenance on", fault: "PATCH app hangs past ZDCD_API_TIMEOUT=4s",
			version: ftNightly, nightly: true, env: []string{"ZDCD_API_TIMEOUT=4s"},
			arrange: inject(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Delay: time.Minute}),
			exit:    3, outcome: "failed", workers: 2,
			output: []string{"maintenance mode could not be switched on", "nothing was migrated"},
			note:   "as 503",
		},
		{
			step: "maintenance on", fault: "PATCH app answers 429 twice (Retry-After: 1)",
			version: ftNightly, nightly: true,
			arrange: inject(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Status: 429, RetryAfter: "1", Count: 2}),
			exit:    3, outcome: "restored", workers: 2, restored: true,
			output: []string{"Restored: the database is back", "Maintenance mode off."},
			note:   "retried: the plan runs behind maintenance mode, its failure is restored",
		},
		{
			step: "maintenance on (ZDCD_MAINTENANCE=recovery)", fault: "PATCH app answers 503, persistently",
			version: ftNightly, nightly: true, env: []string{"ZDCD_MAINTENANCE=recovery"}, arrange: patchApp(503),
			exit: 4, outcome: "recovery-failed", workers: 2,
			output: []string{"maintenance mode could not be switched on", "Database:  NOT restored", "heroku maintenance:on"},
			note:   "no restore under live traffic: the database holds accounts.0004, the statement says so and how to finish",
		},
		{
			step: "scale down", fault: "PATCH formation answers 500, persistently",
			version: ftNightly, nightly: true,
			arrange: inject(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*/formation/*", Status: 500}),
			exit:    3, outcome: "failed", workers: 2,
			output: []string{"the worker dynos could not be stopped", "nothing was migrated", "Maintenance mode off."},
			note:   "before the backup: maintenance mode off again, nothing migrated",
		},
		{
			step: "scale down (ZDCD_MAINTENANCE=recovery)", fault: "PATCH formation answers 500, persistently",
			version: ftNightly, nightly: true, env: []string{"ZDCD_MAINTENANCE=recovery"},
			arrange: inject(herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*/formation/*", Status: 500}),
			exit:    4, outcome: "recovery-failed", maintenance: true, workers: 2,
			output: []string{"the worker dynos could not be stopped", "maintenance mode is ON (switched on by zdcd)", "heroku ps:scale worker=0"},
			note:   "not restored while workers write; maintenance left ON and stated",
		},
		{
			step: "restore", fault: "POST restores acted on, then answers 500",
			version: ftNightly, nightly: true,
			arrange: inject(herokufake.Fault{Method: http.MethodPost, Path: restores, Status: 500, Count: 1, ActThenFail: true}),
			exit:    3, outcome: "restored", workers: 2, restored: true,
			output: []string{"Restored: the database is back", "Maintenance mode off."},
			after:  ftRestoreCount(1),
			note:   "the restore Heroku started is found (reconciliation), not started twice",
		},
		{
			step: "restore", fault: "POST restores acted on, then the connection is reset",
			version: ftNightly, nightly: true,
			arrange: inject(herokufake.Fault{Method: http.MethodPost, Path: restores, Reset: true, ActThenFail: true, Count: 1}),
			exit:    3, outcome: "restored", workers: 2, restored: true,
			output: []string{"Restored: the database is back", "Maintenance mode off."},
			after:  ftRestoreCount(1),
			note:   "as the acted-on 500",
		},
		{
			step: "restore", fault: "POST restores answers 422",
			version: ftNightly, nightly: true,
			arrange: inject(herokufake.Fault{Method: http.MethodPost, Path: restores, Status: 422, ID: "invalid_params", Message: "Restores are disabled for this database."}),
			exit:    4, outcome: "recovery-failed", maintenance: true, workers: 0,
			output: []string{"Database:  NOT restored", "Workers:   scaled to 0 by zdcd (before: worker=2)", "heroku pg:backups:restore"},
			note:   "maintenance ON and worker=0 stated, with the commands to restore and come back",
		},
		{
			step: "restore", fault: "GET the restore's transfer answers 503, persistently (ZDCD_API_TIMEOUT=6s)",
			version: ftNightly, nightly: true, env: []string{"ZDCD_API_TIMEOUT=6s"},
			// Transfers run 3s, so that the restore's polls fail while it runs.
			arrange: func(t *testing.T, e *hkEnv) func() { e.srv.SlowTransfers(3 * time.Second); return nil },
			act:     ftFailPollsAfterRestore,
			exit:    4, outcome: "recovery-failed", maintenance: true, workers: 0, restored: true,
			output: []string{"heroku pg:backups --app", "heroku pg:backups:restore"},
			note:   "the restore's outcome is unknown: maintenance ON and worker=0 stated, with how to check and finish",
		},
		{
			step: "restore", fault: "the restore fails on Heroku after loading the data (pg_restore error)",
			version: ftGateNightly, nightly: true, arrange: ftBreakable, act: ftBreakRestore,
			exit: 4, outcome: "none", maintenance: true, workers: 0, restored: true,
			output: []string{"Problem:   the restore of backup", "ft_guarded", "heroku pg:backups:restore", "Database:  partly restored"},
			absent: []string{"probably restored"},
			note: "Heroku reports the restore failed: the database is partly restored (the ledger's rows and constraints " +
				"included, so the run cannot be recorded: the statement is the record); restore again by hand",
		},
		{
			step: "maintenance off", fault: "PATCH app answers 503 after the restore",
			version: ftNightly, nightly: true,
			arrange: inject(
				herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Count: 1},
				herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Status: 503, RetryAfter: "1"}),
			exit: 4, outcome: "recovery-failed", maintenance: true, workers: 2, restored: true,
			output: []string{"maintenance mode could not be switched off", "Database:  restored from backup", "maintenance mode is ON (switched on by zdcd)"},
			note:   "restored, workers back; maintenance ON stated",
		},
		{
			step: "maintenance off", fault: "PATCH app answers 503 after the plan is applied",
			version: ftNightlyApplies, nightly: true,
			arrange: inject(
				herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Count: 1},
				herokufake.Fault{Method: http.MethodPatch, Path: "/apps/*", Status: 503, RetryAfter: "1"}),
			exit: 0, outcome: "applied", maintenance: true, workers: 2,
			output: []string{"ACTION NEEDED: the migrations are applied, but the app could not be brought back", "maintenance mode is ON (switched on by zdcd)", "heroku maintenance:off"},
			note:   "exit 0 all the same: only the new release works with the new schema, so it must go live; maintenance ON stated",
		},
		{
			step: "ledger", fault: "zdcd_ledger.runs locked ACCESS EXCLUSIVE by another session",
			arrange: ftLockLedger,
			exit:    3, outcome: "none", workers: 2,
			output: []string{"start run", "lock timeout", "nothing was changed: retry the release once the ledger is free"},
			note:   "ledger writes give up after their 2s lock_timeout: the run stops before planning (exit 3); nothing changed, nothing recorded",
		},
		func() ftCell {
			var open, unlock func()
			return ftCell{
				step: "ledger", fault: "zdcd_ledger.runs locked ACCESS EXCLUSIVE while the migration runs",
				version: ftGate,
				arrange: func(t *testing.T, e *hkEnv) func() {
					open = holdGate(t, e.dbURL)
					return func() {
						open()
						if unlock != nil {
							unlock()
						}
					}
				},
				act: func(t *testing.T, e *hkEnv, bg *background) {
					ftAtGate(t, e, bg)
					unlock = ftLockLedger(t, e)
					open()
				},
				after: func(t *testing.T, e *hkEnv, dir string, runID float64) {
					// The next release closes the unfinished run: its migrations are applied.
					if r := e.run(dir, e.directEnv(), "release"); r.code != 0 || !strings.Contains(r.stdout, "Closed 1 earlier run(s)") {
						t.Errorf("next release: want exit 0 closing the unfinished run:\n%s", r)
					}
					closed := false
					for _, r := range ftHistory(e, dir) {
						if r["id"] == runID {
							closed = true
							if r["outcome"] != "applied" || r["applied"] != 2.0 {
								t.Errorf("run %v after the next release: %v, want applied with its 2 migrations", runID, r)
							}
						}
					}
					if !closed {
						t.Errorf("run %v is not in the ledger", runID)
					}
				},
				exit: 0, outcome: "unfinished", workers: 2,
				output: []string{"Applied 2 migration(s)", "warning: could not record the outcome in the ledger"},
				note: "the release succeeds (the ledger never blocks it) but its outcome is not recorded (a warning says so); " +
					"the next release records it as applied, with what it applied, from django_migrations",
			}
		}(),
	}
}

// TestFaultMatrix runs every cell, in parallel, and writes or checks docs/reliability.md.
func TestFaultMatrix(t *testing.T) {
	cells := ftCells()
	rows := make([]*ftRow, len(cells))
	t.Run("cells", func(t *testing.T) {
		for i, c := range cells {
			t.Run(c.step+"/"+c.fault, func(t *testing.T) {
				t.Parallel()
				rows[i] = ftRun(t, i, c)
			})
		}
	})
	for _, r := range rows {
		if r == nil {
			t.Logf("%s not checked: not every cell ran to the end", ftDoc)
			return
		}
	}
	got := ftRender(rows)
	if *update {
		if err := os.WriteFile(ftDoc, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(ftDoc)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s does not match the fault matrix as it ran (rerun with -update if the change is intended; %v):\n--- got\n%s", ftDoc, err, got)
	}
}

// ftRun runs one cell and returns its row as it ran (nil when it stopped early).
func ftRun(t *testing.T, i int, c ftCell) *ftRow {
	started := time.Now()
	app := fmt.Sprintf("ft-cell-%02d", i)
	var e *hkEnv
	if c.ownCluster {
		cluster := pgtest.NewCluster(t)
		dbURL, err := cluster.CreateDatabase(context.Background(), "app")
		if err != nil {
			t.Fatal(err)
		}
		e = hkStartOn(t, app, dbURL, nil, c.tune)
		e.cluster = cluster
	} else {
		e = hkStartWith(t, app, nil, c.tune)
	}
	e.seed()
	e.exec("CREATE TABLE ft_writes (id serial PRIMARY KEY, n int NOT NULL UNIQUE, at timestamptz NOT NULL DEFAULT clock_timestamp())")
	if c.version == nil {
		c.version = ftSafe
	}
	dir := c.version(e)
	if c.command == "" {
		c.command = "release"
	}
	env := e.directEnv(c.env...)
	if c.command == "nightly" {
		ntRefuse(e, dir)
		env = ntEnv(e, c.env...)
		e.srv.ResetRequests()
	}
	var args []string
	if c.setup != nil {
		args = c.setup(t, e, dir)
	}
	before := ftRunIDs(e, dir)

	if c.local {
		env = append(baseEnv(e.dbURL), "ZDCD_BACKUP_DIR="+ftFullDir(t))
	}
	if c.nightly {
		env = append(env, "NIGHTLY_BUILD=true")
	}
	var undo func()
	if c.arrange != nil {
		undo = c.arrange(t, e)
	}
	w := ftStartWriter(t, e)
	bg := start(t, dir, env, append([]string{c.command}, args...)...)
	if c.act != nil {
		c.act(t, e, bg)
	}
	r := bg.wait(t)
	e.texts = append(e.texts, r.stdout, r.stderr)
	t.Logf("release: %s", r)
	w.stop(t)
	if undo != nil {
		undo()
	}
	e.srv.ClearFaults()
	out := r.stdout + r.stderr

	if r.code != c.exit {
		t.Errorf("exit %d, want %d", r.code, c.exit)
	}
	hkContainsAll(t, "output", out, c.output...)
	for _, a := range c.absent {
		if strings.Contains(out, a) {
			t.Errorf("output has %q", a)
		}
	}
	if c.exit == 4 && !strings.Contains(out, "RECOVERY FAILED: a human must act") {
		t.Error("exit 4 without the statement for a human")
	}
	if c.exit != 4 && strings.Contains(out, "RECOVERY FAILED") {
		t.Error("recovery reported failed")
	}

	// The ledger: the run this cell made (none when the ledger could not be written).
	outcome, exit, runID := "none", -1, 0.0
	if runs := ftNewRuns(e, dir, before, c.command); len(runs) > 1 {
		t.Errorf("%d runs recorded, want at most 1: %v", len(runs), runs)
	} else if len(runs) == 1 {
		runID = runs[0]["id"].(float64)
		outcome = "unfinished"
		if o, _ := runs[0]["outcome"].(string); o != "" {
			outcome = o
		}
		if f, ok := runs[0]["exit_code"].(float64); ok {
			exit = int(f)
		}
	}
	if outcome != c.outcome {
		t.Errorf("ledger outcome %q, want %q", outcome, c.outcome)
	}
	ledgerCol := outcome
	if exit >= 0 {
		ledgerCol = fmt.Sprintf("%s (%d)", outcome, exit)
		if exit != c.exit {
			t.Errorf("ledger exit_code %d, want %d", exit, c.exit)
		}
	}

	// The app.
	maint := e.srv.Maintenance(e.app)
	workers := e.srv.Formation(e.app)["worker"]
	if maint != c.maintenance {
		t.Errorf("maintenance %v, want %v", maint, c.maintenance)
	}
	if workers != c.workers {
		t.Errorf("worker=%d, want %d", workers, c.workers)
	}
	mcol, wcol := "off", fmt.Sprint(workers)
	if maint {
		mcol = "ON"
		if strings.Contains(out, "maintenance mode is ON (switched on by zdcd)") {
			mcol += ", stated"
		} else {
			t.Error("maintenance mode is left on and the output does not say so")
		}
	}
	if workers != 2 {
		if strings.Contains(out, "Workers:   scaled to 0 by zdcd (before: worker=2)") {
			wcol += ", stated"
		} else {
			t.Error("the workers are left stopped and the output does not say so")
		}
	}
	restores := len(e.transfers("restore"))
	if c.restored && restores == 0 {
		t.Error("no restore, want one")
	}
	if !c.restored && restores != 0 && c.exit != 4 {
		t.Errorf("%d restore(s), want none", restores)
	}

	// The data.
	lost := ftCheckWrites(t, e, w, c.lossOK)
	lcol := "0"
	if c.lossOK {
		lcol = "writes between the backup and maintenance on"
		if c.command == "rollback" {
			lcol = "writes since the undone release's backup, by design"
		}
		t.Logf("rows lost by the restore: %d of %d committed", lost, len(w.committed))
	}
	if all, _ := migrateSessions(t, connect(t, e.dbURL)); all != 0 {
		t.Errorf("%d zdcd-migrate session(s) left", all)
	}
	if c.after != nil {
		c.after(t, e, dir, runID)
	}
	hkAssertNoSecrets(e)
	t.Logf("cell took %s", time.Since(started).Round(time.Millisecond))
	note := c.note
	if c.bug != "" {
		note += "; " + c.bug
		if t.Failed() {
			t.Logf("this cell exposes a known product bug: %s", c.bug)
		}
	}
	return &ftRow{step: c.step, fault: c.fault, exit: fmt.Sprint(r.code), outcome: ledgerCol,
		maintenance: mcol, workers: wcol, lost: lcol, note: note}
}

// ftHistory is the ledger as `zdcd-release history --format json` prints it (possibly empty: a
// failed restore can take the ledger with it).
func ftHistory(e *hkEnv, dir string) []map[string]any {
	e.t.Helper()
	r := e.run(dir, baseEnv(e.dbURL), "history", "--format", "json")
	var runs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &runs); r.code != 0 || err != nil {
		e.t.Fatalf("history: %v\n%s", err, r)
	}
	return runs
}

// ftRunIDs are the ids of the ledger's runs.
func ftRunIDs(e *hkEnv, dir string) map[float64]bool {
	ids := map[float64]bool{}
	for _, r := range ftHistory(e, dir) {
		ids[r["id"].(float64)] = true
	}
	return ids
}

// ftNewRuns are the ledger's runs of command that are not in before.
func ftNewRuns(e *hkEnv, dir string, before map[float64]bool, command string) []map[string]any {
	var out []map[string]any
	for _, r := range ftHistory(e, dir) {
		if !before[r["id"].(float64)] && r["command"] == command {
			out = append(out, r)
		}
	}
	return out
}

// ftWriter commits a row into ft_writes every few milliseconds on its own session, as the old
// release's web traffic does, remembering each row it saw committed and when. Like web traffic
// it stops while the app is in maintenance mode (the router answers 503).
type ftWriter struct {
	e         *hkEnv
	mu        sync.Mutex
	committed []ftWrite
	quit      chan struct{}
	done      chan struct{}
}

type ftWrite struct {
	n  int
	at time.Time // when the commit returned
}

func ftStartWriter(t *testing.T, e *hkEnv) *ftWriter {
	t.Helper()
	w := &ftWriter{e: e, quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		ctx := context.Background()
		var conn *pgx.Conn
		defer func() {
			if conn != nil {
				conn.Close(ctx)
			}
		}()
		for n := 1; ; n++ {
			select {
			case <-w.quit:
				return
			case <-time.After(10 * time.Millisecond):
			}
			if e.srv.Maintenance(e.app) {
				continue
			}
			if conn == nil {
				c, err := pgx.Connect(ctx, e.dbURL)
				if err != nil {
					continue
				}
				conn = c
			}
			qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := conn.Exec(qctx, "INSERT INTO ft_writes (n) VALUES ($1)", n)
			cancel()
			if err != nil {
				// A restore dropped the table or ended the session: the row is not committed.
				conn.Close(ctx)
				conn = nil
				continue
			}
			w.mu.Lock()
			w.committed = append(w.committed, ftWrite{n: n, at: time.Now()})
			w.mu.Unlock()
		}
	}()
	// Writes are flowing before the release starts.
	waitUntil(t, "the writer commits", nil, func() bool { return w.count() >= 3 })
	return w
}

func (w *ftWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.committed)
}

// stop lets the writer commit a few more rows after the release (unless maintenance mode is left
// on), then stops it.
func (w *ftWriter) stop(t *testing.T) {
	t.Helper()
	n := w.count()
	if w.e.srv.Maintenance(w.e.app) {
		close(w.quit)
		<-w.done
		return
	}
	waitUntil(t, "the writer commits after the release", nil, func() bool { return w.count() >= n+3 })
	close(w.quit)
	<-w.done
}

// ftCheckWrites checks every row the writer saw committed is in ft_writes, except, after a
// restore, those committed once the backup had started: the restore brings the database back to
// the backup. It returns how many are missing.
func ftCheckWrites(t *testing.T, e *hkEnv, w *ftWriter, restored bool) int {
	t.Helper()
	present := map[int]bool{}
	for _, s := range e.query("SELECT n::text FROM ft_writes") {
		var n int
		fmt.Sscan(s, &n)
		present[n] = true
	}
	var backupAt, restoreAt time.Time
	if restored {
		backups := e.srv.RequestsMatching(http.MethodPost, "/client/v11/databases/*/backups")
		restores := e.srv.RequestsMatching(http.MethodPost, "/client/v11/databases/*/restores")
		if len(backups) == 0 || len(restores) == 0 {
			t.Fatalf("restored, but %d backup and %d restore requests", len(backups), len(restores))
		}
		// The local Heroku stamps requests to the second, rounded down: the backup's stamp is a
		// lower bound, the restore's plus a second an upper one.
		backupAt, restoreAt = backups[0].Time, restores[0].Time.Add(time.Second)
	}
	lost := 0
	for _, c := range w.committed {
		if present[c.n] {
			continue
		}
		lost++
		// Only a write between the backup's start and the restore may be lost.
		if !restored || c.at.Before(backupAt) || c.at.After(restoreAt) {
			t.Errorf("row %d, committed at %s, is lost (backup requested at %s, restore at %s)", c.n,
				c.at.Format(time.RFC3339Nano), backupAt.Format(time.RFC3339Nano), restoreAt.Format(time.RFC3339Nano))
		}
	}
	return lost
}

// ftBackupCount checks, after the cell, that Heroku made exactly n backups.
func ftBackupCount(n int) func(t *testing.T, e *hkEnv, dir string, runID float64) {
	return func(t *testing.T, e *hkEnv, dir string, runID float64) {
		if got := len(e.transfers("backup")); got != n {
			t.Errorf("%d backup(s) on Heroku, want %d", got, n)
		}
	}
}

// ftRestoreCount checks, after the cell, that Heroku ran exactly n restores.
func ftRestoreCount(n int) func(t *testing.T, e *hkEnv, dir string, runID float64) {
	return func(t *testing.T, e *hkEnv, dir string, runID float64) {
		if got := len(e.transfers("restore")); got != n {
			t.Errorf("%d restore(s) on Heroku, want %d", got, n)
		}
	}
}

// ftSignalDuringBackup sends sig to zdcd-release once Heroku runs its backup.
func ftSignalDuringBackup(sig syscall.Signal) func(t *testing.T, e *hkEnv, bg *background) {
	return func(t *testing.T, e *hkEnv, bg *background) {
		waitUntil(t, "the backup runs", bg, func() bool { return len(e.transfers("backup")) > 0 })
		if err := bg.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
	}
}

// ftFailPollsAfterRestore makes every poll of a transfer answer 503 once the restore is
// requested.
func ftFailPollsAfterRestore(t *testing.T, e *hkEnv, bg *background) {
	waitUntil(t, "the restore is requested", bg, func() bool {
		return len(e.srv.RequestsMatching(http.MethodPost, "/client/v11/databases/*/restores")) > 0
	})
	e.srv.InjectFault(herokufake.Fault{Method: http.MethodGet, Path: "/client/v11/apps/*/transfers/*", Status: 503, RetryAfter: "1"})
}

// ftHoldTable holds ACCESS SHARE on table in an open transaction for the whole run, as a long
// report query of the old release would.
func ftHoldTable(table string) func(t *testing.T, e *hkEnv) func() {
	return func(t *testing.T, e *hkEnv) func() {
		ctx := context.Background()
		tx, err := connect(t, e.dbURL).Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()); err != nil {
			t.Fatal(err)
		}
		return func() { tx.Rollback(ctx) }
	}
}

// ftGateHeldLoosely holds the gate on a session a server restart will end (so its release is
// not checked).
func ftGateHeldLoosely(t *testing.T, e *hkEnv) func() {
	conn := connect(t, e.dbURL)
	if _, err := conn.Exec(context.Background(), "SELECT pg_advisory_lock($1)", int64(gateKey)); err != nil {
		t.Fatal(err)
	}
	return nil
}

// ftRestartServer restarts the app's own PostgreSQL cluster while the migrate command waits at
// the gate: a failover or a maintenance restart.
func ftRestartServer(t *testing.T, e *hkEnv, bg *background) {
	ftAtGate(t, e, bg).Close(context.Background())
	if err := e.cluster.Restart(); err != nil {
		t.Fatal(err)
	}
}

// ftHoldReleaseLock holds the release lock on a session of the test's, as a long release would.
func ftHoldReleaseLock(t *testing.T, e *hkEnv) func() {
	conn := connect(t, e.dbURL)
	if _, err := conn.Exec(context.Background(), "SELECT pg_advisory_lock($1)", release.LockKey); err != nil {
		t.Fatal(err)
	}
	return func() { conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", release.LockKey) }
}

// ftLockLedger holds an ACCESS EXCLUSIVE lock on zdcd_ledger.runs for the whole run.
func ftLockLedger(t *testing.T, e *hkEnv) func() {
	ctx := context.Background()
	conn := connect(t, e.dbURL)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE zdcd_ledger.runs IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	return func() { tx.Rollback(ctx) }
}

// ftGateHeld holds the gate, so that the gate migration waits until the test acts.
func ftGateHeld(t *testing.T, e *hkEnv) func() { return holdGate(t, e.dbURL) }

// ftAtGate waits until the migrate command waits at the gate.
func ftAtGate(t *testing.T, e *hkEnv, bg *background) *pgx.Conn {
	conn := connect(t, e.dbURL)
	waitUntil(t, "the migrate command waits at the gate", bg, func() bool {
		_, waiting := migrateSessions(t, conn)
		return waiting > 0
	})
	return conn
}

// ftTerminateMigrate ends the waiting migrate session from the server side, as a failover or a
// dropped connection would.
func ftTerminateMigrate(t *testing.T, e *hkEnv, bg *background) {
	conn := ftAtGate(t, e, bg)
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'zdcd-migrate' AND datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil || n == 0 {
		t.Fatalf("terminate the migrate session: %d terminated, %v", n, err)
	}
}

// ftSignal sends sig to zdcd-release once the migrate command waits at the gate.
func ftSignal(sig syscall.Signal) func(t *testing.T, e *hkEnv, bg *background) {
	return func(t *testing.T, e *hkEnv, bg *background) {
		ftAtGate(t, e, bg)
		if err := bg.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
	}
}

// ftFullDir is a backup directory with no room: a 4 KiB tmpfs. Mounting needs root; without it,
// the nearest cell is a path that is a file, where no dump can be written.
func ftFullDir(t *testing.T) string {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Logf("mount a tmpfs (%v: %s): using a file as the backup directory instead", err, bytes.TrimSpace(out))
		file := filepath.Join(dir, "file")
		if err := os.WriteFile(file, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		return file
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

// ftRender is docs/reliability.md.
func ftRender(rows []*ftRow) []byte {
	var b bytes.Buffer
	b.WriteString(`# Reliability: the fault matrix

<!-- Generated by TestFaultMatrix (test/e2e/faults_test.go) with -update. Do not edit. -->

What ` + "`zdcd-release release`" + `, ` + "`zdcd-release nightly`" + ` (steps named "nightly:") and
` + "`zdcd-release rollback --confirm APP`" + ` (steps named "rollback:") do when a step meets a fault.
Every row is a cell of ` + "`TestFaultMatrix`" + `, run end to end: the binary as Heroku runs it, against
a real PostgreSQL, Debian's real Django and the local Heroku (internal/herokufake), whose backups
and restores really run pg_dump and pg_restore, and which can answer any status, hang, or reset
the connection (after acting on the request, or not). The table is written from the cells as
they ran, so the page says what the tests check:

` + "```" + `
go test -count=1 ./test/e2e -run TestFaultMatrix -v            # run the matrix (a few minutes)
go test -count=1 ./test/e2e -run TestFaultMatrix -update       # rewrite this page
` + "```" + `

Each cell starts an app at the sample project's baseline with ` + "`worker=2`" + ` and three customers,
deploys a version (a backward-compatible migration, sometimes followed by one that waits at a gate
until the test acts; or, for the recovery steps, the plan ` + "`NIGHTLY_BUILD=true`" + ` approves: the
unsafe ` + "`accounts.0004`" + `, then a migration that fails), injects the fault, and checks:

- **exit**: the exit code (DESIGN.md: 0 done, 2 nothing changed, 3 failed and consistent, 4 a
  human must act);
- **ledger outcome**: the outcome and exit code recorded for the run (` + "`zdcd-release history`" + `);
  "none" when no run could be recorded, "unfinished" when its outcome could not be;
- **maintenance** and **workers**: the app at the end; when zdcd leaves maintenance mode on or a
  worker stopped, "stated" means its statement says so and how to finish;
- **rows lost**: while the command runs, a writer commits a row every 10 ms into ` + "`ft_writes`" + `, a
  table no migration touches, as the old release's web traffic would; like web traffic it pauses
  while maintenance mode is on (Heroku's router then answers 503). Every row it saw committed must
  be there at the end. A plan the old release may not survive runs behind maintenance mode with
  the workers stopped from before its backup (` + "`ZDCD_MAINTENANCE=unsafe`" + `, the default; the nightly
  window does the same), so restoring that backup loses no committed write either. Two kinds of
  cell lose writes by design, and say so: ` + "`ZDCD_MAINTENANCE=recovery`" + `, where such a plan runs under
  live traffic and the restore loses the writes between the backup's start and maintenance mode;
  and a rollback that restores, which brings the database back to the backup taken before the
  release it undoes, so every write since is lost (` + "`rollback`" + ` says so in its dry run). Those cells
  check that every row committed before the backup or after the restore is present. A writer
  that maintenance mode does not stop (a one-off dyno, another app on the same database) keeps
  writing; those writes can be lost by a restore, and can make Heroku's restore itself fail.

Every cell also checks that no ` + "`zdcd-migrate`" + ` session is left behind and that neither the API
key nor the database password appears in the output, the ledger or the requests sent to Heroku.

| step | fault | exit | ledger outcome | maintenance | workers | rows lost | note |
| --- | --- | --- | --- | --- | --- | --- | --- |
`)
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", r.step, r.fault, r.exit, r.outcome, r.maintenance, r.workers, r.lost, r.note)
	}
	return b.Bytes()
}

// ftKillMigrate SIGKILLs the migrate command (python manage.py migrate, a descendant of
// zdcd-release) while it waits at the gate, as an out-of-memory kill would. Its database session
// is orphaned: a backend waiting for a lock does not notice its client is gone.
func ftKillMigrate(t *testing.T, e *hkEnv, bg *background) {
	ftAtGate(t, e, bg)
	pid := ftDescendant(t, bg.cmd.Process.Pid, "manage.py")
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill the migrate command (pid %d): %v", pid, err)
	}
}

// ftDescendant finds a process below parent whose command line has word.
func ftDescendant(t *testing.T, parent int, word string) int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	ppid := func(pid int) int {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0
		}
		// pid (comm) state ppid …: comm may hold spaces and parentheses.
		rest := string(b[bytes.LastIndexByte(b, ')')+1:])
		var state string
		var pp int
		fmt.Sscan(rest, &state, &pp)
		return pp
	}
	for _, en := range entries {
		var pid int
		if _, err := fmt.Sscan(en.Name(), &pid); err != nil || pid == parent {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !bytes.Contains(cmdline, []byte(word)) {
			continue
		}
		for p, depth := ppid(pid), 0; p > 1 && depth < 5; p, depth = ppid(p), depth+1 {
			if p == parent {
				return pid
			}
		}
	}
	t.Fatalf("no process with %q below pid %d", word, parent)
	return 0
}

// ftBreakable holds the gate and adds, before the backup, a table whose domain rejects every
// value in a session where the database-level setting ft.fail is on. The table sorts after
// django_migrations and ft_writes, so a restore loads them before it fails on this one.
func ftBreakable(t *testing.T, e *hkEnv) func() {
	e.exec(`CREATE DOMAIN ft_guarded AS int CHECK (current_setting('ft.fail', true) IS DISTINCT FROM 'on');
		CREATE TABLE ft_zz (v ft_guarded);
		INSERT INTO ft_zz VALUES (1)`)
	return holdGate(t, e.dbURL)
}

// ftBreakRestore makes the coming restore fail after it loaded part of the data, as a pg_restore
// error on Heroku would: at the gate (after the backup, before the restore) it switches ft.fail
// on for the database's new sessions, then ends the migrate session so that the migration fails
// after the unsafe accounts.0004.
func ftBreakRestore(t *testing.T, e *hkEnv, bg *background) {
	conn := ftAtGate(t, e, bg)
	if _, err := conn.Exec(context.Background(), `DO $$ BEGIN
		EXECUTE format('ALTER DATABASE %I SET ft.fail = %L', current_database(), 'on'); END $$`); err != nil {
		t.Fatal(err)
	}
	ftTerminateMigrate(t, e, bg)
}
