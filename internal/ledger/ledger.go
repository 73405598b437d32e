// Package ledger records every zdcd-release run in the application's own database, in the
// zdcd_ledger schema: the release, its plan and verdict, findings, approvals, backup, the applied
// set before and after, step timings and the outcome. The release and nightly flows write it;
// `history` reads it; the nightly flow asks it which refused releases are still waiting.
//
// Decisions:
//
//   - Schema. The ledger creates and upgrades itself with its own embedded, versioned migrations
//     (schema/NNNN_name.sql, tracked in zdcd_ledger.schema_version), each in its own transaction
//     under a transaction-level advisory lock, re-checking the version under the lock: concurrent
//     release phases apply each migration once, and an up-to-date ledger costs Open no lock.
//     Ledger migrations only expand (new tables, nullable columns), so an older zdcd-release after
//     a rollback still writes to a newer ledger. The schema is not "zdcd" (see Schema for why) and
//     never public; every statement names it explicitly, whatever the search_path.
//   - Permissions. A role without CREATE on the database gets a *PermissionError naming the
//     GRANT; a DBA may instead create the schema and hand it to the role.
//   - Findings are rows (zdcd_ledger.findings, with their approval), queryable by rule; the
//     applied sets are JSONB arrays (read and written whole, never queried by row).
//   - Writes are short transactions with their own lock_timeout (2s) and statement_timeout
//     (10s): a ledger write gives up rather than stall a release, and none spans a migration.
//     The store uses the caller's connection, which must not be inside a transaction.
//   - Secrets. Every stored text goes through Scrub (URL passwords, password=..., SQL PASSWORD
//     '...') and Options.Secrets; callers pass scrubbed text already.
//   - Supersession. A refusal waits for the nightly window until a later successful (applied or
//     nothing-pending) release or nightly run of the same or a newer release version, or of the
//     same slug, supersedes it (recorded in the same transaction as that run's outcome), or until
//     MarkSuperseded. Refused lists the waiting ones newest first; the nightly deploys the first.
//   - Restores. A restore of the pre-migration backup rolls the ledger back with the rest of the
//     database; the release keeps its run in memory and rewrites it with Put afterwards.
//   - Runs killed before recording an outcome stay unfinished; FinishAbandoned, called under the
//     release lock, closes them: a release run whose planned migrations are all applied as
//     applied, the others as interrupted. What it reads in django_migrations was done while the
//     dead run supervised it: the migrate command dies with zdcd (parent-death signal), and the
//     release ends any zdcd-migrate session left over before calling it (migrate.TerminateOrphans).
//     The one exception is a wrapper that forks Python (docs/release.md, SIGKILL): the migration
//     in progress may still commit; none after it starts.
//   - Plan digests. RecordPlan stores each migration's plan.Migration.Digest() (what it will do
//     to the database: its SQL, RunPython functions, atomicity; see plan.Migration.Digest), so
//     an approval can name the exact plan that was reviewed. LatestPlanOf finds the newest
//     recorded plan of a migration, for `approve`; RunByRelease the run of a Heroku release
//     version, for the nightly flow reading the release phase it triggered.
//   - Provenance (provenance.go) answers, for migrations the database holds and the code being
//     released lacks, which run applied each (the newest whose applied sets show it appear) and
//     what the plan that judged it found (that run's plan, else the newest plan holding it, e.g.
//     a refusal's before a hand-applied migrate); LastSucceededBefore the newest release whose
//     release phase succeeded before a version, the rollback target zdcd suggests.
//   - Approvals are bound to a digest and an expiry: an approval is in force (ApprovalsFor)
//     until it expires (by the store's clock), is revoked, or is consumed; the release matches
//     its plan's digest against it, so a plan that changed since approval is refused. Source
//     tells `approve` from the nightly flow, which records approvals for the plan of the refused
//     run (RunID) it re-releases and whose approvals the release consumes (ConsumeApprovals,
//     idempotent). Approvals recorded before ledger version 2 have neither digest nor expiry:
//     they cannot be matched to a plan and are never in force (Approvals(ctx, true) still lists
//     them). consumed_by and run_id are plain ids, not foreign keys, so that Put can rewrite
//     runs after a restore in any order. A restore also rolls back the consumption of approvals
//     the restored run consumed.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
)

// Command is the zdcd-release command a run records.
type Command string

const (
	CommandRelease Command = "release"
	CommandNightly Command = "nightly"
	CommandCheck   Command = "check"
	// CommandRollback is `zdcd-release rollback --confirm`.
	CommandRollback Command = "rollback"
)

// Verdict is the release's verdict on its plan.
type Verdict string

