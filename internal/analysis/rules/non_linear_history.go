package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
)

// NonLinearHistory: a pending migration numbered at or before a migration of the same app that is
// already applied, e.g. 0005_b pending while 0005_a or 0006_x is applied. It was written on a
// branch merged after the other was deployed: Django applies it now, after migrations it was
// never tested behind. Its own operations and SQL are judged by the other rules (rendered against
// the real applied state), so this is advisory: a prompt to check the two branches do not
// conflict. It needs the applied migrations (check, release); lint has none and stays quiet. Migrations without a number prefix are not ordered and not reported.
var NonLinearHistory = analysis.Rule{
	Name:      "non-linear-history",
	Severity:  analysis.Warning,
	Summary:   "A pending migration sorts before one already applied: it comes from a branch merged late",
	Migration: nonLinearHistory,
}

func nonLinearHistory(p *analysis.Pass) {
	m := p.Migration
	n, ok := migrationNumber(m.Name)
	if !ok {
		return
	}
	var after []string
	for _, a := range p.Applied {
		if a.App != m.App || a.Name == m.Name {
			continue
		}
		if an, ok := migrationNumber(a.Name); ok && an >= n {
			after = append(after, a.String())
		}
	}
	if len(after) == 0 {
		return
	}
	line := m.ClassLine
	if line == 0 && len(m.Operations) > 0 {
		line = m.Operations[0].Line
	}
	if line == 0 {
		line = 1
	}
	p.Report(&plan.Operation{Class: "Migration", Line: line}, "",
		fmt.Sprintf("%s is pending, but %s, numbered at or after it, is already applied: it comes from a branch merged after the other was deployed. Django applies it now, on top of migrations it was written and tested without; if both touch the same tables or data, it may fail or undo the other's work.",
			m.Key(), strings.Join(after, ", ")),
		strings.Join([]string{
			"Check that the two branches touch different models and data; if they do, nothing else is needed.",
			"Keep the history linear before merging: rename the pending migration to follow the latest applied one and point its dependencies there (it has not run anywhere yet), or add a merge migration reviewed with both. A lockfile of each app's latest migration, checked in CI, catches this at review.",
		}, "\n"))
}

// migrationNumber reads the number a migration's name starts with ("0005_add_x" → 5).
func migrationNumber(name string) (int, bool) {
	i := 0
	for i < len(name) && name[i] >= '0' && name[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, false
	}
	n, err := strconv.Atoi(name[:i])
	return n, err == nil
}
