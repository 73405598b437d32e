package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

func TestJSONColumn(t *testing.T) {
	analysistest.Run(t, JSONColumn, []analysistest.Case{
		{Name: "ADD COLUMN json", SQL: `ALTER TABLE shop_order ADD COLUMN payload json`, Fire: true,
			Contains: []string{"shop_order.payload", "equality operator", "jsonb"}},
		{Name: "ADD COLUMN json[]", SQL: `ALTER TABLE t ADD COLUMN events json[] NULL`, Fire: true},
		{Name: "ALTER COLUMN TYPE json", SQL: `ALTER TABLE t ALTER COLUMN payload TYPE json USING payload::json`, Fire: true},

		{Name: "jsonb", SQL: `ALTER TABLE t ADD COLUMN payload jsonb`, Fire: false},
		{Name: "table created in the release", SQL: `ALTER TABLE n ADD COLUMN payload json`, Created: []string{"n"}, Fire: false},
		{Name: "CREATE TABLE", SQL: `CREATE TABLE n (payload json)`, Fire: false},
		{Name: "a type named json in another schema", SQL: `ALTER TABLE t ADD COLUMN payload app.json`, Fire: false},
	})
}
