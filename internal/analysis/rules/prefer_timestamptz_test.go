package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

func TestPreferTimestamptz(t *testing.T) {
	analysistest.Run(t, PreferTimestamptz, []analysistest.Case{
		{Name: "RunSQL ADD COLUMN timestamp", SQL: `ALTER TABLE shop_order ADD COLUMN shipped_at timestamp NULL`, Fire: true,
			Contains: []string{"shop_order.shipped_at", "without time zone", `"shipped_at" timestamptz`, "DateTimeField"}},
		{Name: "spelled out, with precision", SQL: `ALTER TABLE t ADD COLUMN at timestamp(3) without time zone`, Fire: true, Contains: []string{"timestamptz(3)"}},
		{Name: "CREATE TABLE", SQL: `CREATE TABLE ev (id bigint, happened timestamp NOT NULL, seen timestamp)`, Fire: true, Count: 2},
		{Name: "type change to timestamp", SQL: `ALTER TABLE t ALTER COLUMN at TYPE timestamp`, Fire: true},
		{Name: "custom Django field with db_type timestamp", Ops: advisoryDjango("AddField", `ALTER TABLE "shop_order" ADD COLUMN "paid_at" timestamp NULL;`), Fire: true},
		{Name: "array", SQL: `ALTER TABLE t ADD COLUMN visits timestamp[]`, Fire: true, Contains: []string{"timestamptz[]"}},
		{Name: "table created in the release is not exempt", Created: []string{"ev"}, SQL: `ALTER TABLE ev ADD COLUMN at timestamp`, Fire: true},

		{Name: "Django DateTimeField", Ops: advisoryDjango("AddField", `ALTER TABLE "shop_order" ADD COLUMN "paid_at" timestamp with time zone NULL;`), Fire: false},
		{Name: "timestamptz", SQL: `ALTER TABLE shop_order ADD COLUMN shipped_at timestamptz NULL`, Fire: false},
		{Name: "date and time", SQL: `ALTER TABLE t ADD COLUMN d date, ADD COLUMN tm time`, Fire: false},
		{Name: "temporary table", SQL: `CREATE TEMP TABLE s (at timestamp)`, Fire: false},
	})
}
