package rules

import "github.com/zdcd/zdcd/internal/analysis"

// advisoryRules: Schema-design advisories (HAZARDS B6): warnings only.
var advisoryRules = []analysis.Rule{}
