package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/zdcd/zdcd/docs"
	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/analysis/rules"
)

// engineRules are findings the analyser reports itself; they have pages but no Rule value.
var engineRules = []struct{ name, summary string }{
	{analysis.SQLUnparseable, "PostgreSQL's parser rejects the SQL: zdcd cannot judge it"},
	{analysis.SQLNotRendered, "Django could not render the operation's SQL: zdcd cannot judge it"},
	{analysis.RuleCrashed, "a rule failed on this operation: it is not judged"},
	{analysis.InvalidExemption, "an exemption names an unknown rule or gives no reason"},
}

func runExplain(ctx context.Context, args []string, io IO) error {
	fs := newFlags("explain", io)
	fs.Usage = func() { fmt.Fprintln(fs.Output(), "Usage: zdcd-release explain [rule]   (no rule: list them all)") }
	if err := parse(fs, args); err != nil {
		return err
	}
	switch fs.NArg() {
	case 0:
		return listRules(io)
	case 1:
		name := fs.Arg(0)
		page, ok := docs.Rule(name)
		if !ok {
			return &usageError{msg: fmt.Sprintf("unknown rule %q%s: run `zdcd-release explain` for the list", name, suggest(name))}
		}
		_, err := fmt.Fprint(io.Out, page)
		return err
	default:
		return &usageError{msg: "explain takes one rule name"}
	}
}

func listRules(io IO) error {
	type row struct{ name, severity, summary string }
	var rows []row
	for _, r := range rules.All() {
		rows = append(rows, row{r.Name, string(r.Severity), r.Summary})
	}
	for _, r := range engineRules {
		rows = append(rows, row{r.name, string(analysis.Unsafe), r.summary})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	width := 0
	for _, r := range rows {
		width = max(width, len(r.name))
	}
	for _, r := range rows {
		if _, err := fmt.Fprintf(io.Out, "%-*s  %-7s  %s\n", width, r.name, r.severity, r.summary); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(io.Out, "\nzdcd-release explain <rule> prints a rule's page: the problem, the safe steps and the Django recipe.")
	return err
}

// suggest proposes the closest rule names to a mistyped one.
func suggest(name string) string {
	best, bestDist := "", len(name)/2+2
	candidates := []string{}
	for _, r := range rules.All() {
		candidates = append(candidates, r.Name)
	}
	for _, r := range engineRules {
		candidates = append(candidates, r.name)
	}
	for _, c := range candidates {
		if d := distance(name, c); d < bestDist {
			best, bestDist = c, d
		}
		if best == "" && strings.Contains(c, name) && len(name) >= 4 {
			best = c
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// distance is the Levenshtein distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
