package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestDropTable(t *testing.T) {
	legacy := &plan.Model{App: "blog", Name: "LegacyComment", TableBefore: "blog_legacycomment", Managed: true}
	analysistest.Run(t, DropTable, []analysistest.Case{
		{Name: "Django's DeleteModel", Ops: []plan.Operation{{Class: "DeleteModel", Module: modelsModule, Model: legacy,
			SQL: sqlOf(`DROP TABLE "blog_legacycomment" CASCADE;`)}},
			Fire: true, Count: 1, Contains: []string{"DeleteModel blog.LegacyComment drops table blog_legacycomment", "CASCADE", "ACCESS EXCLUSIVE", `migrations.DeleteModel(name="LegacyComment")`}},
		{Name: "DeleteModel with a many-to-many field drops its join table too", Ops: []plan.Operation{{Class: "DeleteModel", Module: modelsModule,
			Model: &plan.Model{App: "blog", Name: "Post", TableBefore: "blog_post", Managed: true},
			SQL:   sqlOf(`DROP TABLE "blog_post_tags" CASCADE;`, `DROP TABLE "blog_post" CASCADE;`)}},
			Fire: true, Count: 2, Contains: []string{"join table"}},
		{Name: "RemoveField of a many-to-many field", Ops: []plan.Operation{{Class: "RemoveField", Module: fieldsModule,
			Model:    &plan.Model{App: "blog", Name: "Post", TableBefore: "blog_post", TableAfter: "blog_post", Managed: true},
			OldField: &plan.Field{Name: "tags", Class: "ManyToManyField", ManyToMany: true},
			SQL:      sqlOf(`DROP TABLE "blog_post_tags" CASCADE;`)}},
			Fire: true, Contains: []string{"many-to-many field tags"}},
		{Name: "raw DROP TABLE of two tables", SQL: `DROP TABLE IF EXISTS old_a, old_b`, Fire: true, Count: 2, Contains: []string{"no longer uses the table"}},
		{Name: "raw DROP VIEW", SQL: `DROP VIEW shop_order_summary`, Fire: true, Contains: []string{"CREATE OR REPLACE VIEW"}},
		{Name: "a view dropped then created in a non-atomic migration's separate strings", NonAtomic: true, Ops: []plan.Operation{
			{Class: "RunSQL", Module: specialModule, SQL: sqlOf(`DROP VIEW v`)},
			{Class: "RunSQL", Module: specialModule, SQL: sqlOf(`CREATE VIEW v AS SELECT 1`)},
		}, Fire: true},
		{Name: "a view replaced in one transaction", SQL: `DROP VIEW v; CREATE VIEW v AS SELECT id FROM shop_order`, Fire: false},
		{Name: "a view replaced across operations of an atomic migration", Ops: []plan.Operation{
			{Class: "RunSQL", Module: specialModule, SQL: sqlOf(`DROP VIEW v`)},
			{Class: "RunSQL", Module: specialModule, SQL: sqlOf(`CREATE VIEW v AS SELECT 1`)},
		}, Fire: false},
		{Name: "state-only DeleteModel (the safe first step)", Ops: []plan.Operation{{Class: "SeparateDatabaseAndState", Module: specialModule,
			StateOperations: []plan.Operation{{Class: "DeleteModel", Module: modelsModule, Model: legacy}}}}, Fire: false},
		{Name: "table created earlier in the release", SQL: `DROP TABLE tmp_import`, Created: []string{"tmp_import"}, Fire: false},
		{Name: "table created in the same migration", SQL: `CREATE TABLE tmp (a int); DROP TABLE tmp`, Fire: false},
		{Name: "an index is not a table", SQL: `DROP INDEX CONCURRENTLY IF EXISTS i`, NonAtomic: true, Fire: false},
	})
}
