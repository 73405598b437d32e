package rules

import (
	"github.com/zdcd/zdcd/internal/plan"
)

// Test helpers of the columns group.

// columnsAddField is Django's AddField with its SQL strings.
func columnsAddField(f *plan.Field, sql ...string) []plan.Operation {
	return columnsOp("AddField", nil, f, sql...)
}

// columnsOp is a Django field operation with its SQL strings (none deferred).
func columnsOp(class string, oldField, newField *plan.Field, sql ...string) []plan.Operation {
	op := plan.Operation{Class: class, OldField: oldField, NewField: newField}
	for _, s := range sql {
		op.SQL = append(op.SQL, plan.Statement{SQL: s})
	}
	return []plan.Operation{op}
}

// columnsCatalog is a live schema for tests: keys are "table.column".
type columnsCatalog struct {
	types    map[string]string
	notNull  map[string]bool
	checks   map[string]bool
	defaults map[string]string
}

func (c columnsCatalog) ColumnType(table, column string) (string, bool) {
	t, ok := c.types[table+"."+column]
	return t, ok
}

func (c columnsCatalog) HasValidatedNotNullCheck(table, column string) bool {
	return c.notNull[table+"."+column]
}

func (c columnsCatalog) HasCheckConstraint(table, column string) bool {
	return c.checks[table+"."+column]
}

func (c columnsCatalog) ColumnDefault(table, column string) (string, bool) {
	d, ok := c.defaults[table+"."+column]
	return d, ok
}
