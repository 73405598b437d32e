// Package rules holds zdcd's rules, one per file with its table test beside it. A rule's name is
// public API (approvals name it) and has a page docs/rules/<name>.md.
package rules

import "github.com/zdcd/zdcd/internal/analysis"

// All returns every rule, in the order they run.
func All() []analysis.Rule {
	return []analysis.Rule{
		OperationNotAllowlisted,
	}
}
