package django

import (
	"strings"
	"sync"
	"testing"

	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/plan"
)

// TestPlanSQLMatchesSqlmigrate checks, for every pending migration, that the statements of the
// plan (operation by operation, deferred ones at the end) are what `manage.py sqlmigrate` prints.
func TestPlanSQLMatchesSqlmigrate(t *testing.T) {
	tests := []struct {
		name     string
		baseline bool
	}{
		{"fresh database", false},
		{"after the baseline", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copySample(t)
			db := pgtest.NewDatabase(t)
			if tt.baseline {
				baseline(t, dir, db)
			}
			p := mustPlan(t, newSource(t, dir, db))
			if len(p.Migrations) == 0 {
				t.Fatal("nothing pending")
			}
			if n := compareWithSqlmigrate(t, dir, db, p.Migrations); n < len(p.Migrations)/2 {
				t.Errorf("only %d of %d migrations have SQL: the comparison proves little", n, len(p.Migrations))
			}
		})
	}
}

// compareWithSqlmigrate runs sqlmigrate for each migration (a few at a time) and compares.
// It returns how many migrations have SQL.
func compareWithSqlmigrate(t *testing.T, dir, db string, migrations []plan.Migration) int {
	t.Helper()
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	type outcome struct {
		out, stderr string
		err         error
	}
	results := make([]outcome, len(migrations))
	for i, m := range migrations {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out, stderr, err := manageErr(dir, db, "sqlmigrate", m.App, m.Name)
			results[i] = outcome{out, stderr, err}
		}()
	}
	wg.Wait()
	withSQL := 0
	for i, m := range migrations {
		r := results[i]
		if r.err != nil {
			t.Errorf("sqlmigrate %s %s: %v\n%s", m.App, m.Name, r.err, r.stderr)
			continue
		}
		want := normalizeSQL(r.out)
		got := normalizeSQL(strings.Join(planStatements(m), "\n"))
		if want != "" {
			withSQL++
		}
		if got != want {
			t.Errorf("%s: plan SQL differs from sqlmigrate\n--- plan\n%s\n--- sqlmigrate\n%s", m.Key(), got, want)
		}
	}
	return withSQL
}

// planStatements is a migration's SQL in execution order: every operation's immediate statements,
// then the deferred ones in the order Django runs them.
func planStatements(m plan.Migration) []string {
	var immediate []string
	var late []string
	for _, op := range m.Operations {
		for _, st := range op.SQL {
			if st.Deferred {
				late = append(late, st.SQL)
			} else {
				immediate = append(immediate, st.SQL)
			}
		}
	}
	return append(immediate, late...)
}

// normalizeSQL drops what sqlmigrate adds around the statements: BEGIN;/COMMIT; and the
// "--" comment lines naming each operation.
func normalizeSQL(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "BEGIN;" || trimmed == "COMMIT;" || trimmed == "--" || strings.HasPrefix(line, "-- ") {
			continue
		}
		if trimmed == "" {
			continue
		}
		out = append(out, strings.TrimRight(line, " \t"))
	}
	return strings.Join(out, "\n")
}
