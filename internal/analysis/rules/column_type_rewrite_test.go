package rules

import (
	"encoding/json"
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestColumnTypeRewrite(t *testing.T) {
	field := func(class, dbType string, kwargs ...string) *plan.Field {
		f := &plan.Field{Name: "c", Column: "c", Class: class, DBType: dbType}
		if len(kwargs) == 2 {
			f.Kwargs = map[string]json.RawMessage{kwargs[0]: json.RawMessage(`"` + kwargs[1] + `"`)}
		}
		return f
	}
	alter := func(from, to *plan.Field, sql string) []plan.Operation { return columnsOp("AlterField", from, to, sql) }
	title := func(dbType string) *plan.Field {
		return &plan.Field{Name: "title", Column: "title", Class: "CharField", DBType: dbType}
	}
	catalog := columnsCatalog{types: map[string]string{"t.c": "integer", "t.v": "character varying(20)", "t.ts": "timestamp without time zone"}}
	analysistest.Run(t, ColumnTypeRewrite, []analysistest.Case{
		{Name: "Django integer to bigint", Ops: alter(field("IntegerField", "integer"), field("BigIntegerField", "bigint"),
			`ALTER TABLE "shop_order" ALTER COLUMN "c" TYPE bigint USING "c"::bigint`),
			Fire: true, Contains: []string{"integer → bigint is not binary coercible", "ACCESS EXCLUSIVE", "rewrites shop_order", "atomic = False", "AddField"}},
		{Name: "Django max_length decrease", Ops: alter(title("varchar(300)"), title("varchar(100)"),
			`ALTER TABLE "blog_post" ALTER COLUMN "title" TYPE varchar(100)`), Fire: true, Contains: []string{"varchar(300) → varchar(100)"}},
		{Name: "raw SQL, type unknown", SQL: `ALTER TABLE blog_post ALTER COLUMN title TYPE varchar(300)`, Fire: true,
			Contains: []string{"zdcd could not tell", "approve this finding"}},
		{Name: "raw SQL, catalog says integer", SQL: `ALTER TABLE t ALTER COLUMN c TYPE bigint`, Catalog: catalog, Fire: true, Contains: []string{"integer → bigint"}},
		{Name: "USING computes new values", SQL: `ALTER TABLE t ALTER COLUMN c TYPE integer USING c * 100`, Catalog: catalog, Fire: true, Contains: []string{"USING expression"}},
		{Name: "numeric scale change", Ops: alter(field("DecimalField", "numeric(10, 2)"), field("DecimalField", "numeric(12, 3)"),
			`ALTER TABLE "shop_order" ALTER COLUMN "c" TYPE numeric(12, 3)`), Fire: true},
		{Name: "timestamp to timestamptz", SQL: `ALTER TABLE t ALTER COLUMN ts TYPE timestamptz`, Catalog: catalog, Fire: true},
		{Name: "char(n) growth", Ops: alter(field("CharField", "char(10)"), field("CharField", "char(20)"),
			`ALTER TABLE "t" ALTER COLUMN "c" TYPE char(20)`), Fire: true},
		{Name: "Django db_collation change", Ops: alter(field("CharField", "varchar(100)"), field("CharField", "varchar(100)", "db_collation", "C"),
			`ALTER TABLE "t" ALTER COLUMN "c" TYPE varchar(100) COLLATE "C"`), Fire: true, Contains: []string{"collation", "indexes"}},
		{Name: "combined with SET NOT NULL in one ALTER", Ops: alter(field("IntegerField", "integer"), field("BigIntegerField", "bigint"),
			`ALTER TABLE "t" ALTER COLUMN "c" TYPE bigint USING "c"::bigint, ALTER COLUMN "c" SET NOT NULL`), Fire: true, Count: 1},

		{Name: "blog 0005: varchar(200) to varchar(300)", Ops: alter(title("varchar(200)"), title("varchar(300)"),
			`ALTER TABLE "blog_post" ALTER COLUMN "title" TYPE varchar(300)`), Fire: false},
		{Name: "Django CharField to TextField", Ops: alter(title("varchar(200)"), &plan.Field{Name: "title", Column: "title", Class: "TextField", DBType: "text"},
			`ALTER TABLE "blog_post" ALTER COLUMN "title" TYPE text USING "title"::text`), Fire: false},
		{Name: "numeric precision growth at the same scale", Ops: alter(field("DecimalField", "numeric(10, 2)"), field("DecimalField", "numeric(14, 2)"),
			`ALTER TABLE "t" ALTER COLUMN "c" TYPE numeric(14, 2) USING "c"::numeric(14, 2)`), Fire: false},
		{Name: "raw SQL varchar growth known from the catalog", SQL: `ALTER TABLE t ALTER COLUMN v TYPE varchar(40)`, Catalog: catalog, Fire: false},
		{Name: "old serial AutoField to IntegerField", Ops: alter(field("AutoField", "serial"), field("IntegerField", "integer"),
			`ALTER TABLE "t" ALTER COLUMN "c" TYPE integer`), Fire: false},
		{Name: "same collation kept by a Django max_length growth", Ops: alter(field("CharField", "varchar(100)", "db_collation", "C"), field("CharField", "varchar(200)", "db_collation", "C"),
			`ALTER TABLE "t" ALTER COLUMN "c" TYPE varchar(200) COLLATE "C"`), Fire: false},
		{Name: "table created in the release", SQL: `ALTER TABLE n ALTER COLUMN c TYPE bigint`, Created: []string{"n"}, Fire: false},
	})
}
