package judge

import (
	"fmt"
	"strings"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/analysis/rules"
	"github.com/zdcd/zdcd/internal/config"
	"github.com/zdcd/zdcd/internal/plan"
)

// Plan judges a plan with every rule and the approvals the configuration carries, without a
// database (catalog may be nil: the rules then assume the worst).
func Plan(pl *plan.Plan, cfg *config.Config, serverVersion int, catalog analysis.Catalog) (*analysis.Result, error) {
	ctx, all, err := Context(pl, cfg, serverVersion, catalog)
	if err != nil {
		return nil, err
	}
	return analysis.Analyze(pl, ctx, all), nil
}

// Each judges every migration of pl as its own release, all earlier ones deployed: a table an
// earlier migration created is an existing table with traffic by then.
func Each(pl *plan.Plan, cfg *config.Config, serverVersion int) (*analysis.Result, error) {
	all := &analysis.Result{Safe: true, Nightly: cfg.NightlyBuild, ServerVersion: serverVersion, Migrations: []analysis.MigrationResult{}}
	for _, m := range pl.Migrations {
		one := *pl
		one.Migrations = []plan.Migration{m}
		res, err := Plan(&one, cfg, serverVersion, nil)
		if err != nil {
			return nil, err
		}
		all.Migrations = append(all.Migrations, res.Migrations...)
		all.Safe = all.Safe && res.Safe
	}
	return all, nil
}

// Context is what the rules know beside the plan, and the rules themselves. A ZDCD_ALLOW or
// ZDCD_ENABLE_RULES entry naming an unknown rule is a configuration error: a typo must not
// silently approve nothing (or be mistaken for approving something).
func Context(pl *plan.Plan, cfg *config.Config, serverVersion int, catalog analysis.Catalog) (analysis.Context, []analysis.Rule, error) {
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
