// Package migrate runs the app's own migrate command for the release phase (DESIGN.md, release
// step 6): short lock_timeout, many retries, a wait for conflicting sessions before each attempt,
// a watchdog over the sessions blocked behind the migration, and repair of the INVALID indexes
// a cancelled CONCURRENTLY build leaves.
//
// Decisions:
//
//   - The command (ZDCD_MIGRATE_COMMAND) is split into argv by SplitCommand, not run through
//     `sh -c`: zdcd must append `<app> <migration>` in one-at-a-time mode, and the process group
//     it signals is the command's own. A leading `python`/`python3` word is replaced by the
//     configured interpreter (ZDCD_PYTHON) when there is one. Runner.Argv overrides it all.
//     config.Load already refused a command that needs a shell, or a sh -c script that would drop
//     the appended words; every one-at-a-time attempt is also verified (verify.go).
//   - Session settings are set from inside Django and verified before the first migration
//     (session.go, sitecustomize.py): a module on the command's PYTHONPATH runs set_config for
//     lock_timeout, statement_timeout and application_name on every new connection and reports
//     the values read back; django_migrations is held until a session reports them, and a session
//     that did not stops the command (ErrSessionUnverified). They also travel in PGOPTIONS
//     (`-c lock_timeout=<ms> -c statement_timeout=<ms> -c application_name=zdcd-migrate`),
//     appended to the environment's PGOPTIONS, plus PGAPPNAME — a first layer only: libpq ignores
//     PGOPTIONS when the app's settings pass `options`, and PgBouncer may drop it. Every attempt
//     is a new process, so every retry's sessions get the settings again (HAZARDS.md). Caveat: a
//     pooler in transaction mode keeps no session setting: the migrate command must connect to
//     the database directly.
//   - The guard also reports the settings module Django runs with and which database the session
//     reached (database.Identity); the command gets the plan's DJANGO_SETTINGS_MODULE, and a
//     session with another module, or one of the migrated alias on another database than zdcd's,
//     is refused like unverified settings.
//   - Before anything is touched (the release's backup and window, the nightly run's maintenance
//     mode), Probe runs the command once as the first attempt would, in probe mode: the guard
//     reports and ends the process before Django's first query (probe.go). The gate still checks
//     every attempt.
//   - A lock timeout is recognised only in the output after the last Python traceback: the
//     exception line names psycopg's LockNotAvailable (SQLSTATE 55P03, language independent) or
//     carries the server's English message "canceling statement due to lock timeout". Anything
//     else, statement timeouts and deadlocks included, is a plain failure and is not retried.
//   - A migration whose statements wait by design (CONCURRENTLY, VALIDATE CONSTRAINT) and take no
//     lock that blocks reads or writes runs with lock_timeout=0 (statement_timeout only).
//   - Before each attempt the runner waits (at most LockWait) until no other session holds or
//     awaits a conflicting lock on the tables the next migration locks, then attempts anyway: the
//     short lock_timeout bounds the harm.
//   - A lock-timed-out attempt is retried after LockRetryDelay, doubled each retry up to
//     LockRetryMaxDelay, at most LockRetries times; the budget starts again whenever an attempt
//     applies something (it is per migration). Any other failure ends the run at once.
//   - After a failed or interrupted attempt, the migration's sessions still alive are terminated
//     (pg_terminate_backend, application_name = zdcd-migrate): a backend waiting for a lock does
//     not notice its client is gone and would keep its place in the lock queue. On PostgreSQL 14+
//     PGOPTIONS also sets client_connection_check_interval=1000 for the same reason.
//   - Interruption (ctx done: SIGTERM from Heroku) sends SIGTERM to the command's process group,
//     SIGKILL after KillGrace; the run ends with KindInterrupted.
//   - Output is streamed as it comes, each line indented (Heroku's log style); a partial line
//     ("Applying app.0002_x...") is shown at once and its end (" OK") on the next line, so a hung
//     migration is visible. Secrets (the database password, in any encoding: Redactor) never reach the log.
//   - INVALID indexes whose names the pending migrations build CONCURRENTLY are dropped (DROP
//     INDEX CONCURRENTLY IF EXISTS) before every attempt, the first included: the migration is not
//     applied, so an invalid index of that name can only be a leftover of a cancelled build —
//     unless a build is running right now (pg_stat_progress_create_index), which is left alone.
package migrate

