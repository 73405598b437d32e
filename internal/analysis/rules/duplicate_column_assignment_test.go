package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

func TestDuplicateColumnAssignment(t *testing.T) {
	analysistest.Run(t, DuplicateColumnAssignment, []analysistest.Case{
		{Name: "UPDATE assigns a column twice", SQL: `UPDATE shop_order SET status = 'new', status = 'paid' WHERE id = 1`, Fire: true,
			Contains: []string{"status 2 times", "multiple assignments", "rejects"}},
		{Name: "UPDATE with a multi-column assignment", SQL: `UPDATE t SET (a, b) = (1, 2), b = 3 WHERE id = 1`, Fire: true},
		{Name: "UPDATE of a whole column and one element", SQL: `UPDATE t SET tags = '{}', tags[1] = 'x' WHERE id = 1`, Fire: true},
		{Name: "type changed twice", SQL: `ALTER TABLE t ALTER COLUMN a TYPE bigint, ALTER COLUMN a TYPE numeric`, Fire: true, Contains: []string{"twice"}},
		{Name: "column added twice", SQL: `ALTER TABLE t ADD COLUMN a int, ADD COLUMN a int`, Fire: true, Contains: []string{"already exists"}},
		{Name: "SET DEFAULT then DROP DEFAULT", SQL: `ALTER TABLE t ALTER COLUMN a SET DEFAULT 0, ALTER COLUMN a DROP DEFAULT`, Fire: true,
			Contains: []string{"keeps the default"}},
		{Name: "two SET DEFAULT", SQL: `ALTER TABLE t ALTER COLUMN a SET DEFAULT 0, ALTER COLUMN a SET DEFAULT 1`, Fire: true, Contains: []string{"only the last"}},
		{Name: "SET NOT NULL then DROP NOT NULL", SQL: `ALTER TABLE t ALTER COLUMN a SET NOT NULL, ALTER COLUMN a DROP NOT NULL`, Fire: true,
			Contains: []string{"ends up NOT NULL"}},
		{Name: "table created in the release is not exempt", Created: []string{"t"}, SQL: `UPDATE t SET a = 1, a = 2`, Fire: true},
		{Name: "one finding per column", SQL: `UPDATE t SET a = 1, b = 2, a = 3, b = 4`, Fire: true, Count: 2},

		{Name: "two long names cut to the same 63 bytes (identifier-too-long's)", SQL: `ALTER TABLE shop_order
			ADD COLUMN shipping_address_verification_status_reported_by_the_carrier_api_v1 text NULL,
			ADD COLUMN shipping_address_verification_status_reported_by_the_carrier_api_v2 text NULL`, Fire: false},
		{Name: "Django's 4-way default alteration", Ops: advisoryDjango("AlterField",
			`ALTER TABLE "shop_order" ALTER COLUMN "status" SET DEFAULT 'new';`,
			`UPDATE "shop_order" SET "status" = 'new' WHERE "status" IS NULL;`,
			`ALTER TABLE "shop_order" ALTER COLUMN "status" SET NOT NULL;`,
			`ALTER TABLE "shop_order" ALTER COLUMN "status" DROP DEFAULT;`), Fire: false},
		{Name: "Django's combined type and null change", Ops: advisoryDjango("AlterField",
			`ALTER TABLE "shop_order" ALTER COLUMN "qty" TYPE bigint USING "qty"::bigint, ALTER COLUMN "qty" SET NOT NULL;`), Fire: false},
		{Name: "Django AddField with a default", Ops: advisoryDjango("AddField",
			`ALTER TABLE "t" ADD COLUMN "c" boolean DEFAULT false NOT NULL;`, `ALTER TABLE "t" ALTER COLUMN "c" DROP DEFAULT;`), Fire: false},
		{Name: "different columns", SQL: `UPDATE t SET a = 1, b = 1 WHERE id = 1`, Fire: false},
		{Name: "different elements of one array", SQL: `UPDATE t SET tags[1] = 'a', tags[2] = 'b' WHERE id = 1`, Fire: false},
		{Name: "DROP DEFAULT then SET DEFAULT (as written)", SQL: `ALTER TABLE t ALTER COLUMN a DROP DEFAULT, ALTER COLUMN a SET DEFAULT 1`, Fire: false},
		{Name: "DROP NOT NULL then SET NOT NULL (as written)", SQL: `ALTER TABLE t ALTER COLUMN a DROP NOT NULL, ALTER COLUMN a SET NOT NULL`, Fire: false},
		{Name: "drop and re-add a column", SQL: `ALTER TABLE t DROP COLUMN a, ADD COLUMN a text`, Fire: false},
		{Name: "type and default of one column", SQL: `ALTER TABLE t ALTER COLUMN a TYPE bigint, ALTER COLUMN a SET DEFAULT 0`, Fire: false},
	})
}
