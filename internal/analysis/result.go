package analysis

import "github.com/zdcd/zdcd/internal/plan"

// Severity says whether a finding blocks a release.
type Severity string

const (
	// Unsafe findings block the release unless approved.
	Unsafe Severity = "unsafe"
	// Warning findings are reported and do not block.
	Warning Severity = "warning"
)

// Finding is one problem a rule found in one operation (and, for SQL rules, one statement).
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	// Operation is the operation's class ("RemoveField"); for an operation nested in
	// SeparateDatabaseAndState it is the nested operation's class.
	Operation string `json:"operation"`
	// Line is the operation's line in the migration file (0 when unknown).
	Line int `json:"line"`
	// Statement is the SQL statement concerned, empty for findings about the operation as a whole.
	Statement string `json:"statement"`
	// Message says what is wrong: which lock, what breaks, for how long.
	Message string `json:"message"`
	// Fix is the safe alternative as concrete steps.
	Fix string `json:"fix"`
	// Approval is set when a reviewed approval covers this unsafe finding: it is reported and
	// no longer blocks the release.
	Approval *Approval `json:"approval,omitempty"`
}

// MigrationResult is the verdict on one pending migration.
type MigrationResult struct {
	Migration plan.Migration
	// Safe is false when an unsafe finding is present that no reviewed approval covers.
	Safe     bool
	Findings []Finding
}

// Result is the verdict on a whole release: every pending migration, in apply order.
type Result struct {
	// Safe is the release's verdict: every migration safe.
	Safe bool
	// Nightly is true when NIGHTLY_BUILD approves everything.
	Nightly bool
	// Initial is true on the first deploy to an empty database (Context.Initial): nothing
	// serves from it, so nothing can break, and the release may proceed.
	Initial bool
	// ServerVersion is the PostgreSQL server_version_num the analysis assumed (0 when unknown).
	ServerVersion int
	Migrations    []MigrationResult
	// Ahead are the applied migrations the code does not contain, judged from the ledger (nil
	// when there are none, or when they were not judged).
	Ahead []Ahead
}
