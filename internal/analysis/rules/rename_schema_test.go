package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

func TestRenameSchema(t *testing.T) {
	analysistest.Run(t, RenameSchema, []analysistest.Case{
		{Name: "ALTER SCHEMA RENAME", SQL: `ALTER SCHEMA reporting RENAME TO analytics`, Fire: true, Count: 1,
			Contains: []string{`"reporting"`, "search_path"}},
		{Name: "renaming a table is rename-table's", SQL: `ALTER TABLE reporting.t RENAME TO u`, Fire: false},
		{Name: "creating a schema", SQL: `CREATE SCHEMA IF NOT EXISTS analytics`, Fire: false},
	})
}
