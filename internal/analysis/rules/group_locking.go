package rules

import "github.com/zdcd/zdcd/internal/analysis"

// lockingRules: Locks, index builds, rewrites of whole tables and transaction hazards (HAZARDS B1 and B4).
var lockingRules = []analysis.Rule{
	IndexCreateBlocking,
}
