package rules

import "github.com/zdcd/zdcd/internal/plan"

// advisoryCatalog answers column types ("table.column" → format_type) for the advisory rules' tests.
type advisoryCatalog map[string]string

func (c advisoryCatalog) ColumnType(table, column string) (string, bool) {
	t, ok := c[table+"."+column]
	return t, ok
}

func (c advisoryCatalog) HasValidatedNotNullCheck(table, column string) bool { return false }

// advisoryDjango is a Django operation (not raw SQL) running sqls, in order; a leading "+" marks a
// deferred statement.
func advisoryDjango(class string, sqls ...string) []plan.Operation {
	op := plan.Operation{Class: class, Module: djangoOperations[class]}
	for _, s := range sqls {
		deferred := len(s) > 0 && s[0] == '+'
		if deferred {
			s = s[1:]
		}
		op.SQL = append(op.SQL, plan.Statement{SQL: s, Deferred: deferred})
	}
	return []plan.Operation{op}
}

// advisorySQLFile is a statement of a plain .sql migration file.
func advisorySQLFile(sql string) []plan.Operation {
	return []plan.Operation{{Class: sqlFileOperation, SQL: []plan.Statement{{SQL: sql}}}}
}
