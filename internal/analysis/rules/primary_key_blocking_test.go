package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestPrimaryKeyBlocking(t *testing.T) {
	order := &plan.Model{App: "shop", Name: "order", TableBefore: "shop_order", TableAfter: "shop_order"}
	checked := lockCatalog{notNullChk: map[string]bool{"shop_order.uuid": true}}
	legacy := lockCatalog{
		notNull: map[string]bool{"shop_legacy_import.external_id": true},
		indexes: map[string][]string{"shop_legacy_import.shop_legacy_import_external_id_idx": {"external_id"}, "shop_legacy_import.by_payload": {"payload"}},
	}
	legacyPK := `ALTER TABLE shop_legacy_import ADD CONSTRAINT shop_legacy_import_pkey PRIMARY KEY USING INDEX shop_legacy_import_external_id_idx`
	usingIndex := `CREATE UNIQUE INDEX shop_order_uuid_pk ON shop_order (uuid); ALTER TABLE shop_order ADD CONSTRAINT shop_order_uuid_pk PRIMARY KEY USING INDEX shop_order_uuid_pk`
	analysistest.Run(t, PrimaryKeyBlocking, []analysistest.Case{
		{Name: "Django AlterField(primary_key=True)", Ops: []plan.Operation{{Class: "AlterField", Model: order, SQL: []plan.Statement{
			{SQL: `ALTER TABLE "shop_order" ALTER COLUMN "uuid" SET NOT NULL;`},
			{SQL: `ALTER TABLE "shop_order" ADD CONSTRAINT "shop_order_uuid_b3c039e9_pk" PRIMARY KEY ("uuid");`},
		}}}, Fire: true, Count: 1, Contains: []string{"ACCESS EXCLUSIVE", "builds a unique index", "reads included",
			`CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "shop_order_uuid_b3c039e9_pk" ON "shop_order" ("uuid");`, "PRIMARY KEY USING INDEX", "NOT VALID"}},
		{Name: "unnamed primary key", SQL: `ALTER TABLE t ADD PRIMARY KEY (id)`, Fire: true, Contains: []string{`"t_pkey"`}},
		{Name: "new serial primary key column", SQL: `ALTER TABLE t ADD COLUMN id bigserial PRIMARY KEY`, Fire: true},
		{Name: "using an index of unknown columns", SQL: `ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_id_idx`, Fire: true, Contains: []string{"can be approved"}},
		{Name: "using an index on a column that may hold NULLs", SQL: usingIndex, Fire: true},
		{Name: "using an index on a column with a validated NOT NULL check, PostgreSQL 12+", SQL: usingIndex, Catalog: checked, Fire: false},
		{Name: "the same check does not help before PostgreSQL 12", SQL: usingIndex, Catalog: checked, Version: 110020, Fire: true},
		{Name: "using an existing index on a NOT NULL column (live catalog)", SQL: legacyPK, Catalog: legacy, Fire: false},
		{Name: "using an existing index on a nullable column (live catalog)", SQL: `ALTER TABLE shop_legacy_import ADD CONSTRAINT shop_legacy_import_pkey PRIMARY KEY USING INDEX by_payload`, Catalog: legacy, Fire: true},
		{Name: "using an existing index, catalog without index details", SQL: legacyPK, Catalog: checked, Fire: true},
		{Name: "using an index after SET NOT NULL", SQL: `CREATE UNIQUE INDEX i ON t (a); ALTER TABLE t ALTER COLUMN a SET NOT NULL; ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX i`, Fire: false},
		{Name: "table created earlier in the release", SQL: `ALTER TABLE n ADD PRIMARY KEY (id)`, Created: []string{"n"}, Fire: false},
		{Name: "new table with a primary key", SQL: `CREATE TABLE n (id bigint PRIMARY KEY)`, Fire: false},
		{Name: "unique is another rule's", SQL: `ALTER TABLE t ADD CONSTRAINT u UNIQUE (a)`, Fire: false},
	})
}
