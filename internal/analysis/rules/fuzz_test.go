package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/plan"
)

// FuzzRules: whatever SQL a migration holds, in or out of a transaction, on any server version,
// no rule panics (the engine would turn a panic into a rule-crashed finding: that is a bug).
// Seeds: testdata/fuzz/FuzzRules, plus the cases below.
func FuzzRules(f *testing.F) {
	for _, s := range []string{
		`ALTER TABLE "t" ADD COLUMN "c" boolean DEFAULT false NOT NULL; ALTER TABLE "t" ALTER COLUMN "c" DROP DEFAULT;`,
		`CREATE INDEX CONCURRENTLY i ON t (a)`,
		`ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT c`,
		`ALTER TABLE t ALTER COLUMN c TYPE varchar(300)`,
		`DROP TABLE t CASCADE; TRUNCATE u CASCADE; DROP SCHEMA s; DROP DATABASE d`,
		`BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE; COMMIT`,
		`DO $$ BEGIN PERFORM 1; END $$`,
		`-- zdcd:exempt drop-column: reviewed
ALTER TABLE t DROP COLUMN c`,
	} {
		f.Add(s, true, 150000)
	}
	all := All()
	f.Fuzz(func(t *testing.T, sql string, atomic bool, version int) {
		op := plan.Operation{Class: "RunSQL", Line: 1, SQL: []plan.Statement{{SQL: sql}}, RunSQL: &plan.RunSQL{SQL: []string{sql}}}
		pl := &plan.Plan{Migrations: []plan.Migration{{App: "a", Name: "0001", Atomic: atomic, Operations: []plan.Operation{op}}}}
		res := analysis.Analyze(pl, analysis.Context{ServerVersion: version}, all)
		for _, fd := range res.Migrations[0].Findings {
			if fd.Rule == analysis.RuleCrashed {
				t.Fatalf("%s", fd.Message)
			}
		}
	})
}
