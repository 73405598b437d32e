package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

func TestReplicaIdentityChange(t *testing.T) {
	analysistest.Run(t, ReplicaIdentityChange, []analysistest.Case{
		{Name: "FULL", SQL: `ALTER TABLE shop_order REPLICA IDENTITY FULL`, Fire: true,
			Contains: []string{"whole old row", "WAL", "ACCESS EXCLUSIVE", "migration of its own", "CDC consumers receive"}},
		{Name: "NOTHING", SQL: `ALTER TABLE shop_order REPLICA IDENTITY NOTHING`, Fire: true, Contains: []string{"fails", "publishes updates"}},
		{Name: "USING INDEX", SQL: `ALTER TABLE shop_order REPLICA IDENTITY USING INDEX shop_order_code_key`, Fire: true,
			Contains: []string{"shop_order_code_key", `REPLICA IDENTITY USING INDEX \"shop_order_code_key\"`}},
		{Name: "DEFAULT", SQL: `ALTER TABLE shop_order REPLICA IDENTITY DEFAULT`, Fire: true, Contains: []string{"primary key"}},
		{Name: "table created in the release is not exempt", Created: []string{"n"}, SQL: `ALTER TABLE n REPLICA IDENTITY FULL`, Fire: true},
		{Name: "with other commands", SQL: `ALTER TABLE t ADD COLUMN a int, REPLICA IDENTITY FULL`, Fire: true, Count: 1},

		{Name: "other ALTER TABLE", SQL: `ALTER TABLE shop_order SET (fillfactor = 90)`, Fire: false},
		{Name: "Django AddField", Ops: advisoryDjango("AddField", `ALTER TABLE "shop_order" ADD COLUMN "note" text NULL;`), Fire: false},
	})
}
