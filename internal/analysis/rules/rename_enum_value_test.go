package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

func TestRenameEnumValue(t *testing.T) {
	analysistest.Run(t, RenameEnumValue, []analysistest.Case{
		{Name: "RENAME VALUE", SQL: `ALTER TYPE order_status RENAME VALUE 'shipped' TO 'dispatched'`, Fire: true, Count: 1,
			Contains: []string{"'shipped'", "invalid input value for enum", "ADD VALUE IF NOT EXISTS 'dispatched'"}},
		{Name: "schema-qualified type", SQL: `ALTER TYPE shop.status RENAME VALUE 'a' TO 'b'`, Fire: true},
		{Name: "enum created in the same migration", SQL: `CREATE TYPE s AS ENUM ('a'); ALTER TYPE s RENAME VALUE 'a' TO 'b'`, Fire: false},
		{Name: "adding a value", SQL: `ALTER TYPE order_status ADD VALUE 'returned' AFTER 'shipped'`, Fire: false},
		{Name: "renaming the type", SQL: `ALTER TYPE order_status RENAME TO status`, Fire: false},
	})
}
