// Package rules holds zdcd's rules, one per file with its table test beside it. A rule's name is
// public API (approvals name it) and has a page docs/rules/<name>.md.
package rules

import "github.com/zdcd/zdcd/internal/analysis"

// All returns every rule, in the order they run.
func All() []analysis.Rule {
	var all []analysis.Rule
	all = append(all, lockingRules...)
	all = append(all, columnsRules...)
	all = append(all, compatRules...)
	all = append(all, advisoryRules...)
	return all
}

// ByName returns the rule called name.
func ByName(name string) (analysis.Rule, bool) {
	for _, r := range All() {
		if r.Name == name {
			return r, true
		}
	}
	return analysis.Rule{}, false
}
