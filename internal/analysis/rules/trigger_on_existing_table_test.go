package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

func TestTriggerOnExistingTable(t *testing.T) {
	analysistest.Run(t, TriggerOnExistingTable, []analysistest.Case{
		{Name: "trigger on an existing table", SQL: `CREATE TRIGGER order_sync BEFORE INSERT OR UPDATE ON shop_order FOR EACH ROW EXECUTE FUNCTION order_sync()`, Fire: true,
			Contains: []string{"SHARE ROW EXCLUSIVE", "INSERT, UPDATE and DELETE", "old code", "until the migration commits"}},
		{Name: "replace a trigger", SQL: `CREATE OR REPLACE TRIGGER order_sync AFTER UPDATE ON shop_order FOR EACH ROW EXECUTE FUNCTION order_sync()`, NonAtomic: true, Fire: true},
		{Name: "constraint trigger", SQL: `CREATE CONSTRAINT TRIGGER c AFTER INSERT ON shop_order DEFERRABLE FOR EACH ROW EXECUTE FUNCTION f()`, Fire: true},
		{Name: "table created earlier in the release", SQL: `CREATE TRIGGER t BEFORE INSERT ON new_table FOR EACH ROW EXECUTE FUNCTION f()`, Created: []string{"new_table"}, Fire: false},
		{Name: "table created in this migration", SQL: `CREATE TABLE n (a int); CREATE TRIGGER t BEFORE INSERT ON n FOR EACH ROW EXECUTE FUNCTION f()`, Fire: false},
		{Name: "the function alone", SQL: `CREATE OR REPLACE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`, Fire: false},
	})
}
