package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
	"github.com/zdcd/zdcd/internal/plan"
)

func TestValidateInSameTx(t *testing.T) {
	twoSteps := []plan.Operation{
		{Class: "AddConstraintNotValid", SQL: []plan.Statement{{SQL: `ALTER TABLE "shop_order" ADD CONSTRAINT "quantity_positive" CHECK ("quantity" > 0) NOT VALID`}}},
		{Class: "ValidateConstraint", SQL: []plan.Statement{{SQL: `ALTER TABLE "shop_order" VALIDATE CONSTRAINT "quantity_positive"`}}},
	}
	fk := []plan.Operation{
		{Class: "RunSQL", SQL: []plan.Statement{{SQL: `ALTER TABLE blog_post ADD CONSTRAINT post_product_fk FOREIGN KEY (product_id) REFERENCES shop_product (id) NOT VALID`}}},
		{Class: "RunSQL", SQL: []plan.Statement{{SQL: `SET lock_timeout = '2s'`}}},
		{Class: "RunSQL", SQL: []plan.Statement{{SQL: `ALTER TABLE blog_post VALIDATE CONSTRAINT post_product_fk`}}},
	}
	analysistest.Run(t, ValidateInSameTx, []analysistest.Case{
		{Name: "AddConstraintNotValid and ValidateConstraint in one atomic migration", Ops: twoSteps, Fire: true,
			Contains: []string{"ACCESS EXCLUSIVE lock on shop_order", "atomic = False", "next migration", "SHARE UPDATE EXCLUSIVE"}},
		{Name: "foreign key, atomic", Ops: fk, Fire: true, Contains: []string{"SHARE ROW EXCLUSIVE", "shop_product"}},
		{Name: "one RunSQL string (one implicit transaction), even non-atomic", NonAtomic: true,
			SQL: `ALTER TABLE t ADD CONSTRAINT c CHECK (x > 0) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT c`, Fire: true},
		{Name: "one ALTER TABLE statement", NonAtomic: true, SQL: `ALTER TABLE t ADD CONSTRAINT c CHECK (x > 0) NOT VALID, VALIDATE CONSTRAINT c`, Fire: true},

		{Name: "non-atomic migration: separate transactions", NonAtomic: true, Ops: twoSteps, Fire: false},
		{Name: "explicit COMMIT in between", SQL: `ALTER TABLE t ADD CONSTRAINT c CHECK (x > 0) NOT VALID; COMMIT; BEGIN; ALTER TABLE t VALIDATE CONSTRAINT c`, Fire: false},
		{Name: "validating a constraint added by an earlier migration", Ops: twoSteps[1:], Fire: false},
		{Name: "another constraint's name", SQL: `ALTER TABLE t ADD CONSTRAINT c CHECK (x > 0) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT d`, Fire: false},
		{Name: "table created in the release", Ops: twoSteps, Created: []string{"shop_order"}, Fire: false},
	})
}
