package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

func TestEnumAppendOrdering(t *testing.T) {
	analysistest.Run(t, EnumAppendOrdering, []analysistest.Case{
		{Name: "ADD VALUE without a place", SQL: `ALTER TYPE order_status ADD VALUE 'returned'`, Fire: true, Count: 1,
			Contains: []string{"goes last", "BEFORE '<label>'"}},
		{Name: "ADD VALUE IF NOT EXISTS without a place", SQL: `ALTER TYPE shop.order_status ADD VALUE IF NOT EXISTS 'returned'`, Fire: true},
		{Name: "PostgreSQL 11 (the transaction-block error is concurrently-in-transaction's)", SQL: `ALTER TYPE order_status ADD VALUE 'returned'`, Version: analysis.PG12 - 1, Fire: true, Count: 1},
		{Name: "creating an enum", SQL: `CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped')`, Fire: true, Contains: []string{"lookup table"}},
		{Name: "ADD VALUE AFTER", SQL: `ALTER TYPE order_status ADD VALUE 'returned' AFTER 'shipped'`, Fire: false},
		{Name: "ADD VALUE BEFORE", SQL: `ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'draft' BEFORE 'new'`, Fire: false},
		{Name: "a composite type", SQL: `CREATE TYPE money_amount AS (amount numeric, currency text)`, Fire: false},
	})
}
