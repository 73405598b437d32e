package analysis

import (
	"strings"

	"github.com/zdcd/zdcd/internal/plan"
)

// AheadVerdict is the judgement on an applied migration the code being released does not
// contain (schema ahead of code: a rollback, a config-var change or a promotion released older
// code; DESIGN.md "Release phase" 9).
type AheadVerdict string

const (
	// AheadIncompatible: the ledger recorded an unsafe finding for it (approved or not) that
	// outlasts its run (not Rule.WhileRunning): the old code may not survive it. The release is
	// refused.
	AheadIncompatible AheadVerdict = "incompatible"
	// AheadCompatible: the ledger recorded it with no unsafe finding, or only ones about how it
	// ran (RunHazards): old code runs on it.
	AheadCompatible AheadVerdict = "compatible"
	// AheadUnknown: no recorded plan holds it (applied by hand, before zdcd, or marked applied
	// without running): it cannot be judged, and does not block.
	AheadUnknown AheadVerdict = "unknown"
	// AheadLeftBehind: recorded before every migration this code knows: the code moved past it
	// (an app removed from INSTALLED_APPS, migrations deleted after a squash). Not judged.
	AheadLeftBehind AheadVerdict = "left-behind"
)

// Ahead is one applied migration the code does not contain, with the ledger's say on it.
type Ahead struct {
	App  string
	Name string
	// AppInstalled is false for an app the project does not install at all.
	AppInstalled bool
	Verdict      AheadVerdict
	// AppliedByRelease is the Heroku release version whose run applied it, AppliedByRun that
	// run (0 when the ledger does not know).
	AppliedByRelease int
	AppliedByRun     int64
	// Findings are the unsafe findings the ledger recorded for it, approved ones included (an
	// approval let it run; it does not make the old code survive it).
	Findings []Finding
	// RunHazards are the rules of its unsafe findings that concerned only how it ran (a lock,
	// a rewrite: Rule.WhileRunning), over once it was applied: they do not make it incompatible.
	RunHazards []string
}

// Key returns the migration's key.
func (a Ahead) Key() plan.MigrationKey { return plan.MigrationKey{App: a.App, Name: a.Name} }

// Compatible says why a compatible ahead migration is: no unsafe finding recorded, or only
// findings about how it ran (RunHazards). The release log and the report both say it.
func (a Ahead) Compatible() string {
	if len(a.RunHazards) == 0 {
		return "no unsafe finding recorded"
	}
	return "its unsafe findings were about how it ran, over once applied: " + strings.Join(a.RunHazards, ", ")
}

// Blocks reports whether it makes the release refuse.
func (a Ahead) Blocks() bool { return a.Verdict == AheadIncompatible }
