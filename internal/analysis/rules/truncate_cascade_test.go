package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

func TestTruncateCascade(t *testing.T) {
	analysistest.Run(t, TruncateCascade, []analysistest.Case{
		{Name: "TRUNCATE CASCADE", SQL: `TRUNCATE shop_product CASCADE`, Fire: true, Contains: []string{"shop_product", "foreign key", "without CASCADE"}},
		{Name: "several tables", SQL: `TRUNCATE TABLE a, b RESTART IDENTITY CASCADE`, Fire: true, Count: 1},
		{Name: "even on a table created in the release", SQL: `TRUNCATE n CASCADE`, Created: []string{"n"}, Fire: true},

		{Name: "TRUNCATE without CASCADE", SQL: `TRUNCATE shop_product`, Fire: false},
		{Name: "DROP TABLE CASCADE", SQL: `DROP TABLE t CASCADE`, Fire: false},
	})
}