const (
	// VerdictSafe: every migration safe, no approval needed.
	VerdictSafe Verdict = "safe"
	// VerdictUnsafe: unsafe findings no approval covers.
	VerdictUnsafe Verdict = "unsafe"
	// VerdictApproved: safe only because reviewed approvals cover its unsafe findings.
	VerdictApproved Verdict = "approved"
	// VerdictNightly: unsafe findings allowed by NIGHTLY_BUILD (the maintenance window).
	VerdictNightly Verdict = "nightly"
	// VerdictInitial: unsafe findings allowed because it is the first deploy to an empty
	// database.
	VerdictInitial Verdict = "initial"
)

// VerdictOf derives a result's verdict.
func VerdictOf(r *analysis.Result) Verdict {
	switch {
	case r == nil:
		return ""
	case !r.Safe && r.Nightly:
		return VerdictNightly
	case !r.Safe && r.Initial:
		return VerdictInitial
	case !r.Safe:
		return VerdictUnsafe
	}
	for _, m := range r.Migrations {
		for _, f := range m.Findings {
			if f.Approval != nil {
				return VerdictApproved
			}
		}
	}
	return VerdictSafe
}

// Outcome is how a run ended.
type Outcome string

const (
	OutcomeNothingPending  Outcome = "nothing-pending"
	OutcomeApplied         Outcome = "applied"
	OutcomeRefused         Outcome = "refused"
	OutcomeMigrationFailed Outcome = "migration-failed"
	OutcomeRestored        Outcome = "restored"
	OutcomeRecoveryFailed  Outcome = "recovery-failed"
	OutcomeInterrupted     Outcome = "interrupted"
	// OutcomeBackupFailed: the backup before migrating failed, so nothing was migrated.
	OutcomeBackupFailed Outcome = "backup-failed"
	// OutcomeFailed: the run stopped before migrating (the plan could not be made, the
	// configuration was wrong, the release lock was busy); nothing was changed.
	OutcomeFailed Outcome = "failed"
	// OutcomeRolledBack: `rollback` rolled the app back (restoring the database when needed).
	OutcomeRolledBack Outcome = "rolled-back"
)

var outcomes = map[Outcome]bool{
	OutcomeNothingPending: true, OutcomeApplied: true, OutcomeRefused: true, OutcomeMigrationFailed: true,
	OutcomeRestored: true, OutcomeRecoveryFailed: true, OutcomeInterrupted: true,
	OutcomeBackupFailed: true, OutcomeFailed: true, OutcomeRolledBack: true,
}

// Succeeded reports an outcome after which the database holds the release's schema.
func (o Outcome) Succeeded() bool { return o == OutcomeNothingPending || o == OutcomeApplied }

// ErrNotFound is returned for a run or approval that does not exist.
var ErrNotFound = errors.New("not found in the ledger")

// RunInfo is what is known when a run starts.
type RunInfo struct {
	Command Command `json:"command"`
	// StartedAt defaults to the store's clock.
	StartedAt time.Time `json:"started_at"`
	AppName   string    `json:"app_name,omitempty"`
	// ReleaseVersion is the Heroku release version (42 for "v42"), 0 when unknown; see
	// ParseReleaseVersion.
	ReleaseVersion int    `json:"release_version,omitempty"`
	SlugID         string `json:"slug_id,omitempty"`
	// ServerVersion is server_version_num (0 when unknown; RecordPlan fills it from the result).
	ServerVersion int `json:"server_version,omitempty"`
	// ZdcdVersion is the zdcd-release version that ran.
	ZdcdVersion string `json:"zdcd_version,omitempty"`
}

// Run is one run as recorded.
type Run struct {
	ID int64 `json:"id"`
	RunInfo
	FinishedAt time.Time `json:"finished_at,omitzero"`
	Verdict    Verdict   `json:"verdict,omitempty"`
	// Outcome is empty while the run is in progress, or when its process died before finishing.
	Outcome Outcome `json:"outcome,omitempty"`
	// ExitCode is -1 until the run finishes.
	ExitCode       int    `json:"exit_code"`
	Error          string `json:"error,omitempty"`
	BackupID       string `json:"backup_id,omitempty"`
	BackupLocation string `json:"backup_location,omitempty"`
	// SupersededBy is the run that superseded this refusal (0 when explicit or not superseded).
	SupersededBy     int64     `json:"superseded_by,omitempty"`
	SupersededAt     time.Time `json:"superseded_at,omitzero"`
	SupersededReason string    `json:"superseded_reason,omitempty"`
}

// Finished reports whether the run recorded its outcome.
func (r Run) Finished() bool { return r.Outcome != "" }

