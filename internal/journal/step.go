package journal

import "fmt"

// Step is a step a run records in the ledger. Its name (String) is what `zdcd-release history`
// shows; it is part of the ledger's contract and does not change.
type Step int

// The steps of every flow, in roughly the order they happen.
const (
	// Release phase.
	StepPlan Step = iota + 1
	StepSchemaAhead
	StepPreflight
	StepBackup
	StepMigrate
	StepVerify
	// Nightly.
	StepFindRefused
	StepApprove
	StepCreateRelease
	StepRelease
	StepDynos
	// The maintenance window (internal/window).
	StepMaintenanceOn
	StepScaleDown
	StepScaleUp
	StepMaintenanceOff
	// Recovery (release, nightly) and rollback.
	StepRestore
	StepRollback
)

// Steps lists every step.
func Steps() []Step {
	var out []Step
	for s := StepPlan; s <= StepRollback; s++ {
		out = append(out, s)
	}
	return out
}

func (s Step) String() string {
	switch s {
	case StepPlan:
		return "plan"
	case StepSchemaAhead:
		return "schema-ahead"
	case StepPreflight:
		return "preflight"
	case StepBackup:
		return "backup"
	case StepMigrate:
		return "migrate"
	case StepVerify:
		return "verify"
	case StepFindRefused:
		return "find-refused"
	case StepApprove:
		return "approve"
	case StepCreateRelease:
		return "create-release"
	case StepRelease:
		return "release"
	case StepDynos:
		return "dynos"
	case StepMaintenanceOn:
		return "maintenance-on"
	case StepScaleDown:
		return "scale-down"
	case StepScaleUp:
		return "scale-up"
	case StepMaintenanceOff:
		return "maintenance-off"
	case StepRestore:
		return "restore"
	case StepRollback:
		return "rollback"
	}
	return fmt.Sprintf("step(%d)", int(s))
}
