package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestTypeChangeRevalidatesCheck(t *testing.T) {
	catalog := columnsCatalog{
		types:   map[string]string{"t.code": "character varying(20)", "t.sku": "character varying(20)", "t.n": "integer", "t.plain": "character varying(20)"},
		checks:  map[string]bool{"t.code": true, "t.n": true},
		notNull: map[string]bool{"t.sku": true},
	}
	positive := func(dbType, class string) *plan.Field {
		return &plan.Field{Name: "n", Column: "n", Class: class, DBType: dbType}
	}
	analysistest.Run(t, TypeChangeRevalidatesCheck, []analysistest.Case{
		{Name: "varchar growth on a column with a CHECK (catalog)", SQL: `ALTER TABLE t ALTER COLUMN code TYPE varchar(40)`, Catalog: catalog, Fire: true,
			Contains: []string{"binary coercible", "CHECK constraints", "ACCESS EXCLUSIVE", "NOT VALID", "VALIDATE CONSTRAINT"}},
		{Name: "validated NOT NULL check (catalog)", SQL: `ALTER TABLE t ALTER COLUMN sku TYPE text`, Catalog: catalog, Fire: true, Contains: []string{"IS NOT NULL"}},
		{Name: "Django keeps a PositiveIntegerField's check", Ops: columnsOp("AlterField",
			positive("integer", "PositiveIntegerField"), positive("integer", "PositiveIntegerField"),
			`ALTER TABLE "t" ALTER COLUMN "n" TYPE integer USING "n"::integer`), Fire: true, Contains: []string{"n >= 0"}},

		{Name: "no check on the column", SQL: `ALTER TABLE t ALTER COLUMN plain TYPE varchar(40)`, Catalog: catalog, Fire: false},
		{Name: "without a catalog zdcd does not guess", SQL: `ALTER TABLE t ALTER COLUMN code TYPE varchar(40)`, Fire: false},
		{Name: "a rewrite is column-type-rewrite's", SQL: `ALTER TABLE t ALTER COLUMN n TYPE bigint`, Catalog: catalog, Fire: false},
		{Name: "Django PositiveIntegerField to PositiveBigIntegerField rewrites (column-type-rewrite)", Ops: columnsOp("AlterField",
			positive("integer", "PositiveIntegerField"), positive("bigint", "PositiveBigIntegerField"),
			`ALTER TABLE "t" ALTER COLUMN "n" TYPE bigint USING "n"::bigint`), Fire: false},
		{Name: "table created in the release", SQL: `ALTER TABLE t ALTER COLUMN code TYPE varchar(40)`, Catalog: catalog, Created: []string{"t"}, Fire: false},
	})
}
