package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestDDLOnHotTable(t *testing.T) {
	hot := lockCatalog{hot: map[string]string{"accounts_customer": "listed as hot"}}
	customer := &plan.Model{App: "accounts", Name: "customer", TableBefore: "accounts_customer", TableAfter: "accounts_customer"}
	addField := plan.Operation{Class: "AddField", Model: customer, SQL: []plan.Statement{
		{SQL: `ALTER TABLE "accounts_customer" ADD COLUMN "is_vip" boolean DEFAULT false NOT NULL;`},
		{SQL: `ALTER TABLE "accounts_customer" ALTER COLUMN "is_vip" DROP DEFAULT;`},
	}}
	analysistest.Run(t, DDLOnHotTable, []analysistest.Case{
		{Name: "nullable AddField on a hot table", Ops: []plan.Operation{{Class: "AddField", Model: customer, SQL: []plan.Statement{
			{SQL: `ALTER TABLE "accounts_customer" ADD COLUMN "phone" varchar(20) NULL;`},
		}}}, Catalog: hot, Fire: true, Contains: []string{"ACCESS EXCLUSIVE lock on accounts_customer", "listed as hot", "queues", "extension table"}},
		{Name: "Django's add-then-drop-default pair: one lock, one finding", Ops: []plan.Operation{addField}, Catalog: hot, Fire: true, Count: 1},
		{Name: "non-atomic: each statement queues again", Ops: []plan.Operation{addField}, Catalog: hot, NonAtomic: true, Fire: true, Count: 2},
		{Name: "rename on a hot table", SQL: `ALTER TABLE accounts_customer RENAME COLUMN a TO b`, Catalog: hot, Fire: true},
		{Name: "no hotness data: dormant", Ops: []plan.Operation{addField}, Fire: false},
		{Name: "a table not listed as hot", SQL: `ALTER TABLE shop_order ADD COLUMN c int`, Catalog: hot, Fire: false},
		{Name: "a rewrite is another rule's", SQL: `ALTER TABLE accounts_customer ALTER COLUMN id TYPE bigint`, Catalog: hot, Fire: false},
		{Name: "a lock that does not block reads", SQL: `CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON accounts_customer (a)`, NonAtomic: true, Catalog: hot, Fire: false},
		{Name: "hot table created earlier in the release", SQL: `ALTER TABLE accounts_customer ADD COLUMN c int`, Created: []string{"accounts_customer"}, Catalog: hot, Fire: false},
	})
}
