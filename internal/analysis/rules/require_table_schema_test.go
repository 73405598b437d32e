package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestRequireTableSchema(t *testing.T) {
	analysistest.Run(t, RequireTableSchema, []analysistest.Case{
		{Name: "unqualified ALTER", SQL: `ALTER TABLE shop_order ADD COLUMN note text`, Fire: true, Contains: []string{"public.shop_order", "search_path"}},
		{Name: "unqualified CREATE TABLE", SQL: `CREATE TABLE audit (id bigint)`, Fire: true},
		{Name: "unqualified UPDATE", SQL: `UPDATE shop_order SET note = 'x' WHERE id = 1`, Fire: true},
		{Name: "one finding per statement", SQL: `DROP TABLE a, b`, Fire: true, Count: 1},
		{Name: "qualified", SQL: `ALTER TABLE public.shop_order ADD COLUMN note text; CREATE INDEX CONCURRENTLY i ON app.t (a)`, NonAtomic: false, Fire: false},
		{Name: "temporary table", SQL: `CREATE TEMPORARY TABLE scratch (id int)`, Fire: false},
		{Name: "off unless enabled", SQL: `ALTER TABLE shop_order ADD COLUMN note text`, Disabled: true, Fire: false},
		{Name: "Django's own SQL is left alone", Ops: []plan.Operation{{Class: "AddField", SQL: []plan.Statement{{SQL: `ALTER TABLE "shop_order" ADD COLUMN "note" text NULL`}}}}, Fire: false},
	})
}
