package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestNonLinearHistory(t *testing.T) {
	// The case's migration is app.0002_case.
	applied := func(names ...string) []plan.MigrationKey {
		var keys []plan.MigrationKey
		for _, n := range names {
			keys = append(keys, plan.MigrationKey{App: "app", Name: n})
		}
		return append(keys, plan.MigrationKey{App: "other", Name: "0009_later"})
	}
	add := []plan.Operation{{Class: "AddField", Module: fieldsModule, SQL: sqlOf(`ALTER TABLE t ADD COLUMN c int NULL`)}}
	analysistest.Run(t, NonLinearHistory, []analysistest.Case{
		{Name: "a parallel branch: the same number already applied", Ops: add, Applied: applied("0001_initial", "0002_other_branch"),
			Fire: true, Count: 1, Contains: []string{"app.0002_case is pending, but app.0002_other_branch", "lockfile"}},
		{Name: "merged after a later migration was deployed", Ops: add, Applied: applied("0001_initial", "0002_x", "0003_y"),
			Fire: true, Contains: []string{"app.0002_x, app.0003_y"}},
		{Name: "linear: everything applied comes before", Ops: add, Applied: applied("0001_initial"), Fire: false},
		{Name: "other apps do not count", Ops: add, Applied: applied(), Fire: false},
		{Name: "without the applied list zdcd cannot tell", Ops: add, Fire: false},
	})
	if n, ok := migrationNumber("0001_squashed_0003_order"); !ok || n != 1 {
		t.Errorf("migrationNumber = %d, %v", n, ok)
	}
	if _, ok := migrationNumber("initial"); ok {
		t.Errorf("a name without a number has one")
	}
}
