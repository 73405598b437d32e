package rules

import (
	"testing"

	"github.com/zdcd/zdcd/internal/analysis/analysistest"
)

func TestDomainConstraint(t *testing.T) {
	analysistest.Run(t, DomainConstraint, []analysistest.Case{
		{Name: "CREATE DOMAIN with CHECK", SQL: `CREATE DOMAIN posint AS integer CHECK (VALUE > 0)`, Fire: true,
			Contains: []string{"posint", "SHARE lock", "NOT VALID", "AddConstraintNotValid"}},
		{Name: "ALTER DOMAIN ADD CONSTRAINT", SQL: `ALTER DOMAIN posint ADD CONSTRAINT small CHECK (VALUE < 1000)`, Fire: true,
			Contains: []string{"every table that uses the domain", "until the migration commits"}},
		{Name: "ALTER DOMAIN VALIDATE CONSTRAINT", SQL: `ALTER DOMAIN posint VALIDATE CONSTRAINT small`, Fire: true},
		{Name: "ALTER DOMAIN SET NOT NULL", SQL: `ALTER DOMAIN posint SET NOT NULL`, Fire: true},

		{Name: "CREATE DOMAIN without a constraint", SQL: `CREATE DOMAIN email AS text`, Fire: false},
		{Name: "CREATE DOMAIN NOT NULL only", SQL: `CREATE DOMAIN code AS text NOT NULL`, Fire: false},
		{Name: "ALTER DOMAIN ADD CONSTRAINT NOT VALID", SQL: `ALTER DOMAIN posint ADD CONSTRAINT small CHECK (VALUE < 1000) NOT VALID`, Fire: false},
		{Name: "ALTER DOMAIN DROP CONSTRAINT", SQL: `ALTER DOMAIN posint DROP CONSTRAINT small`, Fire: false},
		{Name: "table CHECK", SQL: `ALTER TABLE t ADD CONSTRAINT c CHECK (x > 0) NOT VALID`, Fire: false},
	})
}
