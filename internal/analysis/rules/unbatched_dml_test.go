package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestUnbatchedDML(t *testing.T) {
	sizes := &liveData{estimates: map[string]int64{"shop_order": 2500000, "shop_country": 250}}
	analysistest.Run(t, UnbatchedDML, []analysistest.Case{
		{Name: "UPDATE without WHERE", SQL: `UPDATE shop_order SET currency = 'EUR'`, Fire: true, Count: 1,
			Contains: []string{"assumes it is large", "primary-key range"}},
		{Name: "UPDATE without WHERE on a large table", SQL: `UPDATE shop_order SET currency = 'EUR'`, Catalog: sizes, Fire: true, Contains: []string{"about 2500000 rows"}},
		{Name: "a table without an estimate", SQL: `UPDATE shop_coupon SET active = true`, Catalog: sizes, Fire: true},
		{Name: "a small table", SQL: `UPDATE shop_country SET currency = 'EUR'`, Catalog: sizes, Fire: false},
		{Name: "UPDATE of one primary-key batch", SQL: `UPDATE shop_order SET currency = 'EUR' WHERE id BETWEEN 1 AND 5000`, Fire: false},
		{Name: "UPDATE of one row", SQL: `UPDATE shop_order SET currency = 'EUR' WHERE id = 42`, Fire: false},
		{Name: "the usual backfill: WHERE col IS NULL", SQL: `UPDATE shop_order SET currency = 'EUR' WHERE currency IS NULL`, Fire: true,
			Contains: []string{"does not pin it to a key"}},
		{Name: "WHERE on a status column matches most rows", SQL: `UPDATE shop_order SET status = 'archived' WHERE status = 'done'`, Fire: true},
		{Name: "DELETE of old history", SQL: `DELETE FROM shop_order WHERE created < '2020-01-01'`, Fire: true, Contains: []string{"DELETE shop_order"}},
		{Name: "DELETE of listed rows", SQL: `DELETE FROM shop_order WHERE id IN (1, 2, 3)`, Fire: false},
		{Name: "a column the catalog knows is unique", SQL: `UPDATE shop_order SET status = 'x' WHERE code = 'A-1'`, Catalog: uniqueCode{}, Fire: false},
		{Name: "Django's own UPDATE in AlterField is not-null-with-default-update's", Ops: []plan.Operation{{Class: "AlterField", SQL: []plan.Statement{
			{SQL: `UPDATE "shop_order" SET "currency" = 'EUR' WHERE "currency" IS NULL`}}}}, Fire: false},
		{Name: "DELETE without WHERE is destructive-nonempty's", SQL: `DELETE FROM shop_order`, Fire: false},
		{Name: "table created in the same migration", SQL: `CREATE TABLE n (a int); UPDATE n SET a = 1`, Fire: false},
	})
}

// uniqueCode is a catalog where shop_order.code is unique.
type uniqueCode struct{ analysis.Catalog }

func (uniqueCode) UniqueColumn(table, column string) bool {
	return table == "shop_order" && column == "code"
}
