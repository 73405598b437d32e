package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestExclusionConstraint(t *testing.T) {
	booking := &plan.Model{App: "hotel", Name: "booking", TableBefore: "hotel_booking", TableAfter: "hotel_booking"}
	analysistest.Run(t, ExclusionConstraint, []analysistest.Case{
		{Name: "Django AddConstraint(ExclusionConstraint)", Ops: []plan.Operation{{Class: "AddConstraint", Model: booking, SQL: []plan.Statement{
			{SQL: `ALTER TABLE "hotel_booking" ADD CONSTRAINT "no_overlap" EXCLUDE USING GIST ("room_id" WITH =, "during" WITH &&);`},
		}}}, Fire: true, Contains: []string{"ACCESS EXCLUSIVE", "reads included", "no NOT VALID", "NIGHTLY_BUILD=true", "in batches"}},
		{Name: "raw SQL, unnamed", SQL: `ALTER TABLE r ADD EXCLUDE USING gist (during WITH &&)`, NonAtomic: true, Fire: true},
		{Name: "table created earlier in the release", SQL: `ALTER TABLE r ADD EXCLUDE USING gist (during WITH &&)`, Created: []string{"r"}, Fire: false},
		{Name: "new table with an exclusion constraint", SQL: `CREATE TABLE r (during tstzrange, EXCLUDE USING gist (during WITH &&))`, Fire: false},
		{Name: "check constraint is another rule's", SQL: `ALTER TABLE r ADD CONSTRAINT c CHECK (a > 0)`, Fire: false},
	})
}
