package cli

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/analysis/rules"
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/plan"
)

// judge analyses a plan with every rule and the approvals the configuration carries. A
// ZDCD_ALLOW entry naming an unknown rule is a configuration error: a typo must not silently
// approve nothing (or be mistaken for approving something).
func judge(pl *plan.Plan, cfg *config.Config, serverVersion int, catalog analysis.Catalog) (*analysis.Result, error) {
	ctx, all, err := analysisContext(pl, cfg, serverVersion, catalog)
	if err != nil {
		return nil, err
	}
	return analysis.Analyze(pl, ctx, all), nil
}

// analysisContext is what the rules know beside the plan, and the rules themselves.
func analysisContext(pl *plan.Plan, cfg *config.Config, serverVersion int, catalog analysis.Catalog) (analysis.Context, []analysis.Rule, error) {
	all := rules.All()
	known := map[string]bool{}
	for _, r := range all {
		known[r.Name] = true
	}
	var allow []analysis.Allow
	for _, a := range cfg.Allow {
		if a.Rule != "" && !known[a.Rule] {
			return analysis.Context{}, nil, &config.Error{Var: "ZDCD_ALLOW", Problem: fmt.Sprintf("names an unknown rule %q in %s.%s:%s: run `zdcd-release explain` for the list", a.Rule, a.App, a.Migration, a.Rule)}
		}
		allow = append(allow, analysis.Allow{App: a.App, Migration: a.Migration, Rule: a.Rule})
	}
	enabled := map[string]bool{}
	for _, name := range cfg.EnableRules {
		if !known[name] {
			return analysis.Context{}, nil, &config.Error{Var: "ZDCD_ENABLE_RULES", Problem: fmt.Sprintf("names an unknown rule %q: run `zdcd-release explain` for the list", name)}
		}
		enabled[name] = true
	}
	ctx := analysis.Context{
		ServerVersion: serverVersion,
		Nightly:       cfg.NightlyBuild,
		Catalog:       catalog,
		Allow:         allow,
		KnownRule:     func(name string) bool { return known[strings.TrimSpace(name)] },
		Applied:       pl.Applied,
		Enabled:       enabled,
	}
	return ctx, all, nil
}
