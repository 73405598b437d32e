package corpus

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/zdcd/zdcd/internal/analysis"
	"github.com/zdcd/zdcd/internal/analysis/rules"
	"github.com/zdcd/zdcd/internal/database"
	"github.com/zdcd/zdcd/internal/pgtest"
	"github.com/zdcd/zdcd/internal/plan"
)

// schemaSQL is the schema every SQL case is written against (schema/existing.sql).
func schemaSQL(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("schema", "existing.sql"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// createdSQL is the CREATE TABLE of a table an earlier migration of the release creates.
func createdSQL(t testing.TB, table string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("schema", "created", table+".sql"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// schemaDatabase creates a database holding schema/existing.sql, its tables claiming production
// size, and returns its URL.
func schemaDatabase(t testing.TB) string {
	t.Helper()
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, schemaSQL(t)); err != nil {
		t.Fatalf("load schema/existing.sql: %v", err)
	}
	claimProductionSize(ctx, t, conn, "")
	return url
}

// productionRows is the planner estimate (pg_class.reltuples) the corpus gives every existing
// table: the cases are labelled for production tables, whatever the few rows the test holds.
const productionRows = 1000000

// claimProductionSize sets the planner's row estimate of every ordinary and partitioned table
// outside the system schemas (optionally only those whose name starts with prefix) to
// productionRows.
func claimProductionSize(ctx context.Context, t testing.TB, conn *pgx.Conn, prefix string) {
	t.Helper()
	if _, err := conn.Exec(ctx, `
		UPDATE pg_class c SET reltuples = $1
		FROM pg_namespace n
		WHERE n.oid = c.relnamespace AND c.relkind IN ('r', 'p')
		  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
		  AND starts_with(c.relname, $2)`, float64(productionRows), prefix); err != nil {
		t.Fatalf("set the tables' row estimates: %v", err)
	}
}

// openCatalog is the catalog the release phase uses, over the corpus database: it answers the
// rules' questions about the schema and data as production would (column types, constraints, row
// estimates, NULLs, duplicates, keys, partitioned tables). The answers are about the database
// before the case runs. It names no hot table: the corpus configures none.
func openCatalog(ctx context.Context, conn *pgx.Conn) *database.Catalog {
	return (&database.DB{Conn: conn}).Catalog(ctx, 0)
}

// sqlPlan is the release a SQL case stands for: a migration creating the case's `created` tables,
// then the case as one RunSQL operation (one string, sent in one call, as Django sends it).
func sqlPlan(t testing.TB, c *Case) *plan.Plan {
	t.Helper()
	var pl plan.Plan
	if len(c.Created) > 0 {
		var ops []plan.Operation
		for i, table := range c.Created {
			ops = append(ops, plan.Operation{Index: i, Class: "CreateModel", Line: 10 + i,
				SQL: []plan.Statement{{SQL: createdSQL(t, table)}}})
		}
		pl.Migrations = append(pl.Migrations, plan.Migration{App: "corpus", Name: "0001_created", File: "corpus/migrations/0001_created.py",
			Atomic: true, Operations: ops})
	}
	pl.Migrations = append(pl.Migrations, plan.Migration{
		App: "corpus", Name: "0002_" + c.Name, File: "corpus/migrations/0002_" + c.Name + ".py", Atomic: c.Atomic,
		Operations: []plan.Operation{{
			Class: "RunSQL", Module: "django.db.migrations.operations.special", Line: 10,
			SQL:    []plan.Statement{{SQL: c.Body}},
			RunSQL: &plan.RunSQL{SQL: []string{c.Body}, HasReverse: true},
		}},
	})
	return &pl
}

// judgeSQL runs zdcd's analysis over every SQL case, in process.
func judgeSQL(t testing.TB, cases []*Case, cat analysis.Catalog) map[string]Verdict {
	t.Helper()
	out := map[string]Verdict{}
	for _, c := range cases {
		if c.Kind != KindSQL {
			continue
		}
		res := analysis.Analyze(sqlPlan(t, c), analysis.Context{ServerVersion: c.Version, Catalog: cat}, rules.All())
		last := res.Migrations[len(res.Migrations)-1]
		v := Verdict{Safe: last.Safe}
		for _, f := range last.Findings {
			v.Findings = append(v.Findings, Finding{Rule: f.Rule, Severity: string(f.Severity), Statement: f.Statement, Message: f.Message})
		}
		out[c.File] = v
	}
	return out
}

// txControl finds transaction control in a case's SQL: such a case cannot run inside the test's
// own rolled-back transaction.
var txControl = regexp.MustCompile(`(?im)^\s*(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION|END)\s*;`)

// TestCorpusSQLApplies proves the SQL cases are real: each runs against the corpus schema the way
// Django would run it (inside a transaction when atomic, else as one call in autocommit), after
// its `created` tables, and fails exactly when its header says it does. An atomic case runs in a
// transaction that is rolled back, on one shared database; a non-atomic case (or one with its own
// BEGIN/COMMIT) commits, so it gets a fresh copy of the schema.
func TestCorpusSQLApplies(t *testing.T) {
	t.Parallel()
	cases := loadCases(t)
	cluster := pgtest.Shared(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, cluster.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)

	template := fmt.Sprintf("corpus_schema_%d", os.Getpid())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+template+" TEMPLATE template0"); err != nil {
		t.Fatal(err)
	}
	defer admin.Exec(ctx, "DROP DATABASE IF EXISTS "+template+" WITH (FORCE)") //nolint:errcheck
	func() {
		conn, err := pgx.Connect(ctx, cluster.URL(template))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, schemaSQL(t)); err != nil {
			t.Fatalf("load schema/existing.sql: %v", err)
		}
	}()
	shared := template + "_shared"
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+shared+" TEMPLATE "+template); err != nil {
		t.Fatal(err)
	}
	defer admin.Exec(ctx, "DROP DATABASE IF EXISTS "+shared+" WITH (FORCE)") //nolint:errcheck
	sharedConn, err := pgx.Connect(ctx, cluster.URL(shared))
	if err != nil {
		t.Fatal(err)
	}
	defer sharedConn.Close(ctx)

	for i, c := range cases {
		if c.Kind != KindSQL {
			continue
		}
		var err error
		if c.Atomic && !txControl.MatchString(c.Body) {
			err = applyInRolledBackTx(ctx, t, sharedConn, c)
		} else {
			db := fmt.Sprintf("%s_%d", template, i)
			if _, err := admin.Exec(ctx, "CREATE DATABASE "+db+" TEMPLATE "+template); err != nil {
				t.Fatal(err)
			}
			err = applyCommitted(ctx, t, cluster.URL(db), c)
			if _, derr := admin.Exec(ctx, "DROP DATABASE "+db+" WITH (FORCE)"); derr != nil {
				t.Logf("drop %s: %v", db, derr)
			}
		}
		switch {
		case err != nil && c.ApplyError == "":
			t.Errorf("%s: the case's SQL fails on the corpus schema (fix the case, or declare `-- apply-error:`): %v", c.File, err)
		case err != nil && !strings.Contains(err.Error(), c.ApplyError):
			t.Errorf("%s: fails with %q, want an error containing %q", c.File, err, c.ApplyError)
		case err == nil && c.ApplyError != "":
			t.Errorf("%s: applies cleanly, but its header says it fails with %q", c.File, c.ApplyError)
		}
	}
}

