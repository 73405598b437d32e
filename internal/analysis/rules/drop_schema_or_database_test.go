package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

func TestDropSchemaOrDatabase(t *testing.T) {
	analysistest.Run(t, DropSchemaOrDatabase, []analysistest.Case{
		{Name: "DROP SCHEMA CASCADE", SQL: `DROP SCHEMA reporting CASCADE`, Fire: true, Contains: []string{"reporting", "CASCADE", "backup"}},
		{Name: "two schemas", SQL: `DROP SCHEMA IF EXISTS a, b`, Fire: true, Count: 2},
		{Name: "DROP DATABASE", SQL: `DROP DATABASE staging`, NonAtomic: true, Fire: true, Contains: []string{"staging"}},

		{Name: "DROP TABLE", SQL: `DROP TABLE t`, Fire: false},
		{Name: "CREATE SCHEMA", SQL: `CREATE SCHEMA reporting`, Fire: false},
		{Name: "DROP TYPE", SQL: `DROP TYPE mood`, Fire: false},
	})
}
