package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestRenameColumn(t *testing.T) {
	nickname := &plan.Field{Name: "nickname", Column: "nickname", Class: "CharField", DBType: "varchar(50)", Null: true}
	displayName := &plan.Field{Name: "display_name", Column: "display_name", Class: "CharField", DBType: "varchar(50)", Null: true}
	analysistest.Run(t, RenameColumn, []analysistest.Case{
		{Name: "Django's RenameField", Ops: []plan.Operation{{Class: "RenameField", Module: fieldsModule, Model: customerModel(),
			OldField: nickname, NewField: displayName,
			SQL: sqlOf(`ALTER TABLE "accounts_customer" RENAME COLUMN "nickname" TO "display_name";`)}},
			Fire: true, Count: 1, Contains: []string{"RenameField on accounts.Customer", `"nickname"`, "does not exist", `db_column="nickname"`, "SeparateDatabaseAndState"}},
		{Name: "AlterField changing db_column", Ops: []plan.Operation{{Class: "AlterField", Module: fieldsModule, Model: customerModel(),
			OldField: nickname, NewField: &plan.Field{Name: "nickname", Column: "nick", Class: "CharField", Null: true},
			SQL: sqlOf(`ALTER TABLE "accounts_customer" RENAME COLUMN "nickname" TO "nick";`)}},
			Fire: true, Contains: []string{"db_column"}},
		{Name: "RenameModel renames the join table's column", Ops: []plan.Operation{{Class: "RenameModel", Module: modelsModule,
			SQL: sqlOf(`ALTER TABLE "blog_post" RENAME TO "blog_article";`, `ALTER TABLE "blog_post_tags" RENAME COLUMN "post_id" TO "article_id";`)}},
			Fire: true, Count: 1},
		{Name: "raw RENAME COLUMN", SQL: `ALTER TABLE accounts_customer RENAME nickname TO display_name`, Fire: true},
		{Name: "state-only rename keeping db_column (the safe way)", Ops: []plan.Operation{{Class: "SeparateDatabaseAndState", Module: specialModule,
			StateOperations: []plan.Operation{{Class: "RenameField", Module: fieldsModule, Model: customerModel()}}}}, Fire: false},
		{Name: "RenameField of a field with db_column: no SQL", Ops: []plan.Operation{{Class: "RenameField", Module: fieldsModule, Model: customerModel()}}, Fire: false},
		{Name: "table created earlier in the release", SQL: `ALTER TABLE new_t RENAME COLUMN a TO b`, Created: []string{"new_t"}, Fire: false},
		{Name: "renaming a constraint", SQL: `ALTER TABLE t RENAME CONSTRAINT a TO b`, Fire: false},
		{Name: "renaming an index (RenameIndex)", SQL: `ALTER INDEX "shop_prod_name_idx" RENAME TO "shop_product_name_idx"`, Fire: false},
	})
}
