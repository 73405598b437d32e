package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

func TestBanCharField(t *testing.T) {
	analysistest.Run(t, BanCharField, []analysistest.Case{
		{Name: "RunSQL ADD COLUMN char(n)", SQL: `ALTER TABLE shop_order ADD COLUMN currency char(3) NOT NULL DEFAULT 'EUR'`, Fire: true,
			Contains: []string{"shop_order.currency", "char(3)", "padded", `"currency" text`}},
		{Name: "character(n) in CREATE TABLE", SQL: `CREATE TABLE country (code character(2) PRIMARY KEY, name text)`, Fire: true},
		{Name: "bare char is char(1)", SQL: `ALTER TABLE t ADD COLUMN flag char`, Fire: true, Contains: []string{"char(1)"}},
		{Name: "bpchar", SQL: `ALTER TABLE t ADD COLUMN code bpchar`, Fire: true},
		{Name: "type change to char(n)", SQL: `ALTER TABLE t ALTER COLUMN code TYPE char(4)`, Fire: true},
		{Name: "custom Django field", Ops: advisoryDjango("AddField", `ALTER TABLE "shop_order" ADD COLUMN "iso" char(2) NULL;`), Fire: true},
		{Name: "table created in the release is not exempt", Created: []string{"country"}, SQL: `ALTER TABLE country ADD COLUMN iso3 char(3)`, Fire: true},

		{Name: "Django CharField", Ops: advisoryDjango("AddField", `ALTER TABLE "shop_order" ADD COLUMN "iso" varchar(2) NULL;`), Fire: false},
		{Name: `the one-byte "char" type`, SQL: `ALTER TABLE t ADD COLUMN kind "char"`, Fire: false},
		{Name: "text", SQL: `ALTER TABLE t ADD COLUMN code text`, Fire: false},
	})
}
