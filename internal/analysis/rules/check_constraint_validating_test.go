package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestCheckConstraintValidating(t *testing.T) {
	analysistest.Run(t, CheckConstraintValidating, []analysistest.Case{
		{Name: "Django AddConstraint(CheckConstraint)", Ops: []plan.Operation{{Class: "AddConstraint", SQL: []plan.Statement{
			{SQL: `ALTER TABLE "shop_order" ADD CONSTRAINT "quantity_positive" CHECK ("quantity" > 0)`}}}},
			Fire: true, Contains: []string{"quantity_positive", "ACCESS EXCLUSIVE", "NOT VALID", "AddConstraintNotValid", "ValidateConstraint"}},
		{Name: "Django AlterField IntegerField to PositiveIntegerField", Ops: columnsOp("AlterField",
			&plan.Field{Name: "n", Column: "n", Class: "IntegerField", DBType: "integer"},
			&plan.Field{Name: "n", Column: "n", Class: "PositiveIntegerField", DBType: "integer"},
			`ALTER TABLE "shop_order" ADD CONSTRAINT "shop_order_n_check" CHECK ("n" >= 0)`), Fire: true},
		{Name: "Django AddField(PositiveIntegerField): inline CHECK", Ops: columnsAddField(
			&plan.Field{Name: "stock", Column: "stock", Class: "PositiveIntegerField", DBType: "integer", Null: true},
			`ALTER TABLE "shop_product" ADD COLUMN "stock" integer NULL CHECK ("stock" >= 0)`),
			Fire: true, Contains: []string{"PositiveIntegerField", "SeparateDatabaseAndState"}},
		{Name: "raw SQL, two checks", SQL: `ALTER TABLE t ADD CONSTRAINT a CHECK (x > 0), ADD CONSTRAINT b CHECK (y > 0)`, Fire: true, Count: 2},

		{Name: "NOT VALID", SQL: `ALTER TABLE t ADD CONSTRAINT a CHECK (x > 0) NOT VALID`, Fire: false},
		{Name: "Django AddConstraintNotValid", Ops: []plan.Operation{{Class: "AddConstraintNotValid", SQL: []plan.Statement{
			{SQL: `ALTER TABLE "shop_order" ADD CONSTRAINT "quantity_positive" CHECK ("quantity" > 0) NOT VALID`}}}}, Fire: false},
		{Name: "VALIDATE CONSTRAINT", SQL: `ALTER TABLE t VALIDATE CONSTRAINT a`, Fire: false},
		{Name: "table created in the release", SQL: `ALTER TABLE n ADD CONSTRAINT a CHECK (x > 0)`, Created: []string{"n"}, Fire: false},
		{Name: "CREATE TABLE with checks", SQL: `CREATE TABLE n (x int CHECK (x > 0), CONSTRAINT c CHECK (x < 10))`, Fire: false},
		{Name: "foreign key is fk-validating's", SQL: `ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u_id) REFERENCES u (id)`, Fire: false},
	})
}