import (
	"errors"
	"time"

	"github.com/zdcd/zdcd/internal/plan"
)

// ApplicationName is the application_name of the migrate command's database sessions.
const ApplicationName = "zdcd-migrate"

// monitorApplicationName is the application_name of the runner's own monitoring session.
const monitorApplicationName = "zdcd-monitor"

// Kind is how a run ended.
type Kind string

// Kinds of Result.
const (
	KindOK                   Kind = ""
	KindLockTimeoutExhausted Kind = "lock-timeout-exhausted"
	KindFailed               Kind = "failed"
	KindInterrupted          Kind = "interrupted"
)

// Sentinels, wrapped by the error Run returns.
var (
	ErrLockTimeoutExhausted = errors.New("lock timeout: retries exhausted")
	ErrFailed               = errors.New("migrate command failed")
	ErrInterrupted          = errors.New("migrate command interrupted")
)

// Result is what a run did.
type Result struct {
	Attempts []Attempt `json:"attempts"`
	// Applied are the planned migrations recorded in django_migrations during the run, in the
	// order they were seen.
	Applied  []plan.MigrationKey `json:"applied"`
	Duration time.Duration       `json:"duration_ns"`
	Watchdog WatchdogSummary     `json:"watchdog"`
	// Kind is KindOK on success.
	Kind Kind `json:"kind,omitempty"`
}

// Attempt is one run of the migrate command.
type Attempt struct {
	// Target is the migration applied alone, nil when the command applied everything pending.
	Target *plan.MigrationKey `json:"target,omitempty"`
	Start  time.Time          `json:"start"`
	// Waited is the time spent before the attempt waiting for conflicting sessions, and Blockers
	// the sessions seen doing so (each pid once).
	Waited   time.Duration `json:"waited_ns"`
	Blockers []Session     `json:"blockers,omitempty"`
	// Repaired are the INVALID indexes dropped before the attempt ("schema.name").
	Repaired []string `json:"repaired,omitempty"`
	// LockTimeout is the lock_timeout the attempt ran with (0: none).
	LockTimeout time.Duration `json:"lock_timeout_ns"`
	Duration    time.Duration `json:"duration_ns"`
	ExitCode    int           `json:"exit_code"`
	// Applied are the planned migrations this attempt recorded in django_migrations.
	Applied      []plan.MigrationKey `json:"applied"`
	LockTimedOut bool                `json:"lock_timed_out"`
	// Session is what the session guard read back in the first verified session (nil: none).
	Session     *SessionReport `json:"session,omitempty"`
	Interrupted bool           `json:"interrupted"`
	// Err is nil when the command succeeded; Error is its text (for the ledger).
	Err   error  `json:"-"`
	Error string `json:"error,omitempty"`
}

// Session is another database session, as pg_stat_activity shows it.
type Session struct {
	PID             int       `json:"pid"`
	ApplicationName string    `json:"application_name"`
	State           string    `json:"state"`
	QueryStart      time.Time `json:"query_start"`
	// Query is the session's current or last query, truncated.
	Query string `json:"query"`
	// Table and Mode say which of our tables it locks and how, Granted whether it holds the lock
	// or waits for it (pre-wait only).
	Table   string `json:"table,omitempty"`
	Mode    string `json:"mode,omitempty"`
	Granted bool   `json:"granted,omitempty"`
	// BlockedBy are the migration's pids it waits behind, and Waiting how long it has waited
	// (watchdog only).
	BlockedBy []int         `json:"blocked_by,omitempty"`
	Waiting   time.Duration `json:"waiting_ns,omitempty"`
}

// WatchdogSummary is what the watchdog saw over the whole run.
type WatchdogSummary struct {
	// Sessions is how many distinct sessions were seen blocked behind the migration.
	Sessions int `json:"sessions"`
	// MaxBlocked is the largest number blocked at once, and LongestWait the longest wait seen
	// (at least that long: it is sampled every PollInterval).
	MaxBlocked  int           `json:"max_blocked"`
	LongestWait time.Duration `json:"longest_wait_ns"`
}