// Superseded reports whether this refusal no longer waits for the nightly window.
func (r Run) Superseded() bool { return !r.SupersededAt.IsZero() }

// Step is one timed step of a run.
type Step struct {
	Name     string    `json:"name"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	OK       bool      `json:"ok"`
	Detail   string    `json:"detail,omitempty"`
}

// Duration is how long the step took.
func (s Step) Duration() time.Duration { return s.Finished.Sub(s.Started) }

// Migration is one migration of a run's plan as recorded.
type Migration struct {
	App  string `json:"app"`
	Name string `json:"name"`
	File string `json:"file,omitempty"`
	// Digest is plan.Migration.Digest() of the migration as planned ("sha256:<hex>"); empty for
	// a plan recorded by a zdcd-release before ledger version 2.
	Digest   string             `json:"digest,omitempty"`
	Safe     bool               `json:"safe"`
	Findings []analysis.Finding `json:"findings"`
}

// Key returns the migration's key.
func (m Migration) Key() plan.MigrationKey { return plan.MigrationKey{App: m.App, Name: m.Name} }

// UsedApproval is an approval that covered a finding in a run.
type UsedApproval struct {
	App    string `json:"app"`
	Name   string `json:"name"`
	Rule   string `json:"rule"`
	By     string `json:"by"`
	Entry  string `json:"entry"`
	Reason string `json:"reason,omitempty"`
}

// Detail is everything recorded about one run.
type Detail struct {
	Run
	Migrations []Migration    `json:"migrations"`
	Approvals  []UsedApproval `json:"approvals"`
	Steps      []Step         `json:"steps"`
	// Before and After are the applied sets around the migrate step (nil when not recorded).
	Before []plan.MigrationKey `json:"applied_before,omitempty"`
	After  []plan.MigrationKey `json:"applied_after,omitempty"`
}

// Applied returns the migrations in After but not in Before: what the run applied.
func (d Detail) Applied() []plan.MigrationKey { return plan.Minus(d.After, d.Before) }

// Unapplied returns the migrations in Before but not in After (a restore, or a rollback).
func (d Detail) Unapplied() []plan.MigrationKey { return plan.Minus(d.Before, d.After) }

// RunSummary is one line of history.
type RunSummary struct {
	Run
	// Migrations is the number of migrations in the plan; Unsafe how many were not safe.
	Migrations int `json:"migrations"`
	Unsafe     int `json:"unsafe"`
	// Applied is how many migrations the run applied (After minus Before).
	Applied int `json:"applied"`
}

// Approval sources.
const (
	// ApprovalByApprove: recorded by `zdcd-release approve` after a review.
	ApprovalByApprove = "approve"
	// ApprovalByNightly: recorded by the nightly flow, in the maintenance window, for the plan of
	// the refused release it deploys again.
	ApprovalByNightly = "nightly"
)

// Approval is an approval of one migration as planned: it holds for the plan whose digest it
// names, until it expires, is revoked or is consumed. A plan that changed since it was approved
// has another digest and is refused.
type Approval struct {
	ID   int64  `json:"id"`
	App  string `json:"app"`
	Name string `json:"name"`
	// Rule is the approved rule; empty approves every rule for the migration.
	Rule       string    `json:"rule,omitempty"`
	Reason     string    `json:"reason"`
	ApprovedBy string    `json:"approved_by"`
	CreatedAt  time.Time `json:"created_at"`
	// Digest is the approved plan of the migration, plan.Migration.Digest(). Approvals recorded
	// before ledger version 2 have none and are never in force.
	Digest    string    `json:"digest"`
	ExpiresAt time.Time `json:"expires_at"`
	// ConsumedAt and ConsumedBy (a run id) are set once a release used the approval.
	ConsumedAt time.Time `json:"consumed_at,omitzero"`
	ConsumedBy int64     `json:"consumed_by,omitempty"`
	// Source is ApprovalByApprove or ApprovalByNightly (empty for approvals recorded before
	// ledger version 2).
	Source string `json:"source"`
	// RunID is the refused run whose plan was approved (0 when not recorded).
	RunID     int64     `json:"run_id,omitempty"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Key returns the approved migration's key.
func (a Approval) Key() plan.MigrationKey { return plan.MigrationKey{App: a.App, Name: a.Name} }

// Store is the ledger as the release, nightly and history flows use it.
type Store interface {
	// StartRun records a new run and returns its id.
	StartRun(ctx context.Context, info RunInfo) (int64, error)
	// RecordPlan records the plan's migrations, their verdicts, findings and approvals, and the
	// run's verdict. Recording again replaces the previous plan.
	RecordPlan(ctx context.Context, runID int64, r *analysis.Result) error
	// RecordBackup records the backup taken before migrating.
	RecordBackup(ctx context.Context, runID int64, id, location string) error
	// RecordStep appends a timed step.
	RecordStep(ctx context.Context, runID int64, s Step) error
	// RecordApplied records the applied sets before and after the migrate step.
	RecordApplied(ctx context.Context, runID int64, before, after []plan.MigrationKey) error
	// FinishRun records the outcome. A successful release or nightly run supersedes earlier
	// refusals of the same or an older release version.
	FinishRun(ctx context.Context, runID int64, outcome Outcome, exitCode int, errText string) error
	// FinishAbandoned closes the unfinished runs other than current whose session is gone: a
	// release run whose planned migrations are all applied as applied, others as interrupted
	// (call it holding the release lock).
	FinishAbandoned(ctx context.Context, current int64) (int, error)
	// Put writes a whole run as given (id included), replacing what the ledger holds for it:
	// after a restore rolled the ledger back with the rest of the database, the release rewrites
	// the run from memory.
	Put(ctx context.Context, d *Detail) error

	// History returns the latest runs, newest first.
	History(ctx context.Context, limit int) ([]RunSummary, error)
	// Run returns everything recorded about one run (ErrNotFound when absent).
	Run(ctx context.Context, id int64) (*Detail, error)

	// Refused returns the refused runs started at or after since that no later run superseded,
	// newest first.
	Refused(ctx context.Context, since time.Time) ([]Run, error)
	// MarkSuperseded marks a refusal superseded (by a run, or 0, with a reason).
	MarkSuperseded(ctx context.Context, refusedID, byRunID int64, reason string) error
	// Superseded reports whether a refusal is superseded.
	Superseded(ctx context.Context, refusedID int64) (bool, error)

	// Approve records an approval of one migration's digest; ApprovalsFor returns the ones in
	// force (not revoked, not consumed, not expired) for migrations; Approvals lists them all
	// (includeInactive) or those in force, newest first.
	Approve(ctx context.Context, a Approval) (int64, error)
	ApprovalsFor(ctx context.Context, migrations []plan.MigrationKey) ([]Approval, error)
	Approvals(ctx context.Context, includeInactive bool) ([]Approval, error)
	// ConsumeApprovals marks approvals used by a run; consuming again is a no-op.
	ConsumeApprovals(ctx context.Context, ids []int64, runID int64) error

	// LatestPlanOf returns the newest run whose recorded plan contains the migration;
	// RunByRelease the newest run of a command for a Heroku release version (ErrNotFound when
	// there is none).
	LatestPlanOf(ctx context.Context, key plan.MigrationKey) (*Detail, error)
	RunByRelease(ctx context.Context, command Command, version int) (*Detail, error)
}

var _ Store = (*Postgres)(nil)

// ParseReleaseVersion reads HEROKU_RELEASE_VERSION ("v42") as 42; false when empty or malformed.
func ParseReleaseVersion(s string) (int, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// Limits on stored text: an error or a step's detail is kept whole up to this size.
const maxText = 64 << 10

var (
	// scheme://user:password@ — any URL scheme, the password replaced.
	urlPassword = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.\-]*://[^\s:/@]*):[^\s@/]*@`)
	// key=value connection strings and query parameters: password=..., sslpassword=...
	kvPassword = regexp.MustCompile(`(?i)\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&;]+)`)
	// SQL: CREATE/ALTER ROLE ... PASSWORD 'secret' (a RunSQL statement in a finding).
	sqlPassword = regexp.MustCompile(`(?i)\b(PASSWORD\s+)(?:E?'(?:[^']|'')*'|\$\$.*?\$\$)`)
)

// Scrub removes passwords from text bound for the ledger: the userinfo password of any URL
// (postgres://user:secret@host), password=... settings and SQL's PASSWORD '...'. Callers pass scrubbed text already;
// this is the ledger's own line of defence, since the ledger outlives every log.
func Scrub(s string) string {
	s = urlPassword.ReplaceAllString(s, "$1:********@")
	s = kvPassword.ReplaceAllString(s, "${1}********")
	s = sqlPassword.ReplaceAllString(s, "${1}'********'")
	if len(s) > maxText {
		s = s[:maxText] + "\n[... truncated by the ledger]"
	}
	// PostgreSQL text holds neither NUL nor invalid UTF-8 (a migration's output may carry both).
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
}

func validCommand(c Command) error {
	switch c {
	case CommandRelease, CommandNightly, CommandCheck, CommandRollback:
		return nil
	}
	return fmt.Errorf("ledger: unknown command %q", c)
}
