package rules

import (
	"errors"

	"github.com/zdcd/zdcd/internal/plan"
)

// liveData is a fake live catalog answering the questions of the compat rules.
type liveData struct {
	rows       map[string]bool   // table → has rows
	nulls      map[string]bool   // "table.column" → has NULLs
	duplicates map[string]bool   // "table(col,col)" → has duplicates
	estimates  map[string]int64  // table → estimated rows
	kinds      map[string]string // "table.constraint" → contype
	failing    bool              // every data question fails
}

var errLiveData = errors.New("canceling statement due to statement timeout")

func (c *liveData) ColumnType(table, column string) (string, bool)     { return "", false }
func (c *liveData) HasValidatedNotNullCheck(table, column string) bool { return false }
func (c *liveData) ConstraintKind(table, name string) (string, bool) {
	k, ok := c.kinds[table+"."+name]
	return k, ok
}
func (c *liveData) EstimatedRows(table string) (int64, bool) {
	n, ok := c.estimates[table]
	return n, ok
}
func (c *liveData) HasRows(table string) (bool, error) { return c.answer(c.rows[table]) }
func (c *liveData) HasNulls(table, column string) (bool, error) {
	return c.answer(c.nulls[table+"."+column])
}
func (c *liveData) HasDuplicates(table string, cols []string) (bool, error) {
	key := table + "("
	for i, col := range cols {
		if i > 0 {
			key += ","
		}
		key += col
	}
	return c.answer(c.duplicates[key+")"])
}

func (c *liveData) answer(v bool) (bool, error) {
	if c.failing {
		return false, errLiveData
	}
	return v, nil
}

// Django operations as the helper describes them, for the compat rules' cases.

func customerModel() *plan.Model {
	return &plan.Model{App: "accounts", Name: "Customer", TableBefore: "accounts_customer", TableAfter: "accounts_customer", Managed: true}
}

func productModel() *plan.Model {
	return &plan.Model{App: "shop", Name: "Product", TableBefore: "shop_product", TableAfter: "shop_product", Managed: true}
}

func sqlOf(stmts ...string) []plan.Statement {
	out := make([]plan.Statement, len(stmts))
	for i, s := range stmts {
		out[i] = plan.Statement{SQL: s}
	}
	return out
}
