package rules

import "github.com/zdcd/zdcd/internal/analysis"

// compatRules: What the old code sees: Django operations, data-dependent failures and data migrations (HAZARDS B2, B3, B5).
var compatRules = []analysis.Rule{}
