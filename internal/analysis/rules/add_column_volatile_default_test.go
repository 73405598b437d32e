package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestAddColumnVolatileDefault(t *testing.T) {
	uuidField := &plan.Field{Name: "token", Column: "token", DBType: "uuid", Default: &plan.Default{Repr: "uuid.uuid4", Callable: true}}
	nowField := &plan.Field{Name: "seen", Column: "seen", DBType: "timestamp with time zone", Default: &plan.Default{Repr: "django.utils.timezone.now", Callable: true}}
	uniqueNow := *nowField
	uniqueNow.Unique = true
	analysistest.Run(t, AddColumnVolatileDefault, []analysistest.Case{
		{Name: "gen_random_uuid default", SQL: `ALTER TABLE shop_order ADD COLUMN ref uuid NOT NULL DEFAULT gen_random_uuid()`, Fire: true,
			Contains: []string{"gen_random_uuid()", "ACCESS EXCLUSIVE", "rewrites shop_order", "SET DEFAULT", "atomic = False"}},
		{Name: "clock_timestamp default", SQL: `ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp()`, Fire: true, Contains: []string{"clock_timestamp()"}},
		{Name: "random default among other columns", SQL: `ALTER TABLE t ADD COLUMN a int, ADD COLUMN b float8 DEFAULT random()`, Fire: true, Count: 1},
		{Name: "Django 5 db_default=RandomUUID()", Ops: columnsAddField(&plan.Field{Name: "ref", Column: "ref", DBType: "uuid", DBDefault: &plan.Default{Repr: "RandomUUID()", Expression: true}},
			`ALTER TABLE "shop_order" ADD COLUMN "ref" uuid DEFAULT (GEN_RANDOM_UUID()) NOT NULL`), Fire: true, Contains: []string{"gen_random_uuid()"}},
		{Name: "constant default on PostgreSQL 10 (Django's AddField)", Version: analysis.PG11 - 1,
			Ops: columnsAddField(&plan.Field{Name: "is_vip", Column: "is_vip", DBType: "boolean", Default: &plan.Default{Repr: "False"}},
				`ALTER TABLE "accounts_customer" ADD COLUMN "is_vip" boolean DEFAULT false NOT NULL`,
				`ALTER TABLE "accounts_customer" ALTER COLUMN "is_vip" DROP DEFAULT`),
			Fire: true, Contains: []string{"PostgreSQL 10", "Upgrade to PostgreSQL 11"}},
		{Name: "nullable column with a default on PostgreSQL 10", SQL: `ALTER TABLE t ADD COLUMN c text DEFAULT 'x'`, Version: 100023, Fire: true},
		{Name: "Django callable default uuid4", Ops: columnsAddField(uuidField,
			`ALTER TABLE "shop_order" ADD COLUMN "token" uuid DEFAULT 'f47ac10b-58cc-4372-a567-0e02b2c3d479'::uuid NOT NULL`,
			`ALTER TABLE "shop_order" ALTER COLUMN "token" DROP DEFAULT`),
			Fire: true, Count: 1, Contains: []string{"uuid.uuid4", "same token value", "RunPython"}},
		{Name: "Django callable default on a unique field", Ops: columnsAddField(&uniqueNow,
			`ALTER TABLE "shop_order" ADD COLUMN "seen" timestamp with time zone DEFAULT '2026-01-01T00:00:00+00:00'::timestamptz NOT NULL UNIQUE`,
			`ALTER TABLE "shop_order" ALTER COLUMN "seen" DROP DEFAULT`),
			Fire: true, Contains: []string{"two rows"}},

		{Name: "constant default on PostgreSQL 11+", SQL: `ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0`, Fire: false},
		{Name: "now() is stable: evaluated once", SQL: `ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now()`, Fire: false},
		{Name: "CURRENT_TIMESTAMP", SQL: `ALTER TABLE t ADD COLUMN c timestamptz DEFAULT CURRENT_TIMESTAMP`, Fire: false},
		{Name: "no default", SQL: `ALTER TABLE t ADD COLUMN c uuid`, Version: analysis.PG11 - 1, Fire: false},
		{Name: "nullable AddField without default (accounts 0003)", Ops: columnsAddField(&plan.Field{Name: "phone", Column: "phone", DBType: "varchar(20)", Null: true},
			`ALTER TABLE "accounts_customer" ADD COLUMN "phone" varchar(20) NULL`), Fire: false},
		{Name: "Django callable timezone.now: the same time for old rows is intended", Ops: columnsAddField(nowField,
			`ALTER TABLE "shop_order" ADD COLUMN "seen" timestamp with time zone DEFAULT '2026-01-01T00:00:00+00:00'::timestamptz NOT NULL`,
			`ALTER TABLE "shop_order" ALTER COLUMN "seen" DROP DEFAULT`), Fire: false},
		{Name: "volatile default on a table created in the release", SQL: `ALTER TABLE new_t ADD COLUMN c uuid DEFAULT gen_random_uuid()`, Created: []string{"new_t"}, Fire: false},
		{Name: "volatile default in CREATE TABLE", SQL: `CREATE TABLE n (id uuid DEFAULT gen_random_uuid())`, Fire: false},
		{Name: "serial is add-column-rewrite-generated's", SQL: `ALTER TABLE t ADD COLUMN n bigserial`, Fire: false},
		{Name: "SET DEFAULT does not rewrite", SQL: `ALTER TABLE t ALTER COLUMN c SET DEFAULT gen_random_uuid()`, Fire: false},
	})
}
