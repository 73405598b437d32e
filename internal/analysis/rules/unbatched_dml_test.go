package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

func TestUnbatchedDML(t *testing.T) {
	sizes := &liveData{estimates: map[string]int64{"shop_order": 2500000, "shop_country": 250}}
	analysistest.Run(t, UnbatchedDML, []analysistest.Case{
		{Name: "UPDATE without WHERE", SQL: `UPDATE shop_order SET currency = 'EUR'`, Fire: true, Count: 1,
			Contains: []string{"assumes it is large", "primary-key range"}},
		{Name: "UPDATE without WHERE on a large table", SQL: `UPDATE shop_order SET currency = 'EUR'`, Catalog: sizes, Fire: true, Contains: []string{"about 2500000 rows"}},
		{Name: "a table without an estimate", SQL: `UPDATE shop_coupon SET active = true`, Catalog: sizes, Fire: true},
		{Name: "a small table", SQL: `UPDATE shop_country SET currency = 'EUR'`, Catalog: sizes, Fire: false},
		{Name: "UPDATE with WHERE", SQL: `UPDATE shop_order SET currency = 'EUR' WHERE id BETWEEN 1 AND 5000`, Fire: false},
		{Name: "DELETE without WHERE is destructive-nonempty's", SQL: `DELETE FROM shop_order`, Fire: false},
		{Name: "table created in the same migration", SQL: `CREATE TABLE n (a int); UPDATE n SET a = 1`, Fire: false},
	})
}
