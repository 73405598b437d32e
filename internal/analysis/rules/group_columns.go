package rules

import "github.com/zdcd/zdcd/internal/analysis"

// columnsRules: Columns, types, defaults and constraints (HAZARDS B1 and B2, SQL side).
var columnsRules = []analysis.Rule{}
