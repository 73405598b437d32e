package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

func TestDestructiveNonempty(t *testing.T) {
	empty := &liveData{rows: map[string]bool{}}
	full := &liveData{rows: map[string]bool{"shop_cart": true}}
	analysistest.Run(t, DestructiveNonempty, []analysistest.Case{
		{Name: "TRUNCATE", SQL: `TRUNCATE shop_cart`, Fire: true, Count: 1, Contains: []string{"deletes every row", "assumes it has rows", "ZDCD_BACKUP"}},
		{Name: "TRUNCATE of two tables, CASCADE", SQL: `TRUNCATE TABLE shop_cart, shop_cartitem CASCADE`, Fire: true, Count: 2, Contains: []string{"CASCADE also empties"}},
		{Name: "TRUNCATE of a table the live database says has rows", SQL: `TRUNCATE shop_cart`, Catalog: full, Fire: true, Contains: []string{"live database says it has rows"}},
		{Name: "DELETE without WHERE", SQL: `DELETE FROM shop_cart`, Fire: true, Contains: []string{"DELETE FROM shop_cart without WHERE", "in batches"}},
		{Name: "DROP TYPE CASCADE", SQL: `DROP TYPE order_status CASCADE`, Fire: true, Contains: []string{"every column of that type"}},
		{Name: "DROP EXTENSION CASCADE", SQL: `DROP EXTENSION IF EXISTS hstore CASCADE`, Fire: true},
		{Name: "TRUNCATE of an empty table", SQL: `TRUNCATE shop_cart`, Catalog: empty, Fire: false},
		{Name: "DELETE of an empty table", SQL: `DELETE FROM shop_cart`, Catalog: empty, Fire: false},
		{Name: "DELETE with WHERE", SQL: `DELETE FROM shop_cart WHERE created < now() - interval '90 days'`, Fire: false},
		{Name: "DROP TYPE without CASCADE", SQL: `DROP TYPE IF EXISTS order_status`, Fire: false},
		{Name: "DROP SEQUENCE CASCADE (Django, serial to integer)", SQL: `DROP SEQUENCE IF EXISTS "shop_cart_id_seq" CASCADE`, Fire: false},
		{Name: "table created earlier in the release", SQL: `TRUNCATE tmp_import`, Created: []string{"tmp_import"}, Fire: false},
		{Name: "DROP TABLE is drop-table's", SQL: `DROP TABLE shop_cart`, Fire: false},
	})
}