// applyInRolledBackTx runs an atomic case in a transaction, checks its deferred constraints, and
// rolls everything back.
func applyInRolledBackTx(ctx context.Context, t testing.TB, conn *pgx.Conn, c *Case) error {
	t.Helper()
	if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if _, err := conn.Exec(ctx, "ROLLBACK"); err != nil {
			t.Fatalf("%s: rollback: %v", c.File, err)
		}
	}()
	for _, table := range c.Created {
		if _, err := conn.Exec(ctx, createdSQL(t, table)); err != nil {
			t.Fatalf("%s: create %s: %v", c.File, table, err)
		}
	}
	if _, err := conn.Exec(ctx, c.Body); err != nil { // no arguments: the simple protocol, one call, like psycopg2
		return err
	}
	_, err := conn.Exec(ctx, "SET CONSTRAINTS ALL IMMEDIATE") // what COMMIT would check
	return err
}

// applyCommitted runs a case on its own database: in autocommit when non-atomic (one call, so
// several statements form one implicit transaction, as with psycopg2), else inside BEGIN/COMMIT.
func applyCommitted(ctx context.Context, t testing.TB, url string, c *Case) error {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, table := range c.Created {
		if _, err := conn.Exec(ctx, createdSQL(t, table)); err != nil {
			t.Fatalf("%s: create %s: %v", c.File, table, err)
		}
	}
	if !c.Atomic {
		_, err := conn.Exec(ctx, c.Body)
		return err
	}
	if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, c.Body); err != nil {
		_, _ = conn.Exec(ctx, "ROLLBACK")
		return err
	}
	_, err = conn.Exec(ctx, "COMMIT")
	return err
}
